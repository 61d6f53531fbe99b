//! Programs that tests of both binaries (hermetic and peers) run.

/// Creates two issues, the second of which the client declines, then lists
/// what the upstream holds.
pub(crate) const TWO_CREATIONS: &str = r#"
const first = await demo.create_issue({ project: "CORE", title: "approved one" });
let refused = "";
try {
  await demo.create_issue({ project: "CORE", title: "declined one" });
} catch (e) {
  refused = e.message;
}
const all = await demo.list_issues({ project: "CORE" });
return { first: first.title, refused, titles: all.issues.map((i) => i.title).filter((t) => t.endsWith(" one")) };
"#;

/// Four calls, two at once, one of which fails and is caught.
pub(crate) const MANY_CALLS: &str = r#"
const projects = await demo.list_projects();
const [open, users] = await Promise.all([
  demo.list_issues({ project: "CORE", status: "open" }),
  demo.list_users(),
]);
let missing = "";
try { await demo.get_issue({ id: "CORE-999" }); } catch (e) { missing = e.message; }
return { projects: projects.projects.length, open: open.issues.map((i) => i.id), users: users.users.length, missing };
"#;
