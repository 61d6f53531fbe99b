const status = await git.git_status({ repo_path: "." });
const result: Record<string, string[]> = { staged: [], unstaged: [], untracked: [] };
let section: string | null = null;
for (const line of status.split("\n")) {
  if (line.startsWith("Changes to be committed")) section = "staged";
  else if (line.startsWith("Changes not staged for commit")) section = "unstaged";
  else if (line.startsWith("Untracked files")) section = "untracked";
  else if (section && line.startsWith("\t")) {
    const entry = line.trim();
    const m = entry.match(/^[a-z ]+:\s+(.*)$/);
    let path = section === "untracked" || !m ? entry : m[1];
    if (path.includes(" -> ")) path = path.split(" -> ")[1];
    result[section].push(path);
  }
}
for (const k of Object.keys(result)) result[k].sort();
return result;
