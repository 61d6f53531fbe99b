const issue = await tracker.get_issue({ id: "CORE-1", include_comments: true });
const authors = new Set<string>();
const walk = (cs: any[]) => {
  for (const c of cs ?? []) {
    if (c.author) authors.add(c.author);
    walk(c.replies ?? []);
  }
};
walk(issue.comments);
return [...authors].sort();
