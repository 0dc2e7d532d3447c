//! The Atelier server as a library: configuration, the git store, accounts, search, labor,
//! bundles, the sample importer and the HTTP application. `main.rs` is a thin command line over it; tests build the same [`http::app`].

pub mod accounts;
pub mod blobs;
pub mod bom;
pub mod bundle;
pub mod catalog;
pub mod config;
pub mod convert;
pub mod db;
pub mod drawing;
pub mod events;
pub mod format;
pub mod hooks;
pub mod http;
pub mod images;
pub mod import;
pub mod labor;
pub mod manifest;
pub mod markdown;
pub mod mesh;
pub mod names;
pub mod proposals;
pub mod renders;
pub mod scad;
pub mod scaffold;
pub mod search;
pub mod server;
pub mod store;
pub mod tail;
pub mod uploads;
pub mod work;

pub use config::Config;
pub use server::{App, AppState};
