//! Deterministic archive writers: the same entries in the same order give the same bytes.
//!
//! Zip is written by hand (it is short, and every byte is then ours to fix): each entry is
//! deflated at a fixed level while it streams, followed by a data descriptor, so an entry of any
//! size needs constant memory; Zip64 records appear only where a size, an offset or the entry
//! count needs them. Tar is GNU tar through the `tar` crate (long names become `././@LongLink`
//! entries), gzip-compressed by `flate2` with a zero mtime in the gzip header. Entries carry the
//! commit time, mode 0644 (0755 for executables), uid and gid 0 and no owner names.

use std::io::{self, Read, Write};

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};

/// One deflate level for every archive, so that rebuilds are byte-identical.
const LEVEL: u32 = 6;

/// An archive format a bundle can be downloaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Zip,
    TarGz,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Zip, Format::TarGz];

    /// The file extension, without the dot: `zip` or `tar.gz`.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::TarGz => "tar.gz",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Zip => "application/zip",
            Self::TarGz => "application/gzip",
        }
    }

    /// Splits `name` into the part before a known extension and the format.
    pub fn split(name: &str) -> Option<(&str, Format)> {
        if let Some(stem) = name.strip_suffix(".tar.gz") {
            Some((stem, Self::TarGz))
        } else {
            name.strip_suffix(".zip").map(|stem| (stem, Self::Zip))
        }
    }

    /// Guesses the format of an archive from its name, falling back to its first bytes.
    pub fn detect(name: &str, magic: &[u8]) -> Option<Format> {
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Self::TarGz)
        } else if name.ends_with(".zip") || magic.starts_with(b"PK") {
            Some(Self::Zip)
        } else if magic.starts_with(&[0x1f, 0x8b]) {
            Some(Self::TarGz)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

/// Writes one archive of either format.
pub enum ArchiveWriter<W: Write> {
    Zip(ZipWriter<W>),
    TarGz(Box<tar::Builder<GzEncoder<W>>>),
}

impl<W: Write> ArchiveWriter<W> {
    pub fn new(format: Format, out: W) -> Self {
        match format {
            Format::Zip => Self::Zip(ZipWriter::new(out)),
            Format::TarGz => {
                let gz = flate2::GzBuilder::new()
                    .mtime(0)
                    .operating_system(255)
                    .write(out, Compression::new(LEVEL));
                let mut builder = tar::Builder::new(gz);
                builder.mode(tar::HeaderMode::Deterministic);
                Self::TarGz(Box::new(builder))
            }
        }
    }

    /// Appends the file `path` of exactly `size` bytes read from `content`.
    pub fn add_file(
        &mut self,
        path: &str,
        size: u64,
        mtime: i64,
        executable: bool,
        content: &mut dyn Read,
    ) -> io::Result<()> {
        match self {
            Self::Zip(zip) => zip.add_file(path, size, mtime, executable, content),
            Self::TarGz(tar) => {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(size);
                header.set_mode(if executable { 0o755 } else { 0o644 });
                header.set_mtime(mtime.max(0) as u64);
                header.set_uid(0);
                header.set_gid(0);
                let mut exact = ExactReader {
                    inner: content,
                    left: size,
                };
                tar.append_data(&mut header, path, &mut exact)?;
                exact.finish()
            }
        }
    }

    /// Writes the archive's trailer and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Self::Zip(zip) => zip.finish(),
            Self::TarGz(tar) => tar.into_inner()?.finish(),
        }
    }
}

/// Reads exactly `left` bytes from `inner`; more or fewer is an error, so that a blob whose
/// size changed under us can never produce a well-formed but wrong archive.
struct ExactReader<'a> {
    inner: &'a mut dyn Read,
    left: u64,
}

impl Read for ExactReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let got = self.inner.read(&mut buf[..want])?;
        if got == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shorter than its recorded size",
            ));
        }
        self.left -= got as u64;
        Ok(got)
    }
}

impl ExactReader<'_> {
    fn finish(self) -> io::Result<()> {
        if self.left > 0 || self.inner.read(&mut [0u8; 1])? > 0 {
            return Err(io::Error::other("file size differs from its recorded size"));
        }
        Ok(())
    }
}

/// Counts the bytes written through it.
struct Counter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// General purpose flags: sizes and CRC follow the data (bit 3); names are UTF-8 (bit 11).
const FLAGS: u16 = (1 << 3) | (1 << 11);
const DEFLATE: u16 = 8;
/// "Made by" Unix (3), so that readers take the mode from the external attributes.
const MADE_BY_UNIX: u16 = 3 << 8;
/// An entry at least this big might deflate past 4 GiB (incompressible data grows by a few
/// bytes per block), so its sizes go into Zip64 fields; 256 MiB is far more than that growth.
const ZIP64_ENTRY: u64 = 0xF000_0000;

/// A streaming, deterministic zip writer (deflate only).
pub struct ZipWriter<W: Write> {
    out: Counter<W>,
    central: Vec<u8>,
    entries: u64,
}

impl<W: Write> ZipWriter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out: Counter {
                inner: out,
                count: 0,
            },
            central: Vec::new(),
            entries: 0,
        }
    }

    fn add_file(
        &mut self,
        path: &str,
        size: u64,
        mtime: i64,
        executable: bool,
        content: &mut dyn Read,
    ) -> io::Result<()> {
        let name = path.as_bytes();
        if name.len() > u16::MAX as usize {
            return Err(io::Error::other(format!("path too long for zip: {path}")));
        }
        let offset = self.out.count;
        let (time, date) = dos_time(mtime);
        let zip64_sizes = size >= ZIP64_ENTRY;
        let version = if zip64_sizes { 45 } else { 20 };

        // Local header: CRC and sizes are zero here and follow in the data descriptor.
        let mut header = Vec::with_capacity(30 + name.len() + 20);
        put32(&mut header, LOCAL_HEADER);
        put16(&mut header, version);
        put16(&mut header, FLAGS);
        put16(&mut header, DEFLATE);
        put16(&mut header, time);
        put16(&mut header, date);
        put32(&mut header, 0);
        let placeholder = if zip64_sizes { 0xFFFF_FFFF } else { 0 };
        put32(&mut header, placeholder);
        put32(&mut header, placeholder);
        put16(&mut header, name.len() as u16);
        put16(&mut header, if zip64_sizes { 20 } else { 0 });
        header.extend_from_slice(name);
        if zip64_sizes {
            put16(&mut header, 0x0001);
            put16(&mut header, 16);
            put64(&mut header, 0);
            put64(&mut header, 0);
        }
        self.out.write_all(&header)?;

        // Data: deflated while it streams, with its CRC computed on the way.
        let start = self.out.count;
        let mut crc = crc32fast::Hasher::new();
        let mut deflate = DeflateEncoder::new(&mut self.out, Compression::new(LEVEL));
        let mut exact = ExactReader {
            inner: content,
            left: size,
        };
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = exact.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            crc.update(&buffer[..n]);
            deflate.write_all(&buffer[..n])?;
        }
        exact.finish()?;
        deflate.finish()?;
        let compressed = self.out.count - start;
        let crc = crc.finalize();

        let mut descriptor = Vec::with_capacity(24);
        put32(&mut descriptor, DATA_DESCRIPTOR);
        put32(&mut descriptor, crc);
        if zip64_sizes {
            put64(&mut descriptor, compressed);
            put64(&mut descriptor, size);
        } else {
            put32(&mut descriptor, compressed as u32);
            put32(&mut descriptor, size as u32);
        }
        self.out.write_all(&descriptor)?;

        // Central directory record, kept until the end.
        let big_sizes = zip64_sizes || compressed > 0xFFFF_FFFE;
        let big_offset = offset > 0xFFFF_FFFE;
        let mut extra = Vec::new();
        if big_sizes || big_offset {
            put16(&mut extra, 0x0001);
            put16(
                &mut extra,
                if big_sizes { 16 } else { 0 } + if big_offset { 8 } else { 0 },
            );
            if big_sizes {
                put64(&mut extra, size);
                put64(&mut extra, compressed);
            }
            if big_offset {
                put64(&mut extra, offset);
            }
        }
        let version = if big_sizes || big_offset { 45 } else { 20 };
        let c = &mut self.central;
        put32(c, CENTRAL_HEADER);
        put16(c, MADE_BY_UNIX | version);
        put16(c, version);
        put16(c, FLAGS);
        put16(c, DEFLATE);
        put16(c, time);
        put16(c, date);
        put32(c, crc);
        put32(
            c,
            if big_sizes {
                0xFFFF_FFFF
            } else {
                compressed as u32
            },
        );
        put32(c, if big_sizes { 0xFFFF_FFFF } else { size as u32 });
        put16(c, name.len() as u16);
        put16(c, extra.len() as u16);
        put16(c, 0); // comment
        put16(c, 0); // disk
        put16(c, 0); // internal attributes
        let mode: u32 = if executable { 0o100755 } else { 0o100644 };
        put32(c, mode << 16);
        put32(
            c,
            if big_offset {
                0xFFFF_FFFF
            } else {
                offset as u32
            },
        );
        c.extend_from_slice(name);
        c.extend_from_slice(&extra);
        self.entries += 1;
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        let central_offset = self.out.count;
        let central = std::mem::take(&mut self.central);
        self.out.write_all(&central)?;
        let central_size = central.len() as u64;
        let zip64 =
            self.entries > 0xFFFE || central_size > 0xFFFF_FFFE || central_offset > 0xFFFF_FFFE;
        let mut end = Vec::new();
        if zip64 {
            let record_offset = self.out.count;
            put32(&mut end, ZIP64_END_OF_CENTRAL);
            put64(&mut end, 44);
            put16(&mut end, MADE_BY_UNIX | 45);
            put16(&mut end, 45);
            put32(&mut end, 0);
            put32(&mut end, 0);
            put64(&mut end, self.entries);
            put64(&mut end, self.entries);
            put64(&mut end, central_size);
            put64(&mut end, central_offset);
            put32(&mut end, ZIP64_LOCATOR);
            put32(&mut end, 0);
            put64(&mut end, record_offset);
            put32(&mut end, 1);
        }
        let clamp16 = |n: u64| if zip64 { 0xFFFF } else { n as u16 };
        let clamp32 = |n: u64| if zip64 { 0xFFFF_FFFF } else { n as u32 };
        put32(&mut end, END_OF_CENTRAL);
        put16(&mut end, 0);
        put16(&mut end, 0);
        put16(&mut end, clamp16(self.entries));
        put16(&mut end, clamp16(self.entries));
        put32(&mut end, clamp32(central_size));
        put32(&mut end, clamp32(central_offset));
        put16(&mut end, 0);
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out.inner)
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}
fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}
fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// MS-DOS time and date (UTC; two-second resolution), clamped to the range DOS can express.
fn dos_time(seconds: i64) -> (u16, u16) {
    let at = time::OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let (year, month, day, hour, minute, second) = if at.year() < 1980 {
        (1980, 1, 1, 0, 0, 0)
    } else if at.year() > 2107 {
        (2107, 12, 31, 23, 59, 58)
    } else {
        (
            at.year() as u16,
            u8::from(at.month()) as u16,
            at.day() as u16,
            at.hour() as u16,
            at.minute() as u16,
            at.second() as u16,
        )
    };
    (
        (hour << 11) | (minute << 5) | (second / 2),
        ((year - 1980) << 9) | (month << 5) | day,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(format: Format, files: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut writer = ArchiveWriter::new(format, Vec::new());
        for (path, data, executable) in files {
            writer
                .add_file(
                    path,
                    data.len() as u64,
                    1_700_000_000,
                    *executable,
                    &mut &data[..],
                )
                .unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn zip_is_read_back_by_an_independent_reader() {
        let big: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let files: &[(&str, &[u8], bool)] = &[
            ("top/a.txt", b"hello", false),
            ("top/empty", b"", false),
            ("top/dir/run.sh", b"#!/bin/sh\necho hi\n", true),
            ("top/big.bin", &big, false),
            ("top/ünïcode ☃.md", b"snow", false),
        ];
        let bytes = build(Format::Zip, files);
        assert_eq!(bytes, build(Format::Zip, files), "two builds differ");
        let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), files.len());
        for (i, (path, data, executable)) in files.iter().enumerate() {
            let mut entry = archive.by_index(i).unwrap();
            assert_eq!(entry.name().unwrap(), *path);
            let mode = entry.unix_mode().unwrap();
            assert_eq!(mode & 0o777, if *executable { 0o755 } else { 0o644 });
            let modified = entry.last_modified().unwrap();
            assert_eq!(
                (modified.year(), modified.month(), modified.day()),
                (2023, 11, 14)
            );
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            assert_eq!(&content, data, "{path}");
        }
    }

    #[test]
    fn zip64_end_records_appear_past_65535_entries() {
        let names: Vec<String> = (0..70_000).map(|i| format!("t/{i:05}")).collect();
        let mut writer = ArchiveWriter::new(Format::Zip, Vec::new());
        for name in &names {
            writer.add_file(name, 1, 0, false, &mut &b"x"[..]).unwrap();
        }
        let bytes = writer.finish().unwrap();
        let archive = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 70_000);
    }

    #[test]
    fn tar_gz_is_deterministic_and_keeps_long_names_and_modes() {
        let long = format!("top/{}/file.txt", "d".repeat(150));
        let files: &[(&str, &[u8], bool)] = &[
            (&long, b"deep", false),
            ("top/run.sh", b"#!/bin/sh\n", true),
        ];
        let bytes = build(Format::TarGz, files);
        assert_eq!(bytes, build(Format::TarGz, files));
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let mode = entry.header().mode().unwrap();
            assert_eq!(entry.header().mtime().unwrap(), 1_700_000_000);
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            seen.push((path, content, mode));
        }
        assert_eq!(
            seen,
            vec![
                (long.clone(), b"deep".to_vec(), 0o644),
                ("top/run.sh".to_owned(), b"#!/bin/sh\n".to_vec(), 0o755)
            ]
        );
    }

    #[test]
    fn a_file_shorter_than_its_size_is_an_error_not_a_silent_archive() {
        for format in Format::ALL {
            let mut writer = ArchiveWriter::new(format, Vec::new());
            let err = writer
                .add_file("t/x", 10, 0, false, &mut &b"short"[..])
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{format}");
        }
    }

    #[test]
    fn dos_times_are_clamped_to_what_dos_can_express() {
        assert_eq!(dos_time(0), (0, (1 << 5) | 1));
        // 2024-03-01 10:00:02 UTC
        assert_eq!(
            dos_time(1_709_287_202),
            ((10 << 11) | 1, (44 << 9) | (3 << 5) | 1)
        );
    }
}
