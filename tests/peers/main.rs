//! Integration tests that need a real third-party peer: the npm servers
//! (server-everything, server-memory, server-filesystem), the official
//! Python MCP SDK and the Python servers (git, time, SQLite) in their venvs,
//! the MCP inspector, the conformance suite, `tsc`, nginx, the linters of
//! `deploy/`, and clang for the guest. `scripts/test.sh` installs them and
//! runs these with `--features peer-tests`; a plain `cargo test` runs only
//! the hermetic tests of `tests/tests.rs`.

#[allow(dead_code)]
#[path = "../common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../grower.rs"]
mod grower;
#[path = "../programs.rs"]
mod programs;
#[allow(dead_code)]
#[path = "../raw.rs"]
mod raw;

mod approval;
mod attacks;
mod conformance;
mod corpus;
mod deploy;
mod eras;
mod everything;
mod guest;
mod layouts;
mod learned;
mod lifecycle;
mod metrics;
mod nginx;
mod protocol;
mod replay;
mod replicas;
mod run;
mod serve;
mod tsc;
