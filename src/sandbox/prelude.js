// Runs once in each fresh context, before the program. Receives the host
// functions as arguments, so they never become globals the program can reach.
// Returns how to describe what the program throws, as JSON for the host.
(function (call, log, bindings) {
  "use strict";
  const describe = (thrown) => {
    try {
      if (thrown instanceof Error) {
        return JSON.stringify({ name: String(thrown.name), message: String(thrown.message), stack: String(thrown.stack ?? "") });
      }
      let shown;
      try {
        shown = JSON.stringify(thrown);
      } catch {}
      return JSON.stringify({ value: shown === undefined ? String(thrown) : shown });
    } catch {
      return JSON.stringify({ value: "(a value that cannot be shown)" });
    }
  };
  const show = (value) => {
    if (typeof value === "string") return value;
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch {
      return String(value);
    }
  };
  const console = {};
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const as = level === "log" ? "info" : level;
    console[level] = (...args) => log(as, args.map(show).join(" "));
  }
  Object.defineProperty(globalThis, "console", { value: Object.freeze(console), writable: true, configurable: true });

  // The stack is taken when the program calls, so an error thrown after the
  // `await` still points at the program's line.
  const invoke = async (server, tool, args, site) => {
    const reply = JSON.parse(await call(server, tool, args === undefined ? "{}" : JSON.stringify(args)));
    if (reply.status === "ok") return reply.value;
    const error = reply.status === "type_error" ? new TypeError(reply.message) : new Error(reply.message);
    error.stack = site;
    throw error;
  };
  for (const { ident, server, functions } of JSON.parse(bindings)) {
    if (ident in globalThis) throw new Error("the namespace " + ident + " would replace a global");
    const target = Object.create(null);
    for (const [fn, tool] of functions) {
      const f = (args) => invoke(server, tool, args, new Error().stack);
      Object.defineProperty(f, "name", { value: `${ident}.${fn}` });
      target[fn] = f;
      target[tool] = f;
    }
    // A namespace with a `then` would be awaited as a promise (the tool is `then_`).
    delete target.then;
    Object.freeze(target);
    // Unknown names still go to the host, which answers with a "did you mean";
    // none is this long, so those are answered here.
    const namespace = new Proxy(target, {
      get(t, key) {
        if (typeof key !== "string" || key in t || key === "then" || key === "toJSON") return t[key];
        if (key.length > 256) return () => Promise.reject(new TypeError(ident + "." + key.slice(0, 64) + "… is not a function"));
        return (args) => invoke(server, key, args, new Error().stack);
      },
    });
    Object.defineProperty(globalThis, ident, { value: namespace, writable: false, configurable: false });
  }
  return describe;
})
