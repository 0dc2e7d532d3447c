//! Connection limits on a real listener: a request head that never completes is dropped after
//! the header timeout, and one address cannot hold more than its share of connections.

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use backend::server::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS_PER_ADDRESS};
use common::TestApp;

async fn serving() -> (TestApp, std::net::SocketAddr) {
    let app = TestApp::new().await;
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
