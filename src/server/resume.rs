//! Event ids of a legacy session's response streams name their replica.
//!
//! rmcp numbers a session's response streams per process (`INDEX/STREAM`),
//! so behind a load balancer two replicas holding the same sealed session
//! reuse each other's stream numbers. A client whose stream was cut because
//! its replica died resumes with `Last-Event-ID` on another replica, which
//! would replay a different, finished stream of its own: the client would
//! reconnect to it again and again and never hear that its call is lost.
//! So each such id (`INDEX/STREAM`) gets `@REPLICA` appended on the way
//! out, and a resumption of another replica's stream is refused (404)
//! instead. The session's common stream (ids `INDEX`) resumes anywhere.

use std::convert::Infallible;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, BodyStream, StreamBody};
use hyper::body::Frame;

/// This process among the replicas.
pub(super) struct StreamIds {
    replica: String,
}

/// What to do with a request's `Last-Event-ID`.
#[derive(Debug, PartialEq)]
pub(super) enum Resume {
    /// Not a stream id of any replica (the session's common stream): as is.
    AsIs,
    /// A stream of this replica: rmcp's own id.
    Here(String),
    /// A stream of another replica, which is the only one that has it.
    Elsewhere,
}

impl StreamIds {
    pub(super) fn new() -> StreamIds {
        let mut bytes = [0u8; 6];
        // Should the system have no randomness, every replica is named the
        // same, and resumptions behave as they would without these names.
        let _ =
            aws_lc_rs::rand::SecureRandom::fill(&aws_lc_rs::rand::SystemRandom::new(), &mut bytes);
        let replica = bytes.iter().map(|b| format!("{b:02x}")).collect();
        StreamIds { replica }
    }

    /// Where the stream that `last_event_id` names is.
    pub(super) fn resume(&self, last_event_id: &str) -> Resume {
        match last_event_id.rsplit_once('@') {
            Some((id, replica)) if replica == self.replica => Resume::Here(id.to_owned()),
            Some(_) => Resume::Elsewhere,
            None => Resume::AsIs,
        }
    }

    /// `body`, an event stream, with this replica's name after each id.
    pub(super) fn tag(&self, body: BoxBody<Bytes, Infallible>) -> BoxBody<Bytes, Infallible> {
        let suffix = format!("@{}", self.replica).into_bytes();
        // Lines are rewritten whole: a line cut between frames waits for its
        // end. A last line with no end is no complete event, and is dropped.
        let mut partial = Vec::new();
        let frames = BodyStream::new(body).filter_map(move |frame| {
            let Ok(frame) = frame;
            let whole = frame.into_data().ok().and_then(|data| {
                partial.extend_from_slice(&data);
                let end = partial.iter().rposition(|&b| b == b'\n')?;
                let rest = partial.split_off(end + 1);
                Some(std::mem::replace(&mut partial, rest))
            });
            let frame = whole.map(|lines| Ok(Frame::data(Bytes::from(tagged(&lines, &suffix)))));
            std::future::ready(frame)
        });
        BodyExt::boxed(StreamBody::new(frames))
    }
}

/// `lines` (each ending in `\n`) with `suffix` after the value of every
/// `id` field that names a response stream.
fn tagged(lines: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.len() + suffix.len());
    for line in lines.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.starts_with(b"id:") && body.contains(&b'/') {
            out.extend_from_slice(body);
            out.extend_from_slice(suffix);
            out.extend_from_slice(&line[body.len()..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    #[test]
    fn only_ids_get_the_replica_name() {
        let events =
            b"data: \nid: 0/0\nretry: 3000\n\ndata: {\"id\":\"x\"}\r\nid: 1/0\r\n\r\nid: 4\n\n";
        assert_eq!(
            tagged(events, b"@r1"),
            b"data: \nid: 0/0@r1\nretry: 3000\n\ndata: {\"id\":\"x\"}\r\nid: 1/0@r1\r\n\r\nid: 4\n\n"
        );
    }

    #[test]
    fn a_resumption_is_answered_only_where_its_stream_is() {
        let here = StreamIds::new();
        let other = StreamIds::new();
        let id = format!("1/0@{}", here.replica);
        assert_eq!(here.resume(&id), Resume::Here("1/0".into()));
        assert_eq!(other.resume(&id), Resume::Elsewhere);
        assert_eq!(here.resume("7"), Resume::AsIs);
    }

    #[tokio::test]
    async fn lines_cut_between_frames_are_tagged_whole() {
        let ids = StreamIds {
            replica: "r".into(),
        };
        let frames = futures::stream::iter(["data: a\nid: 1/", "0\n\n", "data: b\nid: 2/0\n\n"])
            .map(|s| Ok::<_, Infallible>(Frame::data(Bytes::from(s))));
        let body = BodyExt::boxed(StreamBody::new(frames));
        let out = ids.tag(body).collect().await.unwrap().to_bytes();
        assert_eq!(out, "data: a\nid: 1/0@r\n\ndata: b\nid: 2/0@r\n\n");
        let whole = BodyExt::boxed(Full::new(Bytes::from("id: 3/1\n\n")));
        assert_eq!(
            ids.tag(whole).collect().await.unwrap().to_bytes(),
            "id: 3/1@r\n\n"
        );
    }
}
