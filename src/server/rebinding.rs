//! Defences against DNS rebinding, for every endpoint of both ports.
//!
//! A web page whose DNS name is made to resolve to this machine becomes
//! same-origin with a local server, and can read what it answers. Its
//! requests name the attacker's DNS name in `Host`, so a loopback server
//! answers only a `Host` that is `localhost` or an IP address (a page cannot
//! be served from an address it does not hold), unless serving remotely was
//! asked for. A browser's cross-origin requests carry `Origin`, which must be
//! a loopback origin or one allowed explicitly; clients that are not
//! browsers send none. `/mcp`, `/metrics`, `/healthz` and `/readyz` all pass
//! the same checks, where a check on `/mcp` alone leaves the rest readable.

use std::net::IpAddr;

use http::{HeaderMap, StatusCode, Uri};

pub struct Rebinding {
    /// Any `Host` is answered (`--allow-remote`).
    any_host: bool,
    /// Origins as rmcp's allow-list spells them: `scheme://host[:port|:*]` or `null`.
    origins: Vec<String>,
}

impl Rebinding {
    /// Loopback origins (any port) and `extra` are allowed.
    pub fn new(any_host: bool, extra: &[String]) -> Rebinding {
        let mut origins: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .flat_map(|host| [format!("http://{host}:*"), format!("https://{host}:*")])
            .collect();
        origins.extend(extra.iter().cloned());
        Rebinding { any_host, origins }
    }

    /// The allowed origins, for rmcp's own check of `/mcp`.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// Why a request with `uri` and `headers` is refused, if it is.
    pub fn refusal(&self, uri: &Uri, headers: &HeaderMap) -> Option<(StatusCode, &'static str)> {
        // An absolute-form target (`GET http://name/metrics`) names the host
        // too, and a server may take it over `Host`: every name a request
        // gives must be answered for, and two `Host` headers are refused.
        let mut given = headers.get_all(http::header::HOST).iter();
        let header = given.next();
        if given.next().is_some() {
            return Some((StatusCode::BAD_REQUEST, "more than one Host header"));
        }
        let header = match header {
            Some(host) => match host.to_str().ok().and_then(|h| h.parse().ok()) {
                Some(host) => Some(host),
                None => return Some((StatusCode::BAD_REQUEST, "the Host header is malformed")),
            },
            None => None,
        };
        let names: Vec<&http::uri::Authority> = header.iter().chain(uri.authority()).collect();
        if names.is_empty() {
            return Some((StatusCode::BAD_REQUEST, "the Host header is missing"));
        }
        if !self.any_host && !names.iter().all(|name| local_name(name.host())) {
            return Some((
                StatusCode::FORBIDDEN,
                "the Host header names a host this server does not answer for (DNS rebinding?); use localhost or an IP address, or serve with --allow-remote",
            ));
        }
        let mut origins = headers.get_all(http::header::ORIGIN).iter();
        let origin = origins.next()?;
        let allowed = origins.next().is_none()
            && origin
                .to_str()
                .ok()
                .and_then(Origin::parse)
                .is_some_and(|origin| self.allows(&origin));
        (!allowed).then_some((
            StatusCode::FORBIDDEN,
            "the Origin header names a web page this server does not answer (see --allow-origin)",
        ))
    }

    fn allows(&self, origin: &Origin) -> bool {
        self.origins
            .iter()
            .filter_map(|allowed| Allowed::parse(allowed))
            .any(|allowed| allowed.matches(origin))
    }
}

/// Whether a `Host` can only be this machine's own name: `localhost` or an
/// IP address.
fn local_name(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok()
}

/// An `Origin` as rmcp reads it: `null`, or a scheme, host and maybe port.
#[derive(Debug, PartialEq)]
enum Origin {
    Null,
    Tuple {
        scheme: String,
        host: String,
        port: Option<u16>,
    },
}

impl Origin {
    fn parse(value: &str) -> Option<Origin> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("null") {
            return Some(Origin::Null);
        }
        let uri = Uri::try_from(value).ok()?;
        let authority = uri.authority()?;
        Some(Origin::Tuple {
            scheme: uri.scheme_str()?.to_ascii_lowercase(),
            host: normalized_host(authority.host()),
            port: authority.port_u16(),
        })
    }
}

fn normalized_host(host: &str) -> String {
    host.trim_matches('[')
        .trim_matches(']')
        .to_ascii_lowercase()
}

/// An allow-list entry: `:*` allows any port, none allows any port too (as
/// rmcp still does), a number that port (the scheme's default included).
enum Allowed {
    Null,
    Tuple {
        scheme: String,
        host: String,
        port: Option<u16>,
    },
}

impl Allowed {
    fn parse(value: &str) -> Option<Allowed> {
        let value = value.trim();
        if let Some(base) = value.strip_suffix(":*") {
            return match Origin::parse(base)? {
                Origin::Tuple {
                    scheme,
                    host,
                    port: None,
                } => Some(Allowed::Tuple {
                    scheme,
                    host,
                    port: None,
                }),
                _ => None,
            };
        }
        Some(match Origin::parse(value)? {
            Origin::Null => Allowed::Null,
            Origin::Tuple { scheme, host, port } => Allowed::Tuple { scheme, host, port },
        })
    }

    fn matches(&self, origin: &Origin) -> bool {
        match (self, origin) {
            (Allowed::Null, Origin::Null) => true,
            (
                Allowed::Tuple { scheme, host, port },
                Origin::Tuple {
                    scheme: o_scheme,
                    host: o_host,
                    port: o_port,
                },
            ) => {
                scheme == o_scheme
                    && host == o_host
                    && port
                        .is_none_or(|port| o_port.or_else(|| default_port(o_scheme)) == Some(port))
            }
            _ => false,
        }
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn refused(rebinding: &Rebinding, host: Option<&str>, origin: Option<&str>) -> bool {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(http::header::HOST, host.parse().unwrap());
        }
        if let Some(origin) = origin {
            headers.insert(http::header::ORIGIN, origin.parse().unwrap());
        }
        rebinding
            .refusal(&Uri::from_static("/metrics"), &headers)
            .is_some()
    }

    #[test]
    fn hosts_are_this_machine_unless_remote() {
        let local = Rebinding::new(false, &[]);
        for host in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1:9464",
            "[::1]:80",
            "10.1.2.3:9464",
        ] {
            assert!(!refused(&local, Some(host), None), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:9464",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "localhost.",
        ] {
            assert!(refused(&local, Some(host), None), "{host}");
        }
        assert!(refused(&local, None, None), "no Host at all");
        // A rebound name in the request target, or in a second Host header.
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, "127.0.0.1".parse().unwrap());
        let absolute = Uri::from_static("http://evil.example/metrics");
        assert!(local.refusal(&absolute, &headers).is_some());
        let absolute = Uri::from_static("http://localhost:9464/metrics");
        assert!(local.refusal(&absolute, &headers).is_none());
        assert!(local.refusal(&absolute, &HeaderMap::new()).is_none());
        headers.append(http::header::HOST, "evil.example".parse().unwrap());
        assert!(
            local
                .refusal(&Uri::from_static("/metrics"), &headers)
                .is_some()
        );
        let remote = Rebinding::new(true, &[]);
        assert!(!refused(&remote, Some("codemode.internal:8080"), None));
    }

    #[test]
    fn origins_are_loopback_or_allowed() {
        let rebinding = Rebinding::new(true, &["https://app.example.com:443".to_owned()]);
        for origin in [
            "http://localhost:6274",
            "https://127.0.0.1",
            "http://[::1]:3000",
            "https://app.example.com",
            "HTTPS://APP.example.com:443",
        ] {
            assert!(!refused(&rebinding, Some("x"), Some(origin)), "{origin}");
        }
        for origin in [
            "http://evil.example",
            "null",
            "https://app.example.com:8443",
            "http://app.example.com",
            "http://localhost@evil.example",
            "not an origin",
        ] {
            assert!(refused(&rebinding, Some("x"), Some(origin)), "{origin}");
        }
        // Two Origin headers: the second could be the one a proxy reads.
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, "localhost".parse().unwrap());
        headers.append(http::header::ORIGIN, "http://localhost:1".parse().unwrap());
        headers.append(http::header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(
            rebinding
                .refusal(&Uri::from_static("/"), &headers)
                .is_some()
        );
    }

    #[derive(Clone)]
    struct Nothing;
    impl rmcp::ServerHandler for Nothing {}

    /// Whether rmcp, configured as `serve` configures it, refuses `origin`.
    async fn rmcp_refuses(rebinding: &Rebinding, origin: &str) -> bool {
        use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
        use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
        let config = StreamableHttpServerConfig::default()
            .with_allowed_origins(rebinding.origins().to_vec())
            .enforce_origin_validation()
            .disable_allowed_hosts();
        let sessions = Arc::new(LocalSessionManager::default());
        let service = StreamableHttpService::new(|| Ok(Nothing), sessions, config);
        // A method rmcp does not serve: only the checks before it answer.
        let request = http::Request::builder()
            .method("PUT")
            .uri("/mcp")
            .header(http::header::HOST, "localhost")
            .header(http::header::ORIGIN, origin)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        service.handle(request).await.status() == StatusCode::FORBIDDEN
    }

    /// The check of every endpoint and rmcp's of `/mcp` agree on origins.
    #[tokio::test]
    async fn origins_get_rmcps_verdict() {
        let allowed = [
            "https://app.example.com:443",
            "http://tool.example",
            "https://wild.example:*",
            "null",
        ];
        let rebinding = Rebinding::new(false, &allowed.map(str::to_owned));
        let schemes = ["http", "https", "HTTP", "ftp", "chrome-extension"];
        let hosts = [
            "localhost",
            "127.0.0.1",
            "[::1]",
            "app.example.com",
            "APP.EXAMPLE.COM",
            "tool.example",
            "wild.example",
            "evil.example",
            "localhost@evil.example",
            "127.0.0.1.evil.example",
        ];
        let ports = ["", ":80", ":443", ":8443", ":6274", ":0"];
        let mut origins = vec!["null".to_owned(), "NULL".to_owned(), "garbage".to_owned()];
        for scheme in schemes {
            for host in hosts {
                for port in ports {
                    origins.push(format!("{scheme}://{host}{port}"));
                    origins.push(format!("{scheme}://{host}{port}/path"));
                }
            }
        }
        for origin in origins {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::HOST, "localhost".parse().unwrap());
            headers.insert(http::header::ORIGIN, origin.parse().unwrap());
            let ours = rebinding
                .refusal(&Uri::from_static("/mcp"), &headers)
                .is_some();
            assert_eq!(ours, rmcp_refuses(&rebinding, &origin).await, "{origin}");
        }
    }
}
