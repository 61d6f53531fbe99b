const points: Record<string, number> = {};
for (let offset: number | null = 0; offset !== null; ) {
  const page = await tracker.list_issues({ limit: 50, offset });
  for (const i of page.issues) if (i.status !== "closed" && i.assignee && i.points) points[i.assignee] = (points[i.assignee] ?? 0) + i.points;
  offset = page.next_offset;
}
return points;
