// Sets up a fresh context in two steps; the first is done once, before the
// snapshot every instance starts from. It receives the host functions as
// arguments, so they never become globals the program can reach: `call` and
// `log` go to the host, `site()` says where the program is (as a stack
// trace line naming program.js) and `alarm(ms, wake)` has the host call
// `wake` after `ms` milliseconds (one alarm at a time; `alarm(-1)` sets none). It returns `install`, which each execution
// calls with its `bindings` (JSON of each namespace, with its functions as
// JSON text of their own) and which returns how to describe what the program
// throws, as JSON for the host.
//
// A program may replace, delete or poison any global and any prototype
// (`JSON`, `Object`, `Array.prototype.map`, `Function.prototype.call`,
// setters on `Object.prototype`, ...), and the bindings run while it runs and
// after it ends. So every built-in they use is taken here, before any program
// runs, and called directly, never as a method looked up when it is needed;
// name tables and the objects handed to built-ins (descriptors, proxy
// handlers, descriptions) have no prototype, so no name finds an inherited
// member and no getter or setter a program adds is consulted.
(function (call, log, site, alarm) {
  "use strict";
  const { parse, stringify } = JSON;
  const { create, defineProperty, getOwnPropertyDescriptor, hasOwn } = Object;
  const ownKeys = Reflect.ownKeys;
  const isError = Error.isError;
  const global = globalThis;
  const [ErrorClass, TypeErrorClass, PromiseClass, ProxyClass, StringOf] = [Error, TypeError, Promise, Proxy, String];
  // `method` as a function taking its `this` first.
  const uncurry = (method) => Function.prototype.call.bind(method);
  const slice = uncurry(String.prototype.slice);
  const source = uncurry(Function.prototype.toString);
  const errorStack = uncurry(getOwnPropertyDescriptor(Error.prototype, "stack").get);
  const wellFormed = uncurry(String.prototype.toWellFormed);
  const charCodeAt = uncurry(String.prototype.charCodeAt);

  // Members the engine itself looks up on an object (awaiting it, turning it
  // into JSON or a string): a namespace has none, whatever its tools are
  // called (their functions have other names; see typegen's names.rs).
  const implicitNames = ["then", "toJSON", "toString", "valueOf"];
  const implicit = create(null);
  for (const name of implicitNames) implicit[name] = true;

  // The value `key` holds as data on `object` or its prototypes; a getter is
  // not called. Only a proxy among the prototypes runs the program's code.
  // Nothing is allocated: an error may be described when memory ran out.
  const getterOf = uncurry(Object.prototype.__lookupGetter__);
  const stored = (object, key) => (getterOf(object, key) === undefined ? object[key] : undefined);
  // A value as text without running the program's code: what `String` gives
  // for a primitive or a function, the kind of anything else.
  const plain = (value) => {
    if (typeof value === "function") {
      try {
        return source(value);
      } catch {
        return "[function]";
      }
    }
    if (typeof value === "object" && value !== null) return "[object]";
    return StringOf(value);
  };
  const text = (value, otherwise) => (typeof value === "string" ? value : value === undefined ? otherwise : plain(value));
  // An error's name and message, as stored on it.
  const field = (error, key, otherwise) => {
    try {
      return text(stored(error, key), otherwise);
    } catch {
      return otherwise;
    }
  };
  const nameOf = (error) => field(error, "name", "Error");
  const messageOf = (error) => field(error, "message", "");

  // Texts as the host reads them: well-formed (an unpaired surrogate is no
  // UTF-8), and cut if the whole would not fit in memory.
  const MAX_KEPT = 16384;
  const whole = (text) => wellFormed(text);
  const cut = (text) =>
    wellFormed(text.length > MAX_KEPT ? slice(text, 0, MAX_KEPT) + "… [cut: " + text.length + " characters in all]" : text);

  const describeWith = (thrown, keep) => {
    if (isError(thrown)) {
      // Set by the bindings, or by the engine when it made the error.
      const stack = hasOwn(thrown, "stack") ? stored(thrown, "stack") : errorStack(thrown);
      return stringify({
        __proto__: null,
        name: keep(nameOf(thrown)),
        message: keep(messageOf(thrown)),
        stack: keep(text(stack, "")),
      });
    }
    // A string is kept before it is quoted, so a cut one is cut once.
    const kept = typeof thrown === "string";
    let shown;
    try {
      shown = stringify(kept ? keep(thrown) : thrown);
    } catch {}
    const value = typeof shown === "string" && kept ? shown : keep(typeof shown === "string" ? shown : plain(thrown));
    return stringify({ __proto__: null, value });
  };
  const describe = (thrown) => {
    try {
      return describeWith(thrown, whole);
    } catch {}
    try {
      return describeWith(thrown, cut);
    } catch {}
    return stringify({ __proto__: null, value: "(a value that cannot be shown)" });
  };
  const show = (value) => {
    if (typeof value === "string") return value;
    if (isError(value)) return nameOf(value) + ": " + messageOf(value);
    try {
      const json = stringify(value);
      if (typeof json === "string") return json;
    } catch {}
    return plain(value);
  };
  const console = {};
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const as = level === "log" ? "info" : level;
    console[level] = (...args) => {
      let line = "";
      for (let i = 0; i < args.length; i++) line += (i === 0 ? "" : " ") + show(args[i]);
      log(as, line);
    };
  }
  defineProperty(global, "console", { __proto__: null, value: Object.freeze(console), writable: true, configurable: true });

  // An error the program sees thrown, pointing at `where` the program called.
  const failure = (Class, message, where) => {
    const error = new Class(message);
    defineProperty(error, "stack", { __proto__: null, value: where, writable: true, configurable: true });
    return error;
  };
  // `promise` (the engine's own) with `Promise` as its own `constructor`:
  // that is all `await` looks up on it, and a program may have replaced it on
  // `Promise.prototype`.
  const awaitable = (promise) => {
    defineProperty(promise, "constructor", { __proto__: null, value: PromiseClass });
    return promise;
  };
  // ---- Errors that say the fix: a forgotten `await`, JSON.parse of a value
  // already parsed. (Kept apart from the rest to ease merges.)
  //
  // Promise.prototype inherits from `unawaited`, a proxy in front of
  // Object.prototype: what a promise has (`then`, `catch`, `constructor`,
  // Object.prototype's members, well-known symbols but the iterators and
  // `Symbol.toPrimitive`) is found as before, but reading anything else from
  // a promise (`r.issues`, destructuring, `for…of`, `JSON.stringify`'s
  // `toJSON`, `${p}`) throws, naming the tool call not awaited, where it
  // would quietly give `undefined`, {} or "[object Promise]".
  const setPrototypeOf = Object.setPrototypeOf;
  const reflectGet = Reflect.get;
  const SymbolClass = Symbol;
  const isArray = Array.isArray;
  const calledAs = new WeakMap();
  const calledAsGet = uncurry(WeakMap.prototype.get);
  const calledAsSet = uncurry(WeakMap.prototype.set);
  const forgot = (promise) => {
    const shown = calledAsGet(calledAs, promise);
    return "; did you forget `await`" + (shown === undefined ? "" : " before " + shown + "(…)") + "?";
  };
  // A prototype (`Promise.prototype`, a subclass's) is read by programs
  // that feature-test a member (`if (!Promise.prototype.done) …`); it is no
  // promise, nor is any other value read through it.
  const isPrototype = (object) => {
    const own = getOwnPropertyDescriptor(object, "constructor");
    if (own === undefined || !hasOwn(own, "value") || typeof own.value !== "function") return false;
    const made = getOwnPropertyDescriptor(own.value, "prototype");
    return made !== undefined && hasOwn(made, "value") && made.value === object;
  };
  const aPromise = (value) => typeof value === "object" && value !== null && !isPrototype(value);
  // Inheriting from Object.prototype: promises stay `instanceof Object`.
  const promiseMembers = create(Object.prototype);
  const unawaited = new ProxyClass(promiseMembers, {
    __proto__: null,
    get(target, key, receiver) {
      const iterator = key === SymbolClass.iterator || key === SymbolClass.asyncIterator;
      if (key in target || (typeof key === "symbol" && !iterator && key !== SymbolClass.toPrimitive) || !aPromise(receiver)) {
        return reflectGet(target, key, receiver);
      }
      let message;
      if (key === "toJSON") message = "a promise cannot be turned into JSON (it would be {})";
      else if (iterator) message = "a promise cannot be iterated";
      else if (typeof key === "symbol") message = "a promise cannot be turned into a string or number";
      else message = "cannot read property '" + key + "' of a promise";
      throw new TypeErrorClass(message + forgot(receiver));
    },
  });
  setPrototypeOf(PromiseClass.prototype, unawaited);
  // A tool call's promise is named after its call.
  const unawaitedCall = (promise, shown) => {
    calledAsSet(calledAs, promise, shown);
    return promise;
  };
  const jsonParse = parse;
  const SyntaxErrorClass = SyntaxError;
  const prototypeOf = Object.getPrototypeOf;
  const inherits = (value, prototype) => {
    for (let o = prototypeOf(value); o !== null; o = prototypeOf(o)) if (o === prototype) return true;
    return false;
  };
  // What JSON.parse does, but a value already parsed (or undefined), which
  // it cannot read, is named. It is parsed first, as a string of it, so a
  // value that reads as JSON (`new String("[1]")`) still gives what it
  // did, and what cannot be read is still a SyntaxError that a program's
  // `catch` may test for.
  const parseChecked = {
    parse(text, reviver) {
      if (aPromise(text) && inherits(text, PromiseClass.prototype)) throw new TypeErrorClass("JSON.parse was given a promise" + forgot(text));
      try {
        return reviver === undefined ? jsonParse(text) : jsonParse(text, reviver);
      } catch (error) {
        const given = text === undefined ? "undefined" : typeof text === "object" && text !== null ? (isArray(text) ? "an array" : "an object") : undefined;
        if (given === undefined || !isError(error) || prototypeOf(error) !== SyntaxErrorClass.prototype) throw error;
        const fix = given === "undefined" ? ", not a string of JSON" : ": the value is already parsed JSON; use it directly";
        throw new SyntaxErrorClass("JSON.parse was given " + given + fix);
      }
    },
  }.parse;
  defineProperty(JSON, "parse", { __proto__: null, value: parseChecked, writable: true, configurable: true });
  // ---- End of the errors block.

  // Where the program called, taken when it calls, so an error thrown after
  // the `await` still points at the program's line.
  const encode = (shown, args, where) => {
    const json = args === undefined ? "{}" : stringify(args);
    if (typeof json !== "string") {
      throw failure(TypeErrorClass, shown + " takes one object of named arguments; a " + typeof args + " cannot be sent as JSON", where);
    }
    return json;
  };
  const invoke = async (server, tool, shown, args, where) => {
    // The arguments' JSON is not kept while the call waits: the host has it.
    const reply = parse(await awaitable(call(server, tool, encode(shown, args, where))));
    if (reply.status === "ok") return reply.value;
    throw failure(reply.status === "type_error" ? TypeErrorClass : ErrorClass, reply.message, where);
  };
  const calling = (server, tool, shown) => (args) => unawaitedCall(awaitable(invoke(server, tool, shown, args, site())), shown);
  // `ns.name` for a name a program asked for, or `ns["…"]` (quoted, cut)
  // when it is no identifier: what a program reads from a tool's answer
  // and calls by never reads as codemode's own words in an error.
  const identifierLike = (key) => {
    if (key.length === 0 || key.length > 64) return false;
    for (let i = 0; i < key.length; i++) {
      const c = charCodeAt(key, i);
      const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  };
  const member = (ident, key) =>
    identifierLike(key) ? ident + "." + key : ident + "[" + stringify(key.length > 64 ? slice(key, 0, 64) + "…" : key) + "]";
  // A namespace is built when the program first names it, and each of its
  // functions when first used: most programs use a few of many tools.
  const namespace = (ident, server, functions) => {
    // Each function by its identifier and by its tool's name: [identifier, tool].
    const named = create(null);
    const list = parse(functions);
    for (let i = 0; i < list.length; i++) {
      const pair = list[i];
      named[pair[0]] = pair;
      named[pair[1]] = pair;
    }
    for (let i = 0; i < implicitNames.length; i++) delete named[implicitNames[i]];
    const made = create(null);
    const bound = (pair) => {
      const fn = pair[0];
      let f = made[fn];
      if (f === undefined) {
        const tool = pair[1];
        const shown = ident + "." + fn;
        f = calling(server, tool, shown);
        defineProperty(f, "name", { __proto__: null, value: shown });
        made[fn] = f;
      }
      return f;
    };
    const refuse = () => false;
    return new ProxyClass(create(null), {
      __proto__: null,
      get(_, key) {
        if (typeof key !== "string" || implicit[key] === true) return undefined;
        if (hasOwn(named, key)) return bound(named[key]);
        // Unknown names still go to the host, which answers with a "did you
        // mean"; none is this long, so those are answered here.
        if (key.length > 256) {
          const shown = member(ident, key);
          const refused = async () => {
            throw new TypeErrorClass(shown + " is not a function");
          };
          return () => unawaitedCall(awaitable(refused()), shown);
        }
        return calling(server, key, member(ident, key));
      },
      has: (_, key) => hasOwn(named, key),
      ownKeys: () => ownKeys(named),
      getOwnPropertyDescriptor(_, key) {
        if (!hasOwn(named, key)) return undefined;
        return { __proto__: null, value: bound(named[key]), writable: false, enumerable: true, configurable: true };
      },
      // Read-only, as a frozen object would be.
      set: refuse,
      defineProperty: refuse,
      deleteProperty: refuse,
      setPrototypeOf: refuse,
      preventExtensions: refuse,
    });
  };
  // The globals programs written for Workers or Node expect: globals.js,
  // put here when the guest is built.
  // @include globals.js

  // Runs before the program, so the built-ins it uses are still the engine's.
  return (bindings) => {
    for (const { ident, server, functions } of parse(bindings)) {
      // Only an own property is a global a namespace would replace (`in`
      // also finds what the global object inherits: `toString`, `__proto__`).
      if (hasOwn(global, ident)) throw new ErrorClass("the namespace " + ident + " would replace a global");
      let value;
      defineProperty(global, ident, { __proto__: null, get: () => (value ??= namespace(ident, server, functions)), configurable: false });
    }
    return describe;
  };
})
