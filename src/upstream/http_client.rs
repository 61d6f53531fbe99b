//! The HTTP client of upstream connections that do not take rmcp's own
//! (legacy SSE, and streamable HTTP with a kept login). reqwest's default
//! follows redirects to any address, dropping only `Authorization` and
//! `Cookie` when the host changes, and sends the first URL (query and all)
//! as `Referer`: a server answering `307` to another origin would have the
//! configured headers (`X-Api-Key`) and the URL's keys sent there. So, as
//! rmcp's own client does, redirects are followed only within the server's
//! origin; and no `Referer` is sent.

use reqwest::redirect::{Attempt, Policy};

/// At most this many redirects in a row, as reqwest's default.
const MAX_REDIRECTS: usize = 10;

/// A client builder with that redirect policy and no `Referer`.
pub(super) fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(Policy::custom(within_origin))
        .referer(false)
}

/// A client for streamable HTTP, as [`builder`] makes it; like rmcp's own,
/// it keeps no idle connections (a reused one can stall on delayed ACKs).
pub(super) fn client() -> reqwest::Client {
    // Building fails only when the TLS backend cannot start, where
    // reqwest's default client panics too.
    builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("the TLS backend starts")
}

fn within_origin(attempt: Attempt) -> reqwest::redirect::Action {
    let Some(from) = attempt.previous().first() else {
        return attempt.stop();
    };
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
    }
    if attempt.url().origin() == from.origin() {
        return attempt.follow();
    }
    let to = attempt.url().origin().ascii_serialization();
    attempt.error(format!(
        "the server redirected to another address ({to}); codemode follows redirects only within the server's own, so that its headers go nowhere else: if the server moved, put its new URL in the config"
    ))
}
