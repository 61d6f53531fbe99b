//! Asking a 2026-07-28 client during one of its requests. Such a client
//! cannot be sent requests: what `serve` must put to it while the request
//! runs (an approval, or what a legacy upstream asks during the call) is
//! its answer instead, an `input_required` result. The work goes on on a
//! task of its own, parked here under a random `requestState`, and the
//! client's retry with the answers resumes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::ErrorData;
use rmcp::model::{
    ElicitationAction, InputRequiredResult, InputResponses, JsonObject, ServerResult,
};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::approval::{BY_ROUND_TRIP, elicitation, verdict};
use crate::governance::approval::{Approver, Request, Verdict};

/// Questions that come this close together go to the client in one round:
/// a legacy server that asks for several things at once sends its requests
/// back to back, and one round saves the client (and its user) round trips.
/// Generous, as a loaded machine spaces them out; a round waits for a
/// person or a model anyway.
const GATHER: Duration = Duration::from_millis(100);

/// How a `requestState` of codemode's own begins (then 128 random bits).
const STATE_PREFIX: &str = "codemode-";

/// The most questions in one round.
const MAX_PER_ROUND: usize = 16;

/// The most requests parked at once, over all clients; past it a question
/// is refused rather than parked, so that no client can hold memory and
/// upstream calls without end.
const MAX_PARKED: usize = 1024;

/// The most questions one request may have waiting; past it an upstream
/// (or a program) that asks without end is refused.
const MAX_WAITING_QUESTIONS: usize = 256;

/// Something to ask the client, and where its answer goes.
pub(super) enum Question {
    /// Whether a call that policy marks for approval may go out.
    Approval(Request, oneshot::Sender<Verdict>),
    /// What an upstream asks: `method` with `params`, already attributed to
    /// the server. The client's result for it, or why there is none.
    Upstream {
        method: &'static str,
        params: Value,
        answer: oneshot::Sender<Result<Value, String>>,
    },
}

impl Question {
    /// The key it is asked under, unless taken in the round already.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Question::Approval(..) => "approval",
            Question::Upstream { method, .. } => match *method {
                "elicitation/create" => "elicitation",
                "sampling/createMessage" => "sampling",
                _ => "roots",
            },
        }
    }

    /// The `inputRequests` entry that asks it.
    pub(super) fn input_request(&self) -> Value {
        match self {
            Question::Approval(request, _) => {
                json!({"method": "elicitation/create", "params": elicitation(request)})
            }
            Question::Upstream { method, params, .. } => {
                json!({"method": method, "params": params})
            }
        }
    }

    /// Answers it with the client's `response` under `key`, if the retry
    /// carried one.
    pub(super) fn answer(self, key: &str, response: Option<&Value>) {
        let missing = || format!("the client's retry carried no answer under \"{key}\"");
        match self {
            Question::Approval(_, answer) => {
                let action = response
                    .and_then(|r| r.get("action"))
                    .cloned()
                    .and_then(|a| serde_json::from_value::<ElicitationAction>(a).ok());
                let verdict = match action {
                    Some(action) => verdict(&action, BY_ROUND_TRIP),
                    None => Verdict::refused(BY_ROUND_TRIP, missing()),
                };
                // The work may have ended meanwhile: then nobody listens.
                let _ = answer.send(verdict);
            }
            Question::Upstream { answer, .. } => {
                let _ = answer.send(response.cloned().ok_or_else(missing));
            }
        }
    }

    /// Answers it without asking: `why` nobody was.
    pub(super) fn refuse(self, why: &str) {
        match self {
            Question::Approval(_, answer) => {
                let _ = answer.send(Verdict::refused("codemode", why));
            }
            Question::Upstream { answer, .. } => {
                let _ = answer.send(Err(why.to_owned()));
            }
        }
    }
}

/// Where the work of one request puts its questions for the client.
#[derive(Clone)]
pub(super) struct Asks(mpsc::Sender<Question>);

impl Asks {
    #[cfg(test)]
    pub(super) fn channel() -> (Asks, mpsc::Receiver<Question>) {
        let (asks, questions) = mpsc::channel(MAX_WAITING_QUESTIONS);
        (Asks(asks), questions)
    }

    /// Queues `question`, or says why it cannot be asked.
    fn put(&self, question: Question) -> Result<(), &'static str> {
        self.0.try_send(question).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => "too many questions wait for the client at once",
            mpsc::error::TrySendError::Closed(_) => "the client's request has ended",
        })
    }

    /// Whether both ask the same request's client.
    pub(super) fn same(&self, other: &Asks) -> bool {
        self.0.same_channel(&other.0)
    }

    /// Puts an upstream's `method` with `params` to the client; its result.
    pub(super) async fn upstream(
        &self,
        server: &str,
        method: &'static str,
        params: Value,
    ) -> Result<Value, String> {
        let (answer, answered) = oneshot::channel();
        let question = Question::Upstream {
            method,
            params,
            answer,
        };
        self.put(question)?;
        answered.await.unwrap_or_else(|_| {
            Err(format!(
                "the client did not come back with an answer for the {server} server"
            ))
        })
    }
}

impl Approver for Asks {
    fn approve(&self, request: Request) -> BoxFuture<'static, Verdict> {
        let (answer, answered) = oneshot::channel();
        let sent = self.put(Question::Approval(request, answer));
        Box::pin(async move {
            if let Err(why) = sent {
                return Verdict::refused("codemode", why);
            }
            answered.await.unwrap_or_else(|_| {
                Verdict::refused(BY_ROUND_TRIP, "the client did not come back with an answer")
            })
        })
    }
}

/// What the work of a request gives: its result (complete, or an
/// upstream's own `input_required` or task), or an error.
pub(super) type Outcome = Result<ServerResult, ErrorData>;

/// The work of one request, running on a task of its own.
pub(super) struct Running {
    task: tokio::task::JoinHandle<Outcome>,
    questions: mpsc::Receiver<Question>,
    /// Stops the work (the client cancelled, or never came back).
    stop: CancellationToken,
    /// How long each round waits for the client's retry.
    patience: Duration,
    /// When the work ends by itself, answered or not (an execution's time
    /// limit), if it does.
    deadline: Option<Instant>,
    /// The request it answers, which a retry must repeat
    /// (`tools/call execute`), and with the same arguments.
    request: Box<(String, Option<JsonObject>)>,
}

impl Running {
    /// Starts `work`, which asks the client through the [`Asks`] it is
    /// given and stops when the token is cancelled; parked, it waits for
    /// the client's retry `patience` long each round, and never past
    /// `deadline`.
    pub(super) fn start<F>(
        what: String,
        (patience, deadline): (Duration, Option<Instant>),
        work: impl FnOnce(Asks, CancellationToken) -> F,
    ) -> Running
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let (asks, questions) = mpsc::channel(MAX_WAITING_QUESTIONS);
        let stop = CancellationToken::new();
        let task = tokio::spawn(work(Asks(asks), stop.clone()));
        Running {
            task,
            questions,
            stop,
            patience,
            deadline,
            request: Box::new((what, None)),
        }
    }

    /// The arguments a retry must repeat.
    pub(super) fn of_arguments(mut self, arguments: Option<JsonObject>) -> Running {
        self.request.1 = arguments;
        self
    }

    /// What the work does next: end, or ask the client something.
    pub(super) async fn next(&mut self) -> Next {
        tokio::select! {
            done = &mut self.task => Next::Ended(Box::new(finished(done))),
            Some(question) = self.questions.recv() => Next::Asked(question),
        }
    }

    /// What the work ended with (after [`Running::stop`], say).
    pub(super) async fn ended(&mut self) -> Outcome {
        finished((&mut self.task).await)
    }

    /// Asks the work to stop.
    pub(super) fn stop(&self) {
        self.stop.cancel();
    }

    /// Until when a round parked now waits for the client's retry.
    fn until(&self) -> Instant {
        let patient = Instant::now() + self.patience;
        self.deadline
            .map_or(patient, |deadline| deadline.min(patient))
    }
}

impl Drop for Running {
    /// Work nobody waits for any more stops (it may have ended already).
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What a request's work did next.
pub(super) enum Next {
    Ended(Box<Outcome>),
    Asked(Question),
}

/// A request's work waiting for its client's retry with answers.
struct Waiting {
    running: Running,
    /// After this the entry is dropped, and the work stopped.
    until: Instant,
    /// The questions of the round, by the key each was asked under.
    asked: Vec<(String, Question)>,
}

/// Requests parked on an `input_required`, by their `requestState`.
#[derive(Default)]
pub(super) struct Parked {
    waiting: Mutex<HashMap<String, Waiting>>,
}

impl Parked {
    /// Waits for `running` to end, or to ask the client (then it is parked
    /// and the `input_required` result returned). When `cancelled`, the
    /// work is stopped and what it ended with returned.
    pub(super) async fn follow(
        self: &Arc<Self>,
        running: Running,
        cancelled: CancellationToken,
    ) -> Outcome {
        match self.follow_within(running, cancelled, None).await {
            Ok(outcome) => outcome,
            Err(_) => unreachable!("no budget, so it is never used up"),
        }
    }

    /// [`Parked::follow`], handing `running` back if it neither ended nor
    /// asked within `budget`.
    pub(super) async fn follow_within(
        self: &Arc<Self>,
        mut running: Running,
        cancelled: CancellationToken,
        budget: Option<Duration>,
    ) -> Result<Outcome, Running> {
        let deadline = budget.map(|budget| Instant::now() + budget);
        let used_up = async move {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(used_up);
        loop {
            let first = tokio::select! {
                next = running.next() => match next {
                    Next::Ended(outcome) => return Ok(*outcome),
                    Next::Asked(question) => question,
                },
                () = cancelled.cancelled() => {
                    running.stop();
                    return Ok(running.ended().await);
                }
                () = &mut used_up => return Err(running),
            };
            let mut asked = vec![first];
            while asked.len() < MAX_PER_ROUND {
                match tokio::time::timeout(GATHER, running.questions.recv()).await {
                    Ok(Some(question)) => asked.push(question),
                    _ => break,
                }
            }
            match self.park(running, asked) {
                Ok(asked) => return Ok(Ok(ServerResult::InputRequiredResult(asked))),
                // Refused: the work goes on with that.
                Err(back) => running = back,
            }
        }
    }

    /// Parks `running` on the questions `asked`; the `input_required`
    /// result that puts them to the client. When too many requests are
    /// parked already, the questions are refused and `running` handed back.
    fn park(
        self: &Arc<Self>,
        running: Running,
        asked: Vec<Question>,
    ) -> Result<InputRequiredResult, Running> {
        let mut waiting = self.waiting.lock().expect("parked requests");
        let now = Instant::now();
        waiting.retain(|_, w| w.until > now);
        if waiting.len() >= MAX_PARKED {
            drop(waiting);
            tracing::warn!(
                "{MAX_PARKED} requests wait for their clients' answers; refused another"
            );
            for question in asked {
                question
                    .refuse("too many requests wait for their clients' answers; try again later");
            }
            return Err(running);
        }
        let mut requests = serde_json::Map::new();
        let mut keyed = Vec::with_capacity(asked.len());
        for question in asked {
            let kind = question.kind();
            let mut key = kind.to_owned();
            let mut n = 1;
            while requests.contains_key(&key) {
                n += 1;
                key = format!("{kind}_{n}");
            }
            requests.insert(key.clone(), question.input_request());
            keyed.push((key, question));
        }
        let state = format!("{STATE_PREFIX}{}", uuid::Uuid::new_v4().simple());
        let result = json!({
            "resultType": "input_required",
            "inputRequests": requests,
            "requestState": state,
        });
        let result = match serde_json::from_value(result) {
            Ok(result) => result,
            Err(error) => {
                drop(waiting);
                let why = format!("codemode could not put the question to the client ({error})");
                for (_, question) in keyed {
                    question.refuse(&why);
                }
                return Err(running);
            }
        };
        let until = running.until();
        waiting.insert(
            state.clone(),
            Waiting {
                running,
                until,
                asked: keyed,
            },
        );
        drop(waiting);
        // Forgotten when its time is up, even if nothing else is parked:
        // the work stops and its questions are refused.
        let parked = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep_until(until).await;
            if let Some(parked) = parked.upgrade() {
                let mut waiting = parked.waiting.lock().expect("parked requests");
                waiting.retain(|_, w| w.until > Instant::now());
            }
        });
        Ok(result)
    }

    /// Whether `state` names a request parked here (a passthrough call's
    /// retry may carry its upstream's own state instead).
    #[cfg(test)]
    pub(super) fn holds(&self, state: &str) -> bool {
        self.waiting
            .lock()
            .expect("parked requests")
            .contains_key(state)
    }

    /// Whether codemode minted `state` (whether or not anything still waits
    /// under it): a passthrough retry carrying one is never sent upstream as
    /// a new call.
    pub(super) fn minted(state: &str) -> bool {
        state.starts_with(STATE_PREFIX)
    }

    /// The work `state` names, given its client's answers, for a retry of
    /// `what`; `Err` says why it cannot be resumed.
    pub(super) fn resume(
        &self,
        state: &str,
        (what, arguments): (&str, Option<&JsonObject>),
        responses: Option<&InputResponses>,
    ) -> Result<Running, String> {
        let mut waiting = self.waiting.lock().expect("parked requests");
        match waiting.get(state) {
            None => {
                return Err("nothing waits under this requestState (it ended, timed out, or was already answered); send the request again without it".to_owned());
            }
            Some(parked) if parked.running.request.0 != what => {
                return Err(format!(
                    "this requestState belongs to {}: retry that request with it",
                    parked.running.request.0
                ));
            }
            // What was asked (an approval of a call) was asked of that
            // request: its answer must not go with another. A retry that
            // leaves the arguments out repeats nothing else.
            Some(parked)
                if arguments.is_some_and(|a| parked.running.request.1.as_ref() != Some(a)) =>
            {
                return Err(format!(
                    "this requestState belongs to {} with other arguments: retry the same request with it",
                    parked.running.request.0
                ));
            }
            Some(_) => {}
        }
        let parked = waiting.remove(state).expect("checked above");
        drop(waiting);
        for (key, question) in parked.asked {
            question.answer(&key, responses.and_then(|r| r.get(&key)));
        }
        Ok(parked.running)
    }
}

fn finished(done: Result<Outcome, tokio::task::JoinError>) -> Outcome {
    match done {
        Ok(outcome) => outcome,
        Err(error) => Err(ErrorData::internal_error(
            format!("the request's work failed to finish: {error}"),
            None,
        )),
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

    fn text(text: &str) -> ServerResult {
        let blocks = vec![rmcp::model::ContentBlock::text(text)];
        ServerResult::CallToolResult(rmcp::model::CallToolResult::success(blocks))
    }

    fn form(message: &str) -> Value {
        json!({"mode": "form", "message": message,
            "requestedSchema": {"type": "object", "properties": {}}})
    }

    /// What `running` ended with, as JSON text.
    async fn ended(parked: &Arc<Parked>, running: Running, cancelled: CancellationToken) -> String {
        let done = parked.follow(running, cancelled).await.unwrap();
        serde_json::to_string(&done).unwrap()
    }

    fn patient() -> (Duration, Option<Instant>) {
        (Duration::from_secs(60), None)
    }

    fn asked(followed: ServerResult) -> Value {
        match followed {
            ServerResult::InputRequiredResult(result) => serde_json::to_value(result).unwrap(),
            done => panic!("expected a question, got {done:?}"),
        }
    }

    #[tokio::test]
    async fn a_parked_request_resumes_once_with_the_clients_answer() {
        let parked = Arc::new(Parked::default());
        let running = Running::start(
            "tools/call execute".into(),
            patient(),
            |asks, _| async move {
                let verdict = asks.approve(request()).await;
                Ok(text(&format!("{verdict:?}")))
            },
        );
        let result = asked(
            parked
                .follow(running, CancellationToken::new())
                .await
                .unwrap(),
        );
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
        assert!(Parked::minted(state), "{state}");
        assert_eq!(
            state.len(),
            STATE_PREFIX.len() + 32,
            "a random 128-bit state"
        );

        let responses: InputResponses =
            serde_json::from_value(json!({"approval": {"action": "decline"}})).unwrap();
        let wrong = parked
            .resume(state, ("tools/call other", None), Some(&responses))
            .err()
            .unwrap();
        assert!(wrong.contains("belongs to tools/call execute"), "{wrong}");
        // The approval was asked of that program: not of another.
        let other = json!({"code": "return 1"});
        let other = other.as_object();
        let wrong = parked
            .resume(state, ("tools/call execute", other), Some(&responses))
            .err()
            .unwrap();
        assert!(wrong.contains("with other arguments"), "{wrong}");
        let running = parked
            .resume(state, ("tools/call execute", None), Some(&responses))
            .unwrap();
        let done = ended(&parked, running, CancellationToken::new()).await;
        assert!(done.contains("declined"), "{done}");
        // Answered once: the state is spent.
        let again = parked
            .resume(state, ("tools/call execute", None), Some(&responses))
            .err()
            .unwrap();
        assert!(again.starts_with("nothing waits"), "{again}");
    }

    #[tokio::test]
    async fn questions_asked_together_go_in_one_round_under_their_own_keys() {
        let parked = Arc::new(Parked::default());
        let running = Running::start("tools/call t".into(), patient(), |asks, _| async move {
            let (a, b, c) = tokio::join!(
                asks.upstream("s", "elicitation/create", form("a")),
                asks.upstream("s", "elicitation/create", form("b")),
                asks.upstream("s", "roots/list", json!({})),
            );
            Ok(text(&format!("{a:?} {b:?} {c:?}")))
        });
        let result = asked(
            parked
                .follow(running, CancellationToken::new())
                .await
                .unwrap(),
        );
        let requests = result["inputRequests"].as_object().unwrap();
        let mut keys: Vec<&str> = requests.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["elicitation", "elicitation_2", "roots"], "{result}");

        // Only some answered: the others hear why they were not.
        let responses: InputResponses = serde_json::from_value(
            json!({"roots": {"roots": []}, "elicitation": {"action": "accept"}}),
        )
        .unwrap();
        let state = result["requestState"].as_str().unwrap();
        let running = parked
            .resume(state, ("tools/call t", None), Some(&responses))
            .unwrap();
        let done = ended(&parked, running, CancellationToken::new()).await;
        assert!(done.contains("no answer under"), "{done}");
        assert!(done.contains("roots"), "{done}");
    }

    #[tokio::test]
    async fn a_question_that_cannot_be_put_is_refused_and_the_work_goes_on() {
        let parked = Arc::new(Parked::default());
        let running = Running::start("tools/call t".into(), patient(), |asks, _| async move {
            // Not an elicitation: it has no schema.
            let answer = asks
                .upstream("s", "elicitation/create", json!({"message": "?"}))
                .await;
            Ok(text(&format!("{answer:?}")))
        });
        let done = ended(&parked, running, CancellationToken::new()).await;
        assert!(done.contains("could not put the question"), "{done}");
    }

    #[tokio::test]
    async fn a_cancelled_request_stops_its_work() {
        let parked = Arc::new(Parked::default());
        let running = Running::start("tools/call t".into(), patient(), |_, stop| async move {
            stop.cancelled().await;
            Ok(text("stopped"))
        });
        let cancelled = CancellationToken::new();
        cancelled.cancel();
        assert!(ended(&parked, running, cancelled).await.contains("stopped"));
    }

    #[tokio::test]
    async fn forgotten_work_is_stopped_and_its_question_refused() {
        let parked = Arc::new(Parked::default());
        let (tx, rx) = oneshot::channel();
        let no_patience = (Duration::ZERO, None);
        let running = Running::start(
            "tools/call t".into(),
            no_patience,
            |asks, stop| async move {
                let answer = asks.upstream("s", "roots/list", json!({})).await;
                stop.cancelled().await;
                let _ = tx.send(answer);
                Ok(text("done"))
            },
        );
        let result = asked(
            parked
                .follow(running, CancellationToken::new())
                .await
                .unwrap(),
        );
        // Its time is up at once: nobody retries, and it is forgotten.
        let answer = rx.await.unwrap();
        assert!(answer.unwrap_err().contains("did not come back"));
        let state = result["requestState"].as_str().unwrap();
        assert!(!parked.holds(state));
    }
}
