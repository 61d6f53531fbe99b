//! What programs may do and who decides: allow/deny policy, asking a person
//! for approval (on a terminal or through the client), pinned definitions,
//! and the audit of tool definitions.

pub mod approval;
pub(crate) mod audit;
pub(crate) mod pins;
pub mod policy;
pub(crate) mod terminal;
