//! The addresses `serve --http` and `--metrics` listen on, written as people
//! write them: `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, or a port
//! alone.

use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};

const EXAMPLES: &str = "e.g. 127.0.0.1:8080, localhost:8080, [::1]:8080 or 8080";

/// A port alone (`8080` or `:8080`) listens on loopback, where nothing
/// else can reach it: other machines are reached only by naming an
/// address, which `--allow-remote` must then confirm.
pub(super) fn parse_listen_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let port_alone = text.strip_prefix(':').unwrap_or(text);
    if !port_alone.is_empty() && port_alone.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = port_alone
            .parse()
            .map_err(|_| format!("`{text}` is not a port (0 to 65535); {EXAMPLES}"))?;
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(format!(
            "`{text}` has no port; give HOST:PORT or a port alone, {EXAMPLES}"
        ));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!(
            "`{text}` is not an address to listen on; give HOST:PORT or a port alone, {EXAMPLES}"
        ));
    }
    let found: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|error| format!("cannot find the address of `{host}`: {error}; {EXAMPLES}"))?
        .collect();
    // `localhost` is often both ::1 and 127.0.0.1; clients try 127.0.0.1
    // first more often than not, so an IPv4 address is preferred.
    found
        .iter()
        .find(|addr| addr.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| format!("`{host}` has no address; {EXAMPLES}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_alone_listens_on_loopback() {
        for text in ["8080", ":8080", " 8080 "] {
            assert_eq!(
                parse_listen_address(text).unwrap(),
                "127.0.0.1:8080".parse::<SocketAddr>().unwrap(),
                "{text}"
            );
        }
    }

    #[test]
    fn addresses_and_host_names_are_accepted() {
        assert_eq!(
            parse_listen_address("[::1]:9000").unwrap(),
            "[::1]:9000".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_listen_address("0.0.0.0:0").unwrap(),
            "0.0.0.0:0".parse::<SocketAddr>().unwrap()
        );
        let local = parse_listen_address("localhost:8080").unwrap();
        assert!(local.ip().is_loopback(), "{local}");
        assert_eq!(local.port(), 8080);
    }

    #[test]
    fn a_wrong_address_says_what_is_expected_with_examples() {
        for (text, says) in [
            ("localhost", "has no port"),
            ("70000", "is not a port"),
            ("localhost:http", "is not an address to listen on"),
            (":", "is not an address to listen on"),
            ("", "has no port"),
        ] {
            let error = parse_listen_address(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
            assert!(error.contains("localhost:8080"), "{text}: {error}");
        }
    }
}
