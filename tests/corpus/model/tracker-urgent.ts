const ids: string[] = [];
let offset: number | null = 0;
while (offset !== null) {
  const page = await tracker.list_issues({ priority: "urgent", limit: 50, offset });
  ids.push(...page.issues.filter(i => i.status !== "closed").map(i => i.id));
  offset = page.next_offset;
}
return ids.sort();
