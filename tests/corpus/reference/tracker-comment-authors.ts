const { comments } = await tracker.get_issue({ id: "CORE-1" });
const authors = new Set<string>();
const walk = (cs: typeof comments) => cs.forEach((c) => (authors.add(c.author), walk(c.replies)));
walk(comments);
return [...authors].sort();
