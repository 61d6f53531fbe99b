const { projects } = await tracker.list_projects();
const lead = projects.find(p => p.key === "WEB")!.lead;
const issue = await tracker.create_issue({ project: "WEB", title: "Checkout button hidden on small screens", priority: "high", labels: ["ux"], assignee: lead });
return { id: issue.id, assignee: issue.assignee };
