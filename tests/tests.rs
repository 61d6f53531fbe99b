//! The hermetic integration tests, built as one binary: they need the
//! `codemode` binary, its examples, and the system's `sh`, `python3` (the
//! standard library only, for the scripted fakes of `tests/python/`) and
//! util-linux. Tests that need a third-party peer are in `tests/peers/`.

#[allow(dead_code)]
mod common;
mod grower;
mod programs;
#[allow(dead_code)]
mod raw;

mod approval;
mod attacks;
mod cli;
mod concurrency;
mod deploy;
mod eras;
mod failures;
mod hostile;
mod layers;
mod lifecycle;
mod login;
mod metrics;
mod policy;
mod protocol;
mod readme;
mod release;
mod replay;
mod run;
mod savings;
mod serve;
mod tasks;
mod telemetry;
