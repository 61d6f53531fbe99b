//! The seconds a duration flag accepts.

use std::time::Duration;

/// The seconds a duration flag accepts: from a millisecond to a day.
const SECONDS: std::ops::RangeInclusive<f64> = 0.001..=86_400.0;

pub(super) fn parse_seconds(text: &str) -> Result<Duration, String> {
    let range = format!(
        "give a number of seconds from {} to {} (a day)",
        SECONDS.start(),
        SECONDS.end()
    );
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number; {range}"))?;
    // Also refuses NaN and infinities, which Duration cannot hold.
    if !SECONDS.contains(&seconds) {
        return Err(format!("`{text}` is out of range; {range}"));
    }
    Ok(Duration::from_secs_f64(seconds))
}
