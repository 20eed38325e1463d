//! The listener's own limits: a client that sends nothing (or half a
//! header) is closed after the header time, and one address cannot hold
//! more than its share of connections — the few thousand silent sockets
//! that stopped the server during the hardening probe.

use crate::helpers::TestApp;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use zhunong::serve::{Limits, serve};

async fn start(app: &TestApp, per_address: usize) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits =
        Limits { header_read: Duration::from_secs(1), connections: 64, per_address, trusted: Vec::new(), drain: Duration::from_secs(5) };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, app.router.clone(), limits, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

async fn connect_from(local: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Reads until the server closes; a guard, not a measure: the closing is
/// what is asserted.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    matches!(tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await, Ok(Ok(_)))
}

/// Asks for `/healthz` and reads the whole answer; "" when the server
/// closed the connection without one.
async fn healthz(stream: &mut TcpStream) -> String {
    if stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    match tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await {
        Ok(Ok(_)) => String::from_utf8_lossy(&buf).into_owned(),
        Ok(Err(_)) => String::new(),
        Err(_) => panic!("no answer and no close within 20 s"),
    }
}

#[tokio::test]
async fn a_client_that_sends_half_a_header_is_closed_and_others_are_served() {
    let app = TestApp::bare().await;
    let (addr, _stop) = start(&app, 16).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    assert!(closed_by_server(&mut silent).await, "a silent connection is closed");
    assert!(closed_by_server(&mut half).await, "half a header is closed");
    let mut ok = TcpStream::connect(addr).await.unwrap();
    assert!(healthz(&mut ok).await.starts_with("HTTP/1.1 200"), "others are served");
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let app = TestApp::bare().await;
    let (addr, _stop) = start(&app, 2).await;
    let _a = connect_from("127.0.0.1", addr).await;
    let _b = connect_from("127.0.0.1", addr).await;
    let mut third = connect_from("127.0.0.1", addr).await;
    assert_eq!(healthz(&mut third).await, "", "the third connection of one address is closed unanswered");
    let mut other = connect_from("127.0.0.2", addr).await;
    assert!(healthz(&mut other).await.starts_with("HTTP/1.1 200"), "another address is served");
}

#[tokio::test]
async fn on_shutdown_a_request_in_flight_is_answered_new_connections_are_refused_and_serve_returns() {
    // A handler that waits, to be in flight when shutdown begins.
    let (entered, mut inside) = tokio::sync::mpsc::channel::<()>(1);
    let (finish, finishing) = tokio::sync::watch::channel(false);
    let router = axum::Router::new().route(
        "/slow",
        axum::routing::get(move || {
            let (entered, mut finishing) = (entered.clone(), finishing.clone());
            async move {
                let _ = entered.send(()).await;
                let _ = finishing.wait_for(|done| *done).await;
                "finished"
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = Limits {
        header_read: Duration::from_secs(5),
        connections: 64,
        per_address: 16,
        trusted: Vec::new(),
        drain: Duration::from_secs(30),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, router, limits, async move {
        let _ = stopped.await;
    }));

    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    inside.recv().await.expect("the request is in its handler");
    stop.send(()).unwrap();
    // Not accepting any more: a new connection is refused (the listener is
    // closed) or closed unanswered.
    let refused = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match TcpStream::connect(addr).await {
                Err(_) => return,
                Ok(mut late) => {
                    if healthz(&mut late).await.is_empty() {
                        return;
                    }
                }
            }
        }
    })
    .await;
    assert!(refused.is_ok(), "new connections still served after shutdown began");
    assert!(!server.is_finished(), "serve waits for the request in flight");

    finish.send(true).unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), client.read_to_end(&mut answer)).await.expect("answered and closed").unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("finished"), "{answer}");
    tokio::time::timeout(Duration::from_secs(20), server).await.expect("serve returns once the request is answered").unwrap();
}
