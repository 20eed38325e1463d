//! The HTTP listener: accepts connections and serves the router on each,
//! with the limits that `axum::serve` does not set (issue 16, follow-up of
//! the hardening probe).
//!
//! - **Slow or silent clients.** A connection must send a request's whole
//!   header within [`Limits::header_read`] — also when it sits idle between
//!   requests on keep-alive — or it is closed. Without this, a few thousand
//!   sockets that never send a byte held every file descriptor the process
//!   may open, and the marketplace stopped answering anyone.
//! - **How many at once.** At most [`Limits::connections`] connections in
//!   all and [`Limits::per_address`] from one address (IPv6: one /64, as
//!   [`crate::auth::client_of`] counts clients; a trusted proxy's
//!   own address is not capped: every client arrives through it); one more
//!   is closed at once rather than queued.
//! - **Header size.** At most 64 KiB of request line and headers.
//! - **Shutdown.** No new connection is accepted; open ones finish their
//!   request in flight and close (keep-alive ends), for at most
//!   [`Limits::drain`].
//!
//! Every request carries the peer's address as axum's `ConnectInfo`, which
//! the sign-in limiter reads.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// The listener's limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time a client has to send a request's header (and to start the next
    /// one on an idle keep-alive connection).
    pub header_read: Duration,
    /// Connections open at once, in all.
    pub connections: usize,
    /// Connections open at once from one address.
    pub per_address: usize,
    /// Addresses not capped per address (reverse proxies).
    pub trusted: Vec<crate::config::IpRange>,
    /// How long shutdown waits for open connections.
    pub drain: Duration,
}

impl Limits {
    /// The limits of a server with this configuration: 15 s for a header,
    /// 4,096 connections (the process must be allowed more open files:
    /// `ulimit -n`), 256 from one address — a school behind one NAT address
    /// has room, one machine cannot hold the rest.
    pub fn of(config: &crate::config::Config) -> Limits {
        Limits {
            header_read: Duration::from_secs(15),
            connections: 4096,
            per_address: 256,
            trusted: config.trusted_proxies.clone(),
            drain: Duration::from_secs(30),
        }
    }
}

/// Connections open per address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One open connection of an address; counts it out when dropped.
struct AddressSlot(Arc<PerAddress>, IpAddr);

impl PerAddress {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot(self.clone(), ip))
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets
/// open connections finish (see the module documentation).
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let connections = Arc::new(Semaphore::new(limits.connections));
    let per_address = Arc::new(PerAddress::default());
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: the listener
                    // stays; try again shortly rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            continue; // dropping the stream closes it
        };
        let address_slot = if limits.trusted.iter().any(|r| r.contains(peer.ip())) {
            None
        } else {
            match per_address.take(crate::auth::client_of(peer.ip()), limits.per_address) {
                Some(s) => Some(s),
                None => continue,
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone().map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        }));
        let mut closed = closed.clone();
        let header_read = limits.header_read;
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read).max_buf_size(64 * 1024).max_header_size(64 * 1024);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            loop {
                tokio::select! {
                    _ = conn.as_mut() => break,
                    changed = closed.changed() => {
                        if changed.is_err() || *closed.borrow() {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.as_mut().await;
                            break;
                        }
                    }
                }
            }
            drop(address_slot);
            drop(slot);
        });
    }
    drop(listener);
    let _ = closing.send(true);
    let all = u32::try_from(limits.connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.drain, connections.acquire_many(all)).await.is_err() {
        tracing::warn!("connections still open after the drain time; closing them");
    }
}
