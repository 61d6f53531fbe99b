const { issues } = await tracker.list_issues({ priority: "urgent", limit: 50 });
return issues.filter((i) => i.status !== "closed").map((i) => i.id).sort();
