// Who is overloaded? Sum the open story points per person across all
// projects, then assign each unassigned urgent issue to the least-loaded
// member of the project lead's team.

const { users } = await demo.list_users();
const { projects } = await demo.list_projects();
const load = new Map<string, number>(users.map((u) => [u.login, 0]));

for (const project of projects) {
  let offset: number | null = 0;
  while (offset !== null) {
    const page = await demo.list_issues({ project: project.key, limit: 20, offset });
    for (const issue of page.issues) {
      if (issue.status !== "closed" && issue.assignee) {
        load.set(issue.assignee, (load.get(issue.assignee) ?? 0) + (issue.points ?? 1));
      }
    }
    offset = page.next_offset;
  }
}

const assigned: { id: string; to: string }[] = [];
const urgent = await demo.list_issues({ priority: "urgent", assignee: null, limit: 50 });
for (const issue of urgent.issues.filter((i) => i.status !== "closed")) {
  const project = projects.find((p) => issue.id.startsWith(p.key + "-"))!;
  const team = users.find((u) => u.login === project.lead)!.team;
  const [to] = users
    .filter((u) => u.team === team)
    .sort((a, b) => (load.get(a.login)! - load.get(b.login)!) || a.login.localeCompare(b.login));
  await demo.assign_issue({ id: issue.id, assignee: to.login });
  load.set(to.login, load.get(to.login)! + (issue.points ?? 1));
  assigned.push({ id: issue.id, to: to.login });
}

return { load: Object.fromEntries(load), assigned };
