const log = await git.git_log({ repo_path: ".", max_count: 1000 });
const counts: Record<string, number> = {};
for (const [, name] of log.matchAll(/^Author: (.*)$/gm)) counts[name] = (counts[name] ?? 0) + 1;
return counts;
