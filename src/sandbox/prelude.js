// Runs once in each fresh context, before the program. Receives the host
// functions as arguments, so they never become globals the program can reach.
(function (call, log, bindings, maxDepth) {
  "use strict";
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

  // Where arguments the host refused go wrong: the first string or key with
  // an unpaired surrogate, or the first place nested deeper than the limit.
  // Iterative, so a deep value cannot overflow the stack here.
  const fault = (args) => {
    const pending = [[args, "args", 1]];
    while (pending.length > 0) {
      const [value, path, depth] = pending.pop();
      if (typeof value === "string") {
        if (!value.isWellFormed()) return `${path}: the string has an unpaired surrogate, which JSON cannot carry`;
        continue;
      }
      if (value === null || typeof value !== "object") continue;
      if (depth > maxDepth) return `${path}: nested more than ${maxDepth} levels deep`;
      for (const key of Object.keys(value).reverse()) {
        const at = Array.isArray(value) ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        if (!key.isWellFormed()) return `${at}: the key has an unpaired surrogate, which JSON cannot carry`;
        pending.push([value[key], at, depth + 1]);
      }
    }
    return null;
  };

  // The stack is taken when the program calls, so an error thrown after the
  // `await` still points at the program's line.
  const invoke = async (server, tool, shown, args, site) => {
    const reply = JSON.parse(await call(server, tool, args === undefined ? "{}" : JSON.stringify(args)));
    if (reply.status === "ok") return reply.value;
    let error;
    if (reply.status === "invalid_arguments") {
      error = new TypeError(`${shown}: invalid arguments: ${fault(args) ?? `args: ${reply.message}`}; the call was not made`);
    } else {
      error = reply.status === "type_error" ? new TypeError(reply.message) : new Error(reply.message);
    }
    error.stack = site;
    throw error;
  };
  const short = (name) => (name.length > 128 ? `${name.slice(0, 128)}…` : name);
  for (const { ident, server, functions } of JSON.parse(bindings)) {
    if (ident in globalThis) throw new Error(`the namespace ${ident} would replace a global of the sandbox`);
    const target = Object.create(null);
    for (const [fn, tool] of functions) {
      const shown = `${ident}.${fn}`;
      const f = (args) => invoke(server, tool, shown, args, new Error().stack);
      Object.defineProperty(f, "name", { value: shown });
      target[fn] = f;
      // A namespace with a `then` would be awaited as a promise.
      if (tool !== "then") target[tool] = f;
    }
    Object.freeze(target);
    // Unknown names still go to the host, which answers with a "did you mean".
    const namespace = new Proxy(target, {
      get(t, key) {
        if (typeof key !== "string" || key in t || key === "then" || key === "toJSON") return t[key];
        // No tool has a name this long: answered here, not sent to the host.
        if (key.length > 256) {
          return () => Promise.reject(new TypeError(`${ident}.${short(key)} is not a function`));
        }
        return (args) => invoke(server, key, `${ident}.${short(key)}`, args, new Error().stack);
      },
    });
    Object.defineProperty(globalThis, ident, { value: namespace, writable: false, configurable: false });
  }
})
