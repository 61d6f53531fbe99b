const points: Record<string, number> = {};
let offset: number | null = 0;
while (offset !== null) {
  const page = await tracker.list_issues({ limit: 50, offset });
  for (const i of page.issues) {
    if (i.status !== "closed" && i.assignee && i.points != null) points[i.assignee] = (points[i.assignee] ?? 0) + i.points;
  }
  offset = page.next_offset;
}
return points;
