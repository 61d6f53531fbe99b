//! The hostile-input suite: `codemode` driven the way an attacker would,
//! with raw JSON-RPC over stdio and HTTP, a misbehaving upstream
//! (`tests/python/hostile_server.py`), and programs generated at the sizes
//! that used to crash or exhaust it. Each test checks the clear error the
//! attacker gets, that the server still answers someone else afterwards, and,
//! where that is the point, that the host's memory stayed bounded.

mod approval;
mod big_results;
mod calls;
mod cancel;
mod compile;
mod configs;
mod engine;
mod errors;
mod gates;
mod http;
mod isolation;
mod layouts;
mod learned;
mod names;
mod pinned_learned;
mod policy;
mod red_errors;
mod red_runtime;
mod red_text;
mod runtime;
mod secrets;
mod upstreams;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub(crate) use crate::common::*;
// The attacker's tools (raw JSON-RPC over stdio and HTTP, the misbehaving
// upstream) are shared with the peer tests.
pub(crate) use crate::raw::*;
