const [{ projects }, { users }] = await Promise.all([tracker.list_projects({}), tracker.list_users({})]);
const web = projects.find((p) => p.key === "WEB") ?? projects.find((p) => p.key.toUpperCase() === "WEB" || p.name.toUpperCase() === "WEB");
if (!web) throw new Error("WEB project not found: " + JSON.stringify(projects));
let lead = web.lead;
if (!users.some((u) => u.login === lead)) {
  const u = users.find((u) => u.name === lead) ?? users.find((u) => u.name.toLowerCase() === String(lead).toLowerCase() || u.login.toLowerCase() === String(lead).toLowerCase());
  if (u) lead = u.login;
  else console.log("lead not found among users: " + lead);
}
const created = await tracker.create_issue({
  project: web.key,
  title: "Checkout button hidden on small screens",
  priority: "high",
  labels: ["ux"],
  assignee: lead,
});
return { id: created.id, assignee: created.assignee };
