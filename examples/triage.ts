// Triage in one program: find every open urgent or high-priority issue,
// read each one in full (in parallel), and return only what a human needs.
// With plain tool calling, each of these results would pass through the
// model's context; here only the final summary does.

type Summary = { id: string; title: string; assignee: string | null; comments: number; points: number | null };

const { projects } = await demo.list_projects();
const pages = await Promise.all(
  projects.map((p) => demo.list_issues({ project: p.key, status: "open", limit: 50 })),
);
const hot = pages.flatMap((page) => page.issues).filter((i) => i.priority === "urgent" || i.priority === "high");

const details = await Promise.all(hot.map((i) => demo.get_issue({ id: i.id })));
const summaries: Summary[] = details.map((d) => ({
  id: d.id,
  title: d.title,
  assignee: d.assignee,
  comments: d.comments.length,
  points: d.estimate?.points ?? null,
}));

const unassigned = summaries.filter((s) => s.assignee === null);
console.log(`${hot.length} hot issues across ${projects.length} projects, ${unassigned.length} unassigned`);
return { hot: summaries.length, unassigned: unassigned.map((s) => s.id), issues: summaries };
