//! Running one program: the executor (compile, run, forward calls, report),
//! replaying a recorded execution, and its OpenTelemetry spans.

pub mod executor;
pub(crate) mod replay;
pub(crate) mod telemetry;
