// Sets up a fresh context in two steps; the first is done once, before the
// snapshot every instance starts from. It receives the host functions as
// arguments, so they never become globals the program can reach: `call` and
// `log` go to the host, and `site()` says where the program is (as a stack
// trace line naming program.js). It returns `install`, which each execution
// calls with its `bindings` (JSON of each namespace, with its functions as
// JSON text of their own) and which returns how to describe what the program
// throws, as JSON for the host.
(function (call, log, site) {
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

  // Where the program called, taken when it calls, so an error thrown after
  // the `await` still points at the program's line.
  const invoke = async (server, tool, args, where) => {
    const reply = JSON.parse(await call(server, tool, args === undefined ? "{}" : JSON.stringify(args)));
    if (reply.status === "ok") return reply.value;
    const error = reply.status === "type_error" ? new TypeError(reply.message) : new Error(reply.message);
    error.stack = where;
    throw error;
  };
  // A namespace is built when the program first names it, and each of its
  // functions when first used: most programs use a few of many tools.
  const namespace = (ident, server, functions) => {
    // Each function by its identifier and by its tool's name: [identifier, tool].
    const named = new Map();
    for (const pair of JSON.parse(functions)) {
      named.set(pair[0], pair);
      named.set(pair[1], pair);
    }
    // A namespace with a `then` would be awaited as a promise (the tool is `then_`).
    named.delete("then");
    const made = new Map();
    const bound = ([fn, tool]) => {
      let f = made.get(fn);
      if (f === undefined) {
        f = (args) => invoke(server, tool, args, site());
        Object.defineProperty(f, "name", { value: `${ident}.${fn}` });
        made.set(fn, f);
      }
      return f;
    };
    const refuse = () => false;
    return new Proxy(Object.create(null), {
      get(_, key) {
        if (typeof key !== "string") return undefined;
        const found = named.get(key);
        if (found !== undefined) return bound(found);
        if (key === "then" || key === "toJSON") return undefined;
        // Unknown names still go to the host, which answers with a "did you
        // mean"; none is this long, so those are answered here.
        if (key.length > 256) return () => Promise.reject(new TypeError(ident + "." + key.slice(0, 64) + "… is not a function"));
        return (args) => invoke(server, key, args, site());
      },
      has: (_, key) => named.has(key),
      ownKeys: () => [...named.keys()],
      getOwnPropertyDescriptor(_, key) {
        const found = named.get(key);
        return found === undefined ? undefined : { value: bound(found), writable: false, enumerable: true, configurable: true };
      },
      // Read-only, as a frozen object would be.
      set: refuse,
      defineProperty: refuse,
      deleteProperty: refuse,
      setPrototypeOf: refuse,
      preventExtensions: refuse,
    });
  };
  return (bindings) => {
    for (const { ident, server, functions } of JSON.parse(bindings)) {
      if (ident in globalThis) throw new Error("the namespace " + ident + " would replace a global");
      let value;
      Object.defineProperty(globalThis, ident, { get: () => (value ??= namespace(ident, server, functions)), configurable: false });
    }
    return describe;
  };
})
