//! `serve` asks the client whose `execute` made a call that needs approval.
//!
//! A client of the initialize era that supports elicitation is sent an
//! `elicitation/create` request while the program waits. A 2026-07-28 client
//! cannot be sent requests: its `execute` is answered with `input_required`
//! (an elicitation for it to put to its user, and a `requestState`), the
//! program stays parked here, and the client's retry with the answer resumes
//! it. A client that supports neither is refused, saying why; no call that
//! needs approval is ever made without one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rmcp::model::{ElicitRequestParams, ElicitationAction, InputResponses};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::engine::executor::Report;
use crate::governance::approval::{self, Approver, Request, Verdict};

/// The key of the approval in an `input_required` result's requests.
const INPUT_KEY: &str = "approval";

/// How `serve` can ask the client of one `execute`.
pub(super) enum Approach {
    /// Directly, as the program waits.
    Ask(Arc<dyn Approver>),
    /// By answering `execute` with `input_required` and resuming on retry.
    RoundTrip,
}

/// How to ask the client of this request.
pub(super) fn approach(context: &RequestContext<RoleServer>) -> Approach {
    let capabilities = context.client_capabilities();
    let elicits = capabilities.is_some_and(|c| c.elicitation.is_some());
    let legacy = context
        .peer
        .peer_info()
        .is_some_and(|info| info.protocol_version.has_initialize());
    match (elicits, legacy) {
        (true, true) => Approach::Ask(Arc::new(Elicitation {
            peer: context.peer.clone(),
        })),
        (true, false) => Approach::RoundTrip,
        (false, _) => Approach::Ask(approval::NoOne::shared(
            "the MCP client does not support elicitation, so nobody can be asked; \
             the operator can let such calls through unasked by no longer marking them for approval",
        )),
    }
}

/// Asks an initialize-era client with `elicitation/create`.
struct Elicitation {
    peer: Peer<RoleServer>,
}

const BY_ELICITATION: &str = "the client (elicitation)";
const BY_ROUND_TRIP: &str = "the client (input_required)";

/// The elicitation that asks for one approval: the question and no fields.
/// A form's message is all the person sees, so when the arguments could not
/// be shown whole it says so.
fn elicitation(request: &Request) -> Value {
    let question = request.question();
    let mut message = question.text;
    if !question.whole {
        message
            .push_str("They cannot be shown whole here: decline unless you trust what is cut.\n");
    }
    json!({
        "mode": "form",
        "message": message.trim_end(),
        "requestedSchema": {"type": "object", "properties": {}},
    })
}

fn verdict(action: &ElicitationAction, by: &str) -> Verdict {
    match action {
        ElicitationAction::Accept => Verdict::approved(by),
        ElicitationAction::Decline => Verdict::refused(by, "declined"),
        _ => Verdict::refused(by, "cancelled"),
    }
}

impl Approver for Elicitation {
    fn approve(&self, request: Request) -> BoxFuture<'static, Verdict> {
        let peer = self.peer.clone();
        Box::pin(async move {
            let params: ElicitRequestParams = match serde_json::from_value(elicitation(&request)) {
                Ok(params) => params,
                Err(error) => {
                    return Verdict::refused("codemode", format!("cannot ask: {error}"));
                }
            };
            match peer.create_elicitation(params).await {
                Ok(answer) => verdict(&answer.action, BY_ELICITATION),
                Err(error) => Verdict::refused(
                    BY_ELICITATION,
                    format!("the client could not be asked ({error})"),
                ),
            }
        })
    }
}

/// A question from a running program and where its answer goes.
pub(super) type Ask = (Request, oneshot::Sender<Verdict>);

/// Passes a program's questions to the `execute` handler that answers its
/// client with `input_required`.
pub(super) struct Forwarding {
    asks: mpsc::UnboundedSender<Ask>,
}

impl Forwarding {
    pub(super) fn channel() -> (Arc<dyn Approver>, mpsc::UnboundedReceiver<Ask>) {
        let (asks, questions) = mpsc::unbounded_channel();
        (Arc::new(Forwarding { asks }), questions)
    }
}

impl Approver for Forwarding {
    fn approve(&self, request: Request) -> BoxFuture<'static, Verdict> {
        let (answer, answered) = oneshot::channel();
        let sent = self.asks.send((request, answer));
        Box::pin(async move {
            if sent.is_err() {
                return Verdict::refused("codemode", "nobody is waiting for the question");
            }
            answered.await.unwrap_or_else(|_| {
                Verdict::refused(BY_ROUND_TRIP, "the client did not come back with an answer")
            })
        })
    }
}

/// An execution that runs on its own task, and the questions it asks.
pub(super) struct Running {
    pub task: tokio::task::JoinHandle<Report>,
    pub questions: mpsc::UnboundedReceiver<Ask>,
    /// Stops the execution (the client cancelled).
    pub stop: CancellationToken,
    /// When it will have ended by itself, answered or not.
    pub until: tokio::time::Instant,
}

/// An execution waiting for its client's retry with an answer.
struct Waiting {
    running: Running,
    answer: oneshot::Sender<Verdict>,
    /// After this the entry is dropped: the execution has ended by itself.
    until: tokio::time::Instant,
}

/// Executions parked on an `input_required`, by their `requestState`.
#[derive(Default)]
pub(super) struct Parked {
    waiting: Mutex<HashMap<String, Waiting>>,
}

impl Parked {
    /// Parks `running` until its client answers `request`; the
    /// `input_required` result to send the client.
    pub(super) fn park(
        &self,
        running: Running,
        (request, answer): Ask,
        until: tokio::time::Instant,
    ) -> Value {
        let state = uuid::Uuid::new_v4().simple().to_string();
        let mut waiting = self.waiting.lock().expect("parked executions");
        let now = tokio::time::Instant::now();
        waiting.retain(|_, w| w.until > now);
        waiting.insert(
            state.clone(),
            Waiting {
                running,
                answer,
                until,
            },
        );
        json!({
            "resultType": "input_required",
            "inputRequests": {INPUT_KEY: {"method": "elicitation/create", "params": elicitation(&request)}},
            "requestState": state,
        })
    }

    /// The execution `state` names, given its client's answer; `Err` says
    /// why it cannot be resumed.
    pub(super) fn resume(
        &self,
        state: &str,
        responses: Option<&InputResponses>,
    ) -> Result<Running, String> {
        let waiting = self
            .waiting
            .lock()
            .expect("parked executions")
            .remove(state)
            .ok_or_else(|| {
                "no execution waits under this requestState (it ended, timed out, or was already answered); run the program again".to_owned()
            })?;
        let action = responses
            .and_then(|r| r.get(INPUT_KEY))
            .and_then(|r| r.get("action"))
            .cloned()
            .and_then(|a| serde_json::from_value::<ElicitationAction>(a).ok());
        let verdict = match action {
            Some(action) => verdict(&action, BY_ROUND_TRIP),
            None => Verdict::refused(
                BY_ROUND_TRIP,
                format!("the retry carried no answer under \"{INPUT_KEY}\""),
            ),
        };
        // The program may have ended meanwhile (its time ran out): then nobody listens.
        let _ = waiting.answer.send(verdict);
        Ok(waiting.running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            server: "gh".into(),
            tool: "delete_repository".into(),
            args: json!({"repo": "x"}),
            reason: "matched by --ask gh.delete_*".into(),
        }
    }

    #[tokio::test]
    async fn a_parked_execution_resumes_once_with_the_clients_answer() {
        let parked = Parked::default();
        let (approver, mut questions) = Forwarding::channel();
        let stop = CancellationToken::new();
        let asked = tokio::spawn(approver.approve(request()));
        let question = questions.recv().await.unwrap();
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let running = Running {
            task: tokio::spawn(async { Report::default() }),
            questions,
            stop,
            until,
        };
        let result = parked.park(running, question, until);
        assert_eq!(result["resultType"], "input_required");
        let elicit = &result["inputRequests"]["approval"];
        assert_eq!(elicit["method"], "elicitation/create");
        assert!(
            elicit["params"]["message"]
                .as_str()
                .unwrap()
                .contains("delete_repository"),
            "{result}"
        );
        let state = result["requestState"].as_str().unwrap();
        assert_eq!(state.len(), 32, "a random 128-bit state");

        let responses: InputResponses =
            serde_json::from_value(json!({"approval": {"action": "decline"}})).unwrap();
        assert!(parked.resume(state, Some(&responses)).is_ok());
        assert_eq!(
            asked.await.unwrap(),
            Verdict::refused(BY_ROUND_TRIP, "declined")
        );
        // Answered once: the state is spent.
        let again = parked.resume(state, Some(&responses)).err().unwrap();
        assert!(again.starts_with("no execution waits"), "{again}");
    }
}
