//! Integration tests, built as one binary. Tests that need third-party
//! servers or compilers use the packages `scripts/test.sh` installs.

mod common;
mod raw;

mod approval;
mod attacks;
mod cli;
mod concurrency;
mod conformance;
mod corpus;
mod deploy;
mod everything;
mod guest;
mod hostile;
mod layouts;
mod learned;
mod lifecycle;
mod login;
mod metrics;
mod nginx;
mod policy;
mod protocol;
mod replay;
mod replicas;
mod run;
mod savings;
mod serve;
mod telemetry;
mod tsc;
