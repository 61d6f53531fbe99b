const text = (r: any): string => {
  if (typeof r === "string") return r;
  if (r == null) return "";
  if (Array.isArray(r)) return r.map(text).join("\n");
  if (typeof r.content === "string") return r.content;
  if (Array.isArray(r.content)) return r.content.map((c: any) => (typeof c === "string" ? c : c?.text ?? "")).join("\n");
  if (typeof r.text === "string") return r.text;
  return JSON.stringify(r);
};
const allowed = text(await filesystem.list_allowed_directories({}))
  .replace(/\r/g, "").split("\n").map((l) => l.trim().replace(/^[-*]\s+/, ""))
  .filter((l) => l.startsWith("/") || /^[A-Za-z]:[\\/]/.test(l));
if (!allowed.length) throw new Error("no allowed directory found");
const join = (a: string, b: string) => a.replace(/[\\/]+$/, "") + "/" + b;
const root = allowed[0];
const [jsonTxt, envTxt] = await Promise.all([
  filesystem.read_text_file({ path: join(root, "config/app.json") }).then(text),
  filesystem.read_text_file({ path: join(root, "config/.env") }).then(text),
]);
const cfg = JSON.parse(jsonTxt);
const env: Record<string, string> = {};
for (let line of envTxt.replace(/\r/g, "").split("\n")) {
  line = line.trim();
  if (!line || line.startsWith("#")) continue;
  line = line.replace(/^export\s+/, "");
  const i = line.indexOf("=");
  if (i < 0) continue;
  const k = line.slice(0, i).trim();
  let v = line.slice(i + 1).trim();
  if (/^".*"$/.test(v) || /^'.*'$/.test(v)) v = v.slice(1, -1);
  else v = v.replace(/\s+#.*$/, "");
  env[k] = v;
}
const norm = (k: string) => k.toLowerCase().replace(/[^a-z0-9]/g, "");
// find a key in json (prefers shallow matches); path-joined key names are also considered
const findJson = (keys: string[]) => {
  const want = keys.map(norm);
  let best: any = undefined, bestDepth = Infinity;
  const visit = (o: any, path: string[], depth: number) => {
    if (o == null || typeof o !== "object" || Array.isArray(o)) return;
    for (const [k, v] of Object.entries(o)) {
      const full = norm([...path, k].join(""));
      if ((want.includes(norm(k)) || want.includes(full)) && (v == null || typeof v !== "object") && depth < bestDepth) {
        best = v; bestDepth = depth;
      }
      visit(v, [...path, k], depth + 1);
    }
  };
  visit(cfg, [], 0);
  return best;
};
const resolveRef = (v: any) => {
  if (typeof v !== "string") return v;
  const m = v.match(/^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?\}$/) || v.match(/^\$([A-Za-z_][A-Za-z0-9_]*)$/) || v.match(/^env:([A-Za-z_][A-Za-z0-9_]*)$/);
  if (m) return env[m[1]] ?? m[2] ?? v;
  return v;
};
const findEnv = (keys: string[]) => {
  const want = keys.map(norm);
  for (const [k, v] of Object.entries(env)) if (want.includes(norm(k))) return v;
  return undefined;
};
const portEnv = findEnv(["PORT", "APP_PORT", "SERVER_PORT"]);
const portJson = resolveRef(findJson(["port", "serverport", "appport", "httpport"]));
const dbEnv = findEnv(["DATABASE_URL", "DB_URL", "DATABASEURL"]);
const dbJson = resolveRef(findJson(["database_url", "databaseurl", "db_url", "dburl", "databaseuri", "connectionstring"]));
const debugEnv = findEnv(["DEBUG", "APP_DEBUG", "DEBUG_MODE"]);
const debugJson = resolveRef(findJson(["debug", "debugmode", "debug_mode"]));
console.log(JSON.stringify({ portEnv, portJson, dbEnv, dbJson, debugEnv, debugJson }));
const toBool = (v: any) => {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return /^(true|1|yes|on|y|enabled)$/i.test(v.trim());
  return false;
};
const port = Number(portEnv ?? portJson);
const database_url = (dbEnv ?? dbJson) ?? null;
const debug = toBool(debugEnv ?? debugJson);
return { port, database_url, debug };
