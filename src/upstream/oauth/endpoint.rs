//! Which addresses an authorization server may send codemode to. Its
//! metadata is the server's word: an `authorization_endpoint` of
//! `file:///etc/passwd`, `javascript:` or `-option` handed to `$BROWSER`
//! or `xdg-open` is the class of a known remote-code-execution flaw in MCP
//! OAuth clients, and a token endpoint on plain HTTP sends codes and
//! refresh tokens in the clear. So only `https:` addresses are used, and
//! `http:` ones on this machine (RFC 8252's loopback redirect).

use rmcp::transport::auth::AuthorizationMetadata;
use url::{Host, Url};

/// Why `address` may not be used; `None` when it may.
pub(super) fn refusal(address: &str) -> Option<&'static str> {
    if address.starts_with('-') {
        return Some("which starts with `-`, so a browser would take it for an option");
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("which holds spaces or control characters");
    }
    let Ok(url) = Url::parse(address) else {
        return Some("which is not a URL");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Some("which carries a user name or password");
    }
    match url.scheme() {
        "https" if url.host().is_some() => None,
        "http" if on_this_machine(&url) => None,
        "http" => Some("which is plain http: to another machine"),
        _ => Some("which is not an https: address"),
    }
}

fn on_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `server`'s refusal of `address` (named `what`) as an error that says
/// what to do.
pub(super) fn refused(server: &str, what: &str, address: &str, problem: &str) -> anyhow::Error {
    let shown: String = address.chars().take(200).collect();
    anyhow::anyhow!(
        "{server}: its authorization server gives {shown:?} as its {what}, {problem}; codemode uses only https: addresses (or http: ones on this machine), so it stopped before using any. The server's OAuth metadata is wrong or hostile: check the server's URL in your config and tell its operator"
    )
}

/// Checks every endpoint of `metadata` that codemode would open or send
/// to: authorization, token and registration.
pub(super) fn check_metadata(server: &str, metadata: &AuthorizationMetadata) -> anyhow::Result<()> {
    let endpoints = [
        (
            "authorization endpoint",
            Some(&metadata.authorization_endpoint),
        ),
        ("token endpoint", Some(&metadata.token_endpoint)),
        (
            "registration endpoint",
            metadata.registration_endpoint.as_ref(),
        ),
    ];
    for (what, address) in endpoints {
        if let Some(address) = address
            && let Some(problem) = refusal(address)
        {
            return Err(refused(server, what, address, problem));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn only_https_or_loopback_http_passes_however_it_is_spelled(
            scheme in "[a-zA-Z][a-zA-Z0-9+.-]{0,8}",
            host in "[a-z]{1,12}(\\.[a-z]{2,5})?",
            path in "[a-zA-Z0-9/_.~-]{0,20}",
            inserted in "[\\x00-\\x20\\x7f\\u{85}\\u{a0}\\u{2028}]",
            at in 0usize..40,
        ) {
            let address = format!("{scheme}://{host}/{path}");
            let lower = scheme.to_ascii_lowercase();
            let loopback = host == "localhost";
            let allowed = lower == "https" || (lower == "http" && loopback);
            prop_assert_eq!(refusal(&address).is_none(), allowed, "{}", address);
            // Whitespace or a control character anywhere, or a leading `-`.
            let mut spaced = address.clone();
            let at = spaced.char_indices().map(|(i, _)| i).nth(at).unwrap_or(spaced.len());
            spaced.insert_str(at, &inserted);
            prop_assert!(refusal(&spaced).is_some(), "{:?}", spaced);
            let dashed = format!("-{address}");
            prop_assert!(refusal(&dashed).is_some(), "{}", dashed);
        }
    }

    #[test]
    fn only_https_and_http_on_this_machine_are_used() {
        for fine in [
            "https://auth.example.com/authorize?client_id=x",
            "http://127.0.0.1:8080/authorize",
            "http://127.9.0.1/a",
            "http://localhost:3000/a",
            "http://LOCALHOST/a",
            "http://[::1]:9/a",
        ] {
            assert_eq!(refusal(fine), None, "{fine}");
        }
        for bad in [
            "file:///etc/passwd?response_type=code",
            "javascript:alert(1)//",
            "data:text/html,<script>x</script>",
            "vscode://evil/x",
            "ms-msdt:/id PCWDiagnostic",
            "http://evil.example/authorize",
            "http://localhost.evil.example/a",
            "http://10.0.0.1/a",
            "http://[::ffff:8.8.8.8]/a",
            "https://user:pw@auth.example.com/a",
            "https://auth.example.com/a b",
            "https://auth.example.com/a\nb",
            " https://auth.example.com/a",
            "-https://auth.example.com/a",
            "--remote-debugging-port=9222",
            "https:",
            "",
        ] {
            assert!(refusal(bad).is_some(), "{bad:?}");
        }
    }
}
