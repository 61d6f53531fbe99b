const log = await git.git_log({ repo_path: ".", max_count: 10000 });
const m = log.match(/^Author: Dan Okafor.*\nDate: (.*)$/m)!;
const hhmm = m[1].match(/(\d{2}):(\d{2})/)!;
const res = await time.convert_time({ source_timezone: "Asia/Kolkata", time: `${hhmm[1]}:${hhmm[2]}`, target_timezone: "Asia/Tokyo" });
return res.target.datetime.slice(11, 16);
