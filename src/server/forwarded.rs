//! Requests forwarded to exposed upstreams: counted while in flight (a
//! drain waits for them) and dropped when their client stops wanting them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use super::held;

/// One forwarded request in flight, counted until it is dropped.
pub(super) struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub(super) fn new(count: &Arc<AtomicUsize>) -> InFlight {
        count.fetch_add(1, Ordering::SeqCst);
        InFlight(count.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits for a request forwarded to an upstream while its client still
/// wants it: a cancellation, or the end of the session it came in (a
/// DELETE, idle expiry), drops the forwarded request, which rmcp then
/// cancels upstream.
pub(super) async fn while_asked<T>(
    context: &RequestContext<RoleServer>,
    in_flight: &Arc<AtomicUsize>,
    forwarded: impl Future<Output = Result<T, ErrorData>>,
) -> Result<T, ErrorData> {
    let _in_flight = InFlight::new(in_flight);
    let session_ended = held::session_end(context).unwrap_or_default();
    tokio::select! {
        result = forwarded => result,
        () = context.ct.cancelled() => Err(ErrorData::invalid_request("cancelled by the client", None)),
        () = session_ended.cancelled() => Err(ErrorData::invalid_request(
            "the session ended while this request ran: start a new session to send it again",
            None,
        )),
    }
}
