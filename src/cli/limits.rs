//! Execution limits: flags over the config file's `"codemode"` section over the defaults.

use std::time::Duration;

use clap::Args;

use crate::engine::executor::Settings;
use crate::files::config::{self, ranges};
use codemode_sandbox::Limits;

/// Execution limits as flags: the same settings as a config file's
/// `"codemode"` section, which the flags override.
#[derive(Clone, Copy, Debug, Default, Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Wall-clock limit per execution, in milliseconds [default: 30000].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(ranges::TIMEOUT_MS))]
    pub timeout_ms: Option<u64>,
    /// Memory limit for the program's JavaScript heap, in MiB [default: 64].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(ranges::MEMORY_MB))]
    pub memory_mb: Option<u64>,
    /// Stack limit for the program (how deep it may recurse), in KiB [default: 1024];
    /// the sandbox's 1 MiB stack leaves a program at most 896.
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::STACK_KB))]
    pub stack_kb: Option<u64>,
    /// Tool calls allowed per execution [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(ranges::MAX_CALLS))]
    pub max_calls: Option<u64>,
    /// Size limit of result plus logs, in KiB; larger output is cut with a marker [default: 256].
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::MAX_OUTPUT_KB))]
    pub max_output_kb: Option<u64>,
    /// Tool calls in flight at once per server, e.g. under Promise.all [default: 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(ranges::MAX_CONCURRENT_CALLS))]
    pub max_concurrent_calls: Option<u64>,
    /// Size limit of a program's source, in KiB; larger programs are refused [default: 256].
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::MAX_PROGRAM_KB))]
    pub max_program_kb: Option<u64>,
}

impl LimitArgs {
    /// The flags as config settings (`None` where a flag was not given).
    pub fn settings(&self) -> config::ConfigSettings {
        config::ConfigSettings {
            timeout_ms: self.timeout_ms,
            memory_mb: self.memory_mb,
            stack_kb: self.stack_kb,
            max_calls: self.max_calls,
            max_output_kb: self.max_output_kb,
            max_concurrent_calls: self.max_concurrent_calls,
            max_program_kb: self.max_program_kb,
        }
    }
}

/// Flags over the config file's `"codemode"` section over the defaults.
pub(super) fn resolve(flags: &config::ConfigSettings, file: &config::ConfigSettings) -> Settings {
    let chosen = flags.or(*file);
    let defaults = Settings::default();
    let limits = defaults.limits;
    Settings {
        limits: Limits {
            timeout: chosen
                .timeout_ms
                .map_or(limits.timeout, Duration::from_millis),
            memory_bytes: chosen
                .memory_mb
                .map_or(limits.memory_bytes, |mb| (mb as usize) << 20),
            stack_bytes: chosen
                .stack_kb
                .map_or(limits.stack_bytes, |kb| (kb as usize) << 10),
            max_calls: chosen.max_calls.map_or(limits.max_calls, |n| n as u32),
            max_output_bytes: chosen
                .max_output_kb
                .map_or(limits.max_output_bytes, |kb| (kb as usize) << 10),
        },
        max_concurrent_calls: chosen
            .max_concurrent_calls
            .map_or(defaults.max_concurrent_calls, |n| n as usize),
        max_program_bytes: chosen
            .max_program_kb
            .map_or(defaults.max_program_bytes, |kb| (kb as usize) << 10),
    }
}
