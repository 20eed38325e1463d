//! The address of the client, as far as it can be known behind proxies.

use crate::app::AppState;
use crate::config::IpRange;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The address of the client, for the sign-in limiter: the peer of the
/// connection, or — when the peer is a configured trusted proxy — the
/// right-most address in `X-Forwarded-For` that is not a trusted proxy.
/// Never a rejection: without connection info (a test calling the router
/// directly) it is the unspecified address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientAddr(client_address(peer, &parts.headers, &state.config.trusted_proxies)))
    }
}

/// See [`ClientAddr`]. Why the right-most untrusted address: each proxy
/// appends the address it received the request from, so everything left
/// of the last trusted hop was written by the client and may be invented;
/// the hop a trusted proxy appended is the first address nobody else could
/// choose.
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let Some(peer) = peer else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop a trusted proxy wrote is well-formed; one that is not is
        // the client's invention, and the proxy that passed it on is the
        // best we know.
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(ip) {
            return ip;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, maybe with a port, maybe in
/// brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sock) = hop.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_client_is_the_right_most_address_no_trusted_proxy_wrote() {
        let proxies = [IpRange::parse("10.0.0.0/8").unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Straight from the internet: the peer, whatever the header says.
        assert_eq!(client_address(Some(ip("198.51.100.7")), &forwarded("203.0.113.1"), &proxies), ip("198.51.100.7"));
        // Through the proxy: the hop it appended, not what the client wrote before it.
        let h = forwarded("1.2.3.4, 203.0.113.9, 10.0.0.2");
        assert_eq!(client_address(Some(ip("10.0.0.1")), &h, &proxies), ip("203.0.113.9"));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded("[2001:db8::1]:4711"), &proxies), ip("2001:db8::1"));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded("garbage, 10.0.0.3"), &proxies), ip("10.0.0.3"));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &HeaderMap::new(), &proxies), ip("10.0.0.1"));
        // No trusted proxies configured: the header is never believed.
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded("203.0.113.9"), &[]), ip("10.0.0.1"));
        assert_eq!(client_address(None, &forwarded("203.0.113.9"), &proxies), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
}
