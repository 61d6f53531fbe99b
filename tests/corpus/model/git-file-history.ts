const log = await git.git_log({ repo_path: ".", max_count: 10000 });
const commits = [...log.matchAll(/^Commit: (\S+)\nAuthor: .*\nDate: .*\nMessage: (.*)$/gm)].map(m => ({ hash: m[1], message: m[2].trim() }));
const shows = await Promise.all(commits.map(c => git.git_show({ repo_path: ".", revision: c.hash })));
return commits.filter((c, i) => shows[i].includes("src/checkout.py")).map(c => c.message);
