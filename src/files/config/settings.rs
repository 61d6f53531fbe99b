//! codemode's own settings in a config file.

use serde::Deserialize;

/// Execution limits: codemode's own section of a config file
/// (`"codemode": {"timeoutMs": ...}`); the CLI's flags (`--timeout-ms`)
/// give the same settings and override it. `None` is "not said here".
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigSettings {
    /// Wall-clock limit per execution, in milliseconds [default: 30000].
    pub timeout_ms: Option<u64>,
    /// Memory limit for the program's JavaScript heap, in MiB [default: 64].
    pub memory_mb: Option<u64>,
    /// Stack limit for the program (how deep it may recurse), in KiB [default: 1024];
    /// the sandbox's 1 MiB stack leaves a program at most 896.
    pub stack_kb: Option<u64>,
    /// Tool calls allowed per execution [default: 1000].
    pub max_calls: Option<u64>,
    /// Size limit of result plus logs, in KiB; larger output is cut with a marker [default: 256].
    pub max_output_kb: Option<u64>,
    /// Tool calls in flight at once per server, e.g. under Promise.all [default: 8].
    pub max_concurrent_calls: Option<u64>,
    /// Size limit of a program's source, in KiB; larger programs are refused [default: 256].
    pub max_program_kb: Option<u64>,
}

/// Allowed values of each limit, for flags and config files alike.
pub mod ranges {
    use std::ops::RangeInclusive;

    pub const TIMEOUT_MS: RangeInclusive<u64> = 1..=86_400_000;
    pub const MEMORY_MB: RangeInclusive<u64> = 4..=65_536;
    /// Bounded well under the sandbox engine thread's own stack.
    pub const STACK_KB: RangeInclusive<u64> = 64..=8_192;
    pub const MAX_CALLS: RangeInclusive<u64> = 1..=10_000_000;
    pub const MAX_OUTPUT_KB: RangeInclusive<u64> = 1..=1_048_576;
    pub const MAX_CONCURRENT_CALLS: RangeInclusive<u64> = 1..=1_024;
    /// Compiling costs memory in proportion to the source; 4 MiB keeps it bounded.
    pub const MAX_PROGRAM_KB: RangeInclusive<u64> = 1..=4_096;
}

impl ConfigSettings {
    /// Each setting from `self`, or else from `fallback`.
    pub fn or(self, fallback: ConfigSettings) -> ConfigSettings {
        ConfigSettings {
            timeout_ms: self.timeout_ms.or(fallback.timeout_ms),
            memory_mb: self.memory_mb.or(fallback.memory_mb),
            stack_kb: self.stack_kb.or(fallback.stack_kb),
            max_calls: self.max_calls.or(fallback.max_calls),
            max_output_kb: self.max_output_kb.or(fallback.max_output_kb),
            max_concurrent_calls: self.max_concurrent_calls.or(fallback.max_concurrent_calls),
            max_program_kb: self.max_program_kb.or(fallback.max_program_kb),
        }
    }

    /// The first setting outside its range, as `(key, value, range)`.
    pub(super) fn out_of_range(
        &self,
    ) -> Option<(&'static str, u64, std::ops::RangeInclusive<u64>)> {
        [
            ("timeoutMs", self.timeout_ms, ranges::TIMEOUT_MS),
            ("memoryMb", self.memory_mb, ranges::MEMORY_MB),
            ("stackKb", self.stack_kb, ranges::STACK_KB),
            ("maxCalls", self.max_calls, ranges::MAX_CALLS),
            ("maxOutputKb", self.max_output_kb, ranges::MAX_OUTPUT_KB),
            (
                "maxConcurrentCalls",
                self.max_concurrent_calls,
                ranges::MAX_CONCURRENT_CALLS,
            ),
            ("maxProgramKb", self.max_program_kb, ranges::MAX_PROGRAM_KB),
        ]
        .into_iter()
        .find_map(|(key, value, range)| {
            value
                .filter(|v| !range.contains(v))
                .map(|v| (key, v, range))
        })
    }
}
