//! The HTTP connections held open, bounded so that clients that never finish
//! a request cannot lock others out.
//!
//! Each connection holds a file descriptor, so the bound is lowered to fit
//! the process's descriptor limit, less a reserve for upstreams, files and
//! the rest: past the limit `accept` fails for everyone. When every place is
//! taken, the oldest connection that is not serving a request (one still
//! sending its headers or body, or idle between requests) is shed to make
//! room; only when all are busy is the new one refused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// Descriptors kept for everything but client connections: a quarter of the
/// limit, and never fewer than this.
const MIN_RESERVE: u64 = 32;

/// How many connections to hold at once: `wanted`, or fewer if the
/// descriptor limit requires.
#[derive(Debug, PartialEq)]
pub(super) struct Cap {
    pub connections: usize,
    /// The soft descriptor limit, when it lowered the cap.
    pub lowered_by: Option<u64>,
}

impl Cap {
    pub(super) fn new(wanted: usize) -> Cap {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        Cap::within(wanted, limit)
    }

    fn within(wanted: usize, limit: Option<u64>) -> Cap {
        let Some(limit) = limit else {
            return Cap {
                connections: wanted,
                lowered_by: None,
            };
        };
        let reserve = (limit / 4).max(MIN_RESERVE);
        let room = usize::try_from(limit.saturating_sub(reserve).max(1)).unwrap_or(usize::MAX);
        if room >= wanted {
            return Cap {
                connections: wanted,
                lowered_by: None,
            };
        }
        Cap {
            connections: room,
            lowered_by: Some(limit),
        }
    }
}

pub(super) struct Connections {
    max: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next: u64,
    /// By age: the oldest first.
    by_age: BTreeMap<u64, Place>,
}

struct Place {
    busy: Arc<AtomicUsize>,
    shed: CancellationToken,
}

/// A connection's place: it is given up when this is dropped.
pub(super) struct HeldConnection {
    connections: Arc<Connections>,
    id: u64,
    /// Cancelled when the connection is shed for a newer one.
    pub shed: CancellationToken,
    pub activity: Activity,
}

impl Drop for HeldConnection {
    fn drop(&mut self) {
        let mut open = self.connections.open.lock().expect("connections");
        open.by_age.remove(&self.id);
    }
}

/// What a connection is doing: requests being served count as busy.
#[derive(Clone)]
pub(super) struct Activity(Arc<AtomicUsize>);

impl Activity {
    /// Marks a request as served until the returned guard is dropped.
    pub(super) fn busy(&self) -> Busy {
        self.0.fetch_add(1, Ordering::SeqCst);
        Busy(self.0.clone())
    }
}

pub(super) struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What became of a new connection.
pub(super) enum Admitted {
    /// Room was free.
    Free(HeldConnection),
    /// The oldest idle connection was shed to make room.
    ShedOne(HeldConnection),
    /// Every connection is serving a request: this one is refused.
    Refused,
}

impl Connections {
    pub(super) fn new(max: usize) -> Arc<Connections> {
        Arc::new(Connections {
            max: max.max(1),
            open: Mutex::default(),
        })
    }

    pub(super) fn max(&self) -> usize {
        self.max
    }

    pub(super) fn admit(self: &Arc<Self>) -> Admitted {
        let mut open = self.open.lock().expect("connections");
        let mut shed = false;
        if open.by_age.len() >= self.max {
            let idle = open
                .by_age
                .iter()
                .find(|(_, place)| place.busy.load(Ordering::SeqCst) == 0)
                .map(|(id, _)| *id);
            let Some(idle) = idle else {
                return Admitted::Refused;
            };
            if let Some(place) = open.by_age.remove(&idle) {
                place.shed.cancel();
            }
            shed = true;
        }
        let id = open.next;
        open.next += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let place = Place {
            busy: busy.clone(),
            shed: CancellationToken::new(),
        };
        let held = HeldConnection {
            connections: self.clone(),
            id,
            shed: place.shed.clone(),
            activity: Activity(busy),
        };
        open.by_age.insert(id, place);
        if shed {
            Admitted::ShedOne(held)
        } else {
            Admitted::Free(held)
        }
    }
}

/// Responses that stand open waiting for events (subscriptions, a
/// session's GET stream) are legitimately busy, so they are never shed: they
/// may hold only part of the connections, or a client opening many would
/// lock everyone else out.
pub(super) struct StandingStreams {
    open: Arc<AtomicUsize>,
    max: usize,
}

/// A standing response's place, given up when dropped.
pub(super) struct Stands(Arc<AtomicUsize>);

impl Drop for Stands {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl StandingStreams {
    /// At most half of `connections` stand open at once (at least one).
    pub(super) fn within(connections: usize) -> StandingStreams {
        StandingStreams {
            open: Arc::default(),
            max: (connections / 2).max(1),
        }
    }

    pub(super) fn max(&self) -> usize {
        self.max
    }

    /// A place for one more standing response, if there is room.
    pub(super) fn stand(&self) -> Option<Stands> {
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < self.max).then_some(open + 1)
            })
            .ok()
            .map(|_| Stands(self.open.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(admitted: Admitted) -> HeldConnection {
        match admitted {
            Admitted::Free(held) | Admitted::ShedOne(held) => held,
            Admitted::Refused => panic!("refused"),
        }
    }

    #[test]
    fn the_cap_leaves_a_reserve_of_descriptors() {
        assert_eq!(Cap::within(512, Some(1 << 20)).connections, 512);
        assert_eq!(
            Cap::within(512, Some(256)),
            Cap {
                connections: 192,
                lowered_by: Some(256)
            }
        );
        assert_eq!(Cap::within(512, Some(48)).connections, 16);
        assert_eq!(Cap::within(512, Some(10)).connections, 1);
        assert_eq!(Cap::within(512, None).connections, 512);
    }

    #[test]
    fn the_oldest_idle_connection_makes_room() {
        let connections = Connections::new(3);
        let first = held(connections.admit());
        let second = held(connections.admit());
        let third = held(connections.admit());
        let _serving = first.activity.busy();
        // The first is serving a request: the second, oldest idle, goes.
        let fourth = held(connections.admit());
        assert!(!first.shed.is_cancelled());
        assert!(second.shed.is_cancelled());
        assert!(!third.shed.is_cancelled());
        let _also = third.activity.busy();
        let _and = fourth.activity.busy();
        assert!(matches!(connections.admit(), Admitted::Refused));
        // A place given up is free again.
        drop(fourth);
        assert!(matches!(connections.admit(), Admitted::Free(_)));
        drop(second);
    }

    #[test]
    fn standing_responses_hold_at_most_half_the_connections() {
        let standing = StandingStreams::within(5);
        let first = standing.stand().expect("room");
        let _second = standing.stand().expect("room");
        assert!(standing.stand().is_none());
        drop(first);
        assert!(standing.stand().is_some());
        assert!(StandingStreams::within(1).stand().is_some());
    }
}
