//! Connection limits on a real listener: a request head that never completes is dropped after
//! the header timeout, one address cannot hold more than its share of connections, trickled
//! uploads are capped and cut off without stalling anyone else, and behind a trusted proxy the
//! client's address comes from the proxy's header (and from nowhere else).

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use backend::server::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS_PER_ADDRESS};
use common::TestApp;
use serde_json::{Value, json};

async fn serving() -> (TestApp, std::net::SocketAddr) {
    serving_with(|_| {}).await
}

async fn serving_with(
    configure: impl FnOnce(&mut backend::Config),
) -> (TestApp, std::net::SocketAddr) {
    let app = TestApp::with(configure).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(backend::server::serve(
        listener,
        app.state.clone(),
        std::future::pending(),
    ));
    (app, addr)
}

/// Reads until the server closes the connection (or `limit` passes); returns what it sent.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut answer = Vec::new();
    match tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_sent_request_is_dropped_after_the_header_timeout() {
    let (_app, addr) = serving().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let start = Instant::now();
    let answer = read_to_close(&mut stream, HEADER_READ_TIMEOUT + Duration::from_secs(5))
        .await
        .expect("the server closes a connection whose head never completes");
    let waited = start.elapsed();
    assert!(
        waited >= HEADER_READ_TIMEOUT - Duration::from_secs(1),
        "closed too early: {waited:?}"
    );
    assert!(!answer.contains("200 OK"), "{answer}");
    // A complete request is answered.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_address_cannot_hold_every_connection() {
    let (_app, addr) = serving().await;
    let mut held = Vec::new();
    for _ in 0..MAX_CONNECTIONS_PER_ADDRESS {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // A started request keeps the connection busy (and counted).
        stream
            .write_all(b"GET /api/health HTTP/1.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    // Let the server accept them all.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let answer = read_to_close(&mut extra, Duration::from_secs(5))
        .await
        .expect("the connection over the cap is closed at once");
    assert!(answer.is_empty(), "{answer}");
    // Once the others go, the address is served again.
    held.clear();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

/// One request over a new connection (`Connection: close`): the status and the JSON body.
async fn exchange(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "{head}Host: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).await.unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(30))
        .await
        .expect("answered");
    parse(&answer)
}

fn parse(answer: &str) -> (u16, Value) {
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn trickled_uploads_are_capped_cut_off_and_stall_nobody() {
    use backend::http::body::IDLE;
    use backend::uploads::PER_ACCOUNT;
    let (app, addr) = serving().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let boundary = "XBOUNDARYX";
    let head = format!(
        "POST /api/designs/ada/lamp/uploads HTTP/1.1\r\nHost: x\r\nCookie: {ada}\r\n\
         {}: 1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: 10000000\r\n\r\n--{boundary}\r\nContent-Disposition: form-data; \
         name=\"file\"; filename=\"big.stl\"\r\n\r\nsolid big\n",
        api::CSRF_HEADER
    );
    // As many trickling uploads as one account may run, each sending a little, then nothing.
    let mut trickling = Vec::new();
    for _ in 0..PER_ACCOUNT {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        trickling.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    // One more is refused at once, in JSON, with a time to retry.
    let mut extra = TcpStream::connect(addr).await.unwrap();
    extra.write_all(head.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut extra, Duration::from_secs(10))
        .await
        .expect("the upload over the cap is answered at once");
    let (status, body) = parse(&answer);
    assert_eq!(status, 429, "{answer}");
    assert_eq!(body["error"]["code"], "too_many_uploads", "{answer}");
    assert!(answer.to_lowercase().contains("retry-after: 5"), "{answer}");
    // Everyone else is served meanwhile, reads of the repository included.
    for path in ["/api/health", "/api/designs/ada/lamp/tree/main"] {
        let asked = Instant::now();
        let (status, _) = exchange(addr, &format!("GET {path} HTTP/1.1\r\n"), b"").await;
        assert_eq!(status, 200, "{path}");
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "{path} took {:?}",
            asked.elapsed()
        );
    }
    // The stalled uploads are answered 408 once they have sent nothing for the idle time.
    for mut stream in trickling {
        let answer = read_to_close(&mut stream, IDLE + Duration::from_secs(10))
            .await
            .expect("a stalled upload is cut off");
        let (status, body) = parse(&answer);
        assert_eq!(status, 408, "{answer}");
        assert_eq!(body["error"]["code"], "request_timeout", "{answer}");
    }
    let waited = started.elapsed();
    assert!(
        waited >= IDLE - Duration::from_secs(2),
        "cut off too early: {waited:?}"
    );
    // Their places are free again: the account can upload.
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--{boundary}--\r\n"
    )
    .into_bytes();
    let (status, uploaded) = exchange(
        addr,
        &format!(
            "POST /api/designs/ada/lamp/uploads HTTP/1.1\r\nCookie: {ada}\r\n{}: 1\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n",
            api::CSRF_HEADER
        ),
        &std::mem::take(&mut body),
    )
    .await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["size"], 5);
}

/// Signs up `name` over the listener, with `forwarded` as `X-Forwarded-For` when given.
async fn sign_up_over(addr: std::net::SocketAddr, name: &str, forwarded: Option<&str>) -> u16 {
    let body = json!({
        "username": name,
        "email": format!("{name}@example.org"),
        "password": common::password(name),
    })
    .to_string();
    let forwarded = forwarded.map_or(String::new(), |f| format!("X-Forwarded-For: {f}\r\n"));
    let head = format!(
        "POST /api/accounts HTTP/1.1\r\nContent-Type: application/json\r\n{}: 1\r\n{forwarded}",
        api::CSRF_HEADER
    );
    exchange(addr, &head, body.as_bytes()).await.0
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_limits_apply_to_the_forwarded_client() {
    use backend::accounts::SIGN_UPS_PER_HOUR;
    let (_app, addr) = serving_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    // Each forwarded client has its own allowance …
    for n in 0..=SIGN_UPS_PER_HOUR {
        let client = format!("198.51.100.{n}");
        let status = sign_up_over(
            addr,
            &format!("far{n}"),
            Some(&format!("{client}, 127.0.0.1")),
        )
        .await;
        assert_eq!(status, 201, "client {client}");
    }
    // … and one client is limited whatever proxy hop it came through.
    let mut statuses = Vec::new();
    for n in 0..=SIGN_UPS_PER_HOUR {
        statuses.push(sign_up_over(addr, &format!("near{n}"), Some("203.0.113.9")).await);
    }
    assert_eq!(statuses.pop(), Some(429), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forwarded_header_from_an_untrusted_peer_is_ignored() {
    use backend::accounts::SIGN_UPS_PER_HOUR;
    let (_app, addr) = serving().await;
    // Spoofing a new address for every sign-up does not escape the peer's limit.
    let mut statuses = Vec::new();
    for n in 0..=SIGN_UPS_PER_HOUR {
        let spoofed = format!("198.51.100.{n}");
        statuses.push(sign_up_over(addr, &format!("spoof{n}"), Some(&spoofed)).await);
    }
    assert_eq!(statuses.pop(), Some(429), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_request_heads_get_json_errors() {
    use backend::http::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI};
    let (_app, addr) = serving().await;
    let long = format!(
        "GET /api/designs?q={} HTTP/1.1\r\n",
        "a".repeat(MAX_URI + 1)
    );
    let (status, body) = exchange(addr, &long, b"").await;
    assert_eq!(status, 414);
    assert_eq!(body["error"]["code"], "uri_too_long", "{body}");

    let many: String = (0..=MAX_HEADERS)
        .map(|n| format!("X-Filler-{n}: {n}\r\n"))
        .collect();
    let (status, body) = exchange(addr, &format!("GET /api/health HTTP/1.1\r\n{many}"), b"").await;
    assert_eq!(status, 431);
    assert_eq!(body["error"]["code"], "headers_too_large", "{body}");

    let big = format!(
        "GET /api/health HTTP/1.1\r\nX-Big: {}\r\n",
        "b".repeat(MAX_HEADER_BYTES)
    );
    let (status, body) = exchange(addr, &big, b"").await;
    assert_eq!(status, 431);
    assert_eq!(body["error"]["code"], "headers_too_large", "{body}");

    // Just inside the limits is served.
    let (status, _) = exchange(
        addr,
        &format!("GET /api/health?{} HTTP/1.1\r\n", "a".repeat(MAX_URI - 20)),
        b"",
    )
    .await;
    assert_eq!(status, 200);
}
