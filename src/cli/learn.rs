//! `codemode learn`: a run only to learn result types, and what it taught.

use super::run::{RunSettings, run};

/// `codemode learn`: `Ok(false)` when the program failed.
pub(crate) async fn learn(settings: RunSettings) -> anyhow::Result<bool> {
    run(settings, true).await
}

/// `codemode learn`: what the run taught, tool by tool.
pub(super) fn print_learned(
    before: &crate::prompt::shapes::Table,
    after: &crate::prompt::shapes::Table,
) {
    let mut any = false;
    for (id, server) in after {
        for (tool, learned) in &server.tools {
            let had = before
                .get(id)
                .and_then(|s| s.tools.get(tool))
                .map_or(0, |l| l.samples);
            if learned.samples > had {
                any = true;
                println!(
                    "{}.{tool} ({} new result{}, {} in all): {}",
                    server.name,
                    learned.samples - had,
                    if learned.samples - had == 1 { "" } else { "s" },
                    learned.samples,
                    learned.render()
                );
            }
        }
    }
    if !any {
        println!("nothing learned: the program called no tool without an outputSchema");
    }
}
