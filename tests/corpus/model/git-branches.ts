const out = await git.git_branch({ repo_path: ".", branch_type: "local" });
const lines = out.split("\n").filter(l => l.trim());
const branches = lines.map(l => l.replace(/^\*?\s+/, "").trim()).sort();
const current = lines.find(l => l.trim().startsWith("*"))!.replace(/^\s*\*\s*/, "").trim();
return { branches, current };
