// The globals programs written for Workers or Node expect: timers,
// structuredClone, URL, TextEncoder, AbortController and the rest. Not a
// script of its own: `guest_config::prelude` puts it inside the prelude's
// function (prelude.js, at its `@include` line), so it runs before any
// program, with the prelude's helpers and host functions (`alarm`) in scope,
// under the same rules: every built-in it uses while the program runs is
// taken here, before the program could replace it.
  // Timers run while the program awaits, each in its own step, with the
  // host asked to wake the guest for the earliest: it sleeps meanwhile, and
  // holds one alarm whatever the number of timers. None outlives the
  // program: once its promise settles, the execution is over. A callback's
  // uncaught exception ends the program, as it ends a Node process.
  {
    const { now } = Date;
    const NumberOf = Number;
    const apply = Reflect.apply;
    // Records by id: `{ fn, args, every, seq }`; a cleared timer has none.
    const timers = create(null);
    // A binary heap of `{ due, order, id, seq }` by due time, then order;
    // entries of cleared or rescheduled timers are skipped when they surface.
    const heap = create(null);
    let size = 0;
    let lastId = 0;
    let order = 0;
    let armedAt;
    const before = (a, b) => a.due < b.due || (a.due === b.due && a.order < b.order);
    const swap = (i, j) => {
      const t = heap[i];
      heap[i] = heap[j];
      heap[j] = t;
    };
    const push = (entry) => {
      let i = size++;
      heap[i] = entry;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!before(heap[i], heap[parent])) break;
        swap(i, parent);
        i = parent;
      }
    };
    const pop = () => {
      size--;
      heap[0] = heap[size];
      delete heap[size];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < size && before(heap[l], heap[m])) m = l;
        if (r < size && before(heap[r], heap[m])) m = r;
        if (m === i) return;
        swap(i, m);
        i = m;
      }
    };
    const live = (entry) => {
      const timer = timers[entry.id];
      return timer !== undefined && timer.seq === entry.seq;
    };
    const schedule = (id, timer, delay) => {
      timer.seq = ++order;
      push({ __proto__: null, due: now() + delay, order: timer.seq, id, seq: timer.seq });
    };
    // Asks for the alarm the earliest live timer needs, if it changed.
    const arm = () => {
      while (size > 0 && !live(heap[0])) pop();
      const due = size > 0 ? heap[0].due : undefined;
      if (due === armedAt) return;
      armedAt = due;
      if (due === undefined) alarm(-1);
      else alarm(due > now() ? due - now() : 0, fire);
    };
    // Runs the earliest due timer, if any, then asks for the next alarm:
    // the engine runs the jobs it queued before the next timer, as Node does.
    const fire = () => {
      armedAt = undefined;
      while (size > 0 && !live(heap[0])) pop();
      if (size > 0 && heap[0].due <= now()) {
        const { id } = heap[0];
        const timer = timers[id];
        pop();
        if (timer.every === undefined) delete timers[id];
        else schedule(id, timer, timer.every);
        arm();
        apply(timer.fn, undefined, timer.args);
        return;
      }
      arm();
    };
    // Node's rule: a delay below 1 ms, above 2^31 - 1 or not a number is 1 ms.
    const delayOf = (delay) => {
      const ms = NumberOf(delay);
      return ms >= 1 && ms <= 2147483647 ? ms : 1;
    };
    const start = (name, every) => (fn, delay, ...args) => {
        if (typeof fn !== "function") {
          throw new TypeErrorClass(name + " takes a function to call, not a " + typeof fn);
        }
        const ms = delayOf(delay);
        const id = ++lastId;
        const timer = { __proto__: null, fn, args, every: every ? ms : undefined, seq: 0 };
        timers[id] = timer;
        schedule(id, timer, ms);
        arm();
        return id;
    };
    const clear = (id) => {
      if (typeof id === "number" && timers[id] !== undefined) {
        delete timers[id];
        arm();
      }
    };
    const globals = {
      __proto__: null,
      setTimeout: start("setTimeout", false),
      setInterval: start("setInterval", true),
      clearTimeout: (id) => clear(id),
      clearInterval: (id) => clear(id),
    };
    for (const name of ownKeys(globals)) {
      const value = globals[name];
      defineProperty(value, "name", { __proto__: null, value: name });
      defineProperty(global, name, { __proto__: null, value, writable: true, configurable: true });
    }
  }

  // Web and Node globals: structuredClone, TextEncoder and TextDecoder
  // (UTF-8), URL and URLSearchParams, AbortController and AbortSignal,
  // crypto.randomUUID. QuickJS has atob, btoa, performance.now,
  // queueMicrotask and DOMException itself. What is missing says so when
  // used: Intl (no locale data), locale options of toLocale*String, and
  // crypto's secure random source.
  {
    const [MapClass, SetClass, DateClass, RegExpClass, ArrayBufferClass, Uint8ArrayClass, DataViewClass] = [Map, Set, Date, RegExp, ArrayBuffer, Uint8Array, DataView];
    const [DOMExceptionClass, RangeErrorClass, NumberClass, BooleanClass, ObjectOf, WeakMapClass, WeakSetClass, WeakRefClass] = [
      DOMException, RangeError, Number, Boolean, Object, WeakMap, WeakSet, WeakRef,
    ];
    const errorKinds = { __proto__: null, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
    const { isArray } = Array;
    const { fromCharCode } = String;
    const { floor, random } = Math;
    const apply = Reflect.apply;
    const getPrototypeOf = Object.getPrototypeOf;
    const getter = (proto, key) => uncurry(getOwnPropertyDescriptor(proto, key).get);
    const mapGet = uncurry(MapClass.prototype.get);
    const mapSet = uncurry(MapClass.prototype.set);
    const mapForEach = uncurry(MapClass.prototype.forEach);
    const mapSize = getter(MapClass.prototype, "size");
    const setAdd = uncurry(SetClass.prototype.add);
    const setForEach = uncurry(SetClass.prototype.forEach);
    const setSize = getter(SetClass.prototype, "size");
    const getTime = uncurry(DateClass.prototype.getTime);
    const regexpSource = getter(RegExpClass.prototype, "source");
    const regexpFlags = getter(RegExpClass.prototype, "flags");
    const exec = uncurry(RegExpClass.prototype.exec);
    const bufferLength = getter(ArrayBufferClass.prototype, "byteLength");
    const bufferSlice = uncurry(ArrayBufferClass.prototype.slice);
    const TypedArray = getPrototypeOf(Uint8ArrayClass);
    const typedBuffer = getter(TypedArray.prototype, "buffer");
    const typedOffset = getter(TypedArray.prototype, "byteOffset");
    const typedLength = getter(TypedArray.prototype, "length");
    const typedName = getter(TypedArray.prototype, Symbol.toStringTag);
    const viewBuffer = getter(DataViewClass.prototype, "buffer");
    const viewOffset = getter(DataViewClass.prototype, "byteOffset");
    const viewLength = getter(DataViewClass.prototype, "byteLength");
    const charCodeAt = uncurry(String.prototype.charCodeAt);
    const indexOf = uncurry(String.prototype.indexOf);
    const lastIndexOf = uncurry(String.prototype.lastIndexOf);
    const toLowerCase = uncurry(String.prototype.toLowerCase);
    const trim = uncurry(String.prototype.trim);
    const replace = uncurry(String.prototype.replace);
    const numberValue = uncurry(Number.prototype.valueOf);
    const booleanValue = uncurry(Boolean.prototype.valueOf);
    const stringValue = uncurry(String.prototype.valueOf);
    const bigintValue = uncurry(BigInt.prototype.valueOf);
    // A brand check throws for every class a value is not, and recording a
    // thrown error's stack took most of a clone's time: none is recorded
    // for these, through the engine's own accessor, taken before any
    // program could replace it.
    const { get: traceLimit, set: setTraceLimit } = getOwnPropertyDescriptor(ErrorClass, "stackTraceLimit") ?? {};
    const is = (brand, value) => {
      const limit = traceLimit === undefined ? undefined : apply(traceLimit, ErrorClass, []);
      if (setTraceLimit !== undefined) apply(setTraceLimit, ErrorClass, [0]);
      try {
        brand(value);
        return true;
      } catch {
        return false;
      } finally {
        if (setTraceLimit !== undefined) apply(setTraceLimit, ErrorClass, [limit]);
      }
    };
    const define = (name, value) => defineProperty(global, name, { __proto__: null, value, writable: true, configurable: true });

    // structuredClone: the HTML structured clone, as Node and Workers have it.
    const cannotClone = (what) => new DOMExceptionClass(what + " could not be cloned.", "DataCloneError");
    const typedArrays = create(null);
    for (const C of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float16Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array]) {
      typedArrays[C.name] = C;
    }
    const clone = (value, seen) => {
      if (typeof value === "function") throw cannotClone(plain(value).length > 60 ? "function" : plain(value));
      if (typeof value === "symbol") throw cannotClone(StringOf(value));
      if (typeof value !== "object" || value === null) return value;
      const known = mapGet(seen, value);
      if (known !== undefined) return known;
      let out;
      const keep = (made) => {
        mapSet(seen, value, made);
        return made;
      };
      if (isArray(value)) {
        out = keep([]);
        out.length = value.length;
      } else if (is(getTime, value)) return keep(new DateClass(getTime(value)));
      else if (is(regexpSource, value)) return keep(new RegExpClass(regexpSource(value), regexpFlags(value)));
      else if (is(bufferLength, value)) return keep(bufferSlice(value, 0));
      else if (is(typedName, value) && typedName(value) !== undefined) {
        const C = typedArrays[typedName(value)];
        return keep(new C(clone(typedBuffer(value), seen), typedOffset(value), typedLength(value)));
      } else if (is(viewLength, value)) return keep(new DataViewClass(clone(viewBuffer(value), seen), viewOffset(value), viewLength(value)));
      else if (is(mapSize, value)) {
        out = keep(new MapClass());
        const entries = [];
        mapForEach(value, (v, k) => (entries[entries.length] = [k, v]));
        for (let i = 0; i < entries.length; i++) mapSet(out, clone(entries[i][0], seen), clone(entries[i][1], seen));
        return out;
      } else if (is(setSize, value)) {
        out = keep(new SetClass());
        const items = [];
        setForEach(value, (v) => (items[items.length] = v));
        for (let i = 0; i < items.length; i++) setAdd(out, clone(items[i], seen));
        return out;
      } else if (isError(value)) {
        const name = nameOf(value);
        const Kind = errorKinds[name] ?? ErrorClass;
        out = keep(new Kind(messageOf(value)));
        const stack = stored(value, "stack");
        if (typeof stack === "string") defineProperty(out, "stack", { __proto__: null, value: stack, writable: true, configurable: true });
        return out;
      } else if (is(numberValue, value)) return keep(new NumberClass(numberValue(value)));
      else if (is(booleanValue, value)) return keep(new BooleanClass(booleanValue(value)));
      else if (is(stringValue, value)) return keep(new StringOf(stringValue(value)));
      else if (is(bigintValue, value)) return keep(ObjectOf(bigintValue(value)));
      else if (value instanceof PromiseClass || value instanceof WeakMapClass || value instanceof WeakSetClass || value instanceof WeakRefClass) {
        throw cannotClone("#<" + (getPrototypeOf(value)?.constructor?.name ?? "Object") + ">");
      } else out = keep({});
      // Own enumerable string keys, read as the program would read them.
      const keys = ownKeys(value);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (typeof key !== "string") continue;
        const d = getOwnPropertyDescriptor(value, key);
        if (d === undefined || !d.enumerable) continue;
        defineProperty(out, key, { __proto__: null, value: clone(value[key], seen), writable: true, enumerable: true, configurable: true });
      }
      return out;
    };
    define("structuredClone", function structuredClone(value) {
      if (arguments.length === 0) throw new TypeErrorClass("structuredClone takes the value to clone");
      return clone(value, new MapClass());
    });

    // UTF-8, as TextEncoder and TextDecoder (and URLs) need it.
    const utf8 = (text) => {
      const s = wellFormed(StringOf(text));
      const bytes = [];
      let n = 0;
      for (let i = 0; i < s.length; i++) {
        let c = charCodeAt(s, i);
        if (c < 0x80) bytes[n++] = c;
        else if (c < 0x800) {
          bytes[n++] = 0xc0 | (c >> 6);
          bytes[n++] = 0x80 | (c & 63);
        } else if (c >= 0xd800 && c <= 0xdbff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (charCodeAt(s, ++i) - 0xdc00);
          bytes[n++] = 0xf0 | (c >> 18);
          bytes[n++] = 0x80 | ((c >> 12) & 63);
          bytes[n++] = 0x80 | ((c >> 6) & 63);
          bytes[n++] = 0x80 | (c & 63);
        } else {
          bytes[n++] = 0xe0 | (c >> 12);
          bytes[n++] = 0x80 | ((c >> 6) & 63);
          bytes[n++] = 0x80 | (c & 63);
        }
      }
      return new Uint8ArrayClass(bytes);
    };
    // Code units as a string, a chunk at a time (arguments are bounded).
    const unitsToString = (units, count) => {
      let out = "";
      for (let i = 0; i < count; i += 8192) {
        const chunk = [];
        const end = count < i + 8192 ? count : i + 8192;
        for (let j = i; j < end; j++) chunk[j - i] = units[j];
        out += apply(fromCharCode, undefined, chunk);
      }
      return out;
    };
    // The WHATWG UTF-8 decoder: each invalid sequence becomes one U+FFFD
    // (or an error when `fatal`); `state` carries a sequence across chunks.
    const decodeUtf8 = (bytes, state, fatal, flush) => {
      const units = [];
      let n = 0;
      let { code, needed, seen, lower, upper } = state;
      const bad = () => {
        if (fatal) throw new TypeErrorClass("The encoded data was not valid for encoding utf-8");
        units[n++] = 0xfffd;
      };
      const put = (c) => {
        if (c > 0xffff) {
          c -= 0x10000;
          units[n++] = 0xd800 + (c >> 10);
          units[n++] = 0xdc00 + (c & 0x3ff);
        } else units[n++] = c;
      };
      const length = typedLength(bytes);
      for (let i = 0; i < length; i++) {
        const b = bytes[i];
        if (needed === 0) {
          if (b < 0x80) units[n++] = b;
          else if (b >= 0xc2 && b <= 0xdf) (needed = 1), (code = b & 0x1f);
          else if (b >= 0xe0 && b <= 0xef) {
            if (b === 0xe0) lower = 0xa0;
            if (b === 0xed) upper = 0x9f;
            (needed = 2), (code = b & 0xf);
          } else if (b >= 0xf0 && b <= 0xf4) {
            if (b === 0xf0) lower = 0x90;
            if (b === 0xf4) upper = 0x8f;
            (needed = 3), (code = b & 0x7);
          } else bad();
          continue;
        }
        if (b < lower || b > upper) {
          (code = 0), (needed = 0), (seen = 0), (lower = 0x80), (upper = 0xbf);
          bad();
          i--;
          continue;
        }
        (lower = 0x80), (upper = 0xbf);
        code = (code << 6) | (b & 0x3f);
        if (++seen === needed) {
          put(code);
          (code = 0), (needed = 0), (seen = 0);
        }
      }
      if (flush && needed !== 0) {
        (code = 0), (needed = 0), (seen = 0), (lower = 0x80), (upper = 0xbf);
        bad();
      }
      state.code = code;
      state.needed = needed;
      state.seen = seen;
      state.lower = lower;
      state.upper = upper;
      return unitsToString(units, n);
    };
    const fresh = () => ({ __proto__: null, code: 0, needed: 0, seen: 0, lower: 0x80, upper: 0xbf });
    const bytesOf = (input) => {
      if (input === undefined) return new Uint8ArrayClass(0);
      if (is(bufferLength, input)) return new Uint8ArrayClass(input);
      if (is(typedName, input) && typedName(input) !== undefined) {
        const perItem = typedArrays[typedName(input)].BYTES_PER_ELEMENT;
        return new Uint8ArrayClass(typedBuffer(input), typedOffset(input), typedLength(input) * perItem);
      }
      if (is(viewLength, input)) return new Uint8ArrayClass(viewBuffer(input), viewOffset(input), viewLength(input));
      throw new TypeErrorClass("TextDecoder.decode takes an ArrayBuffer, a typed array or a DataView");
    };
    class TextEncoder {
      get encoding() {
        return "utf-8";
      }
      encode(input = "") {
        return utf8(input);
      }
      encodeInto(source, destination) {
        const s = StringOf(source);
        const room = typedLength(destination);
        let read = 0;
        let written = 0;
        for (let i = 0; i < s.length; i++) {
          const c = charCodeAt(s, i);
          const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && charCodeAt(s, i + 1) >= 0xdc00 && charCodeAt(s, i + 1) <= 0xdfff;
          const bytes = utf8(pair ? slice(s, i, i + 2) : slice(s, i, i + 1));
          if (written + bytes.length > room) break;
          for (let j = 0; j < bytes.length; j++) destination[written++] = bytes[j];
          read += pair ? 2 : 1;
          if (pair) i++;
        }
        return { read, written };
      }
    }
    const utf8Labels = create(null);
    for (const label of ["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]) utf8Labels[label] = true;
    class TextDecoder {
      #fatal;
      #ignoreBOM;
      #state = fresh();
      #started = false;
      constructor(label = "utf-8", options = undefined) {
        const name = toLowerCase(trim(wellFormed(StringOf(label))));
        if (utf8Labels[name] !== true) {
          throw new RangeErrorClass("TextDecoder: the encoding " + stringify(StringOf(label)) + " is not available in the sandbox, only utf-8");
        }
        this.#fatal = !!options?.fatal;
        this.#ignoreBOM = !!options?.ignoreBOM;
      }
      get encoding() {
        return "utf-8";
      }
      get fatal() {
        return this.#fatal;
      }
      get ignoreBOM() {
        return this.#ignoreBOM;
      }
      decode(input = undefined, options = undefined) {
        const stream = !!options?.stream;
        let text = decodeUtf8(bytesOf(input), this.#state, this.#fatal, !stream);
        if (!this.#started && !this.#ignoreBOM && charCodeAt(text, 0) === 0xfeff) text = slice(text, 1);
        this.#started = stream && (this.#started || text.length > 0);
        if (!stream) this.#state = fresh();
        return text;
      }
    }
    define("TextEncoder", TextEncoder);
    define("TextDecoder", TextDecoder);

    // URLSearchParams and URL, after the WHATWG URL standard.
    const hex = "0123456789ABCDEF";
    // `text` as UTF-8, each byte `keep` refuses as %XX.
    const percentEncode = (text, keep) => {
      const bytes = utf8(text);
      let out = "";
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        out += keep(b) ? fromCharCode(b) : "%" + hex[b >> 4] + hex[b & 15];
      }
      return out;
    };
    const isHex = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
    const percentDecode = (text) => {
      const bytes = utf8(text);
      const out = [];
      let n = 0;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        if (b === 37 && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
          out[n++] = parseInt(fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
          i += 2;
        } else out[n++] = b;
      }
      return decodeUtf8(new Uint8ArrayClass(out), fresh(), false, true);
    };
    // application/x-www-form-urlencoded: what it leaves as it is.
    const formSafe = (b) => (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 42 || b === 45 || b === 46 || b === 95;
    const formEncode = (text) => {
      let out = "";
      const parts = percentEncode(text, (b) => formSafe(b) || b === 32);
      for (let i = 0; i < parts.length; i++) out += parts[i] === " " ? "+" : parts[i];
      return out;
    };
    const formDecode = (text) => {
      let spaced = "";
      for (let i = 0; i < text.length; i++) spaced += text[i] === "+" ? " " : text[i];
      return percentDecode(spaced);
    };
    const parseForm = (query) => {
      const list = [];
      let start = 0;
      while (start <= query.length) {
        let end = indexOf(query, "&", start);
        if (end < 0) end = query.length;
        const part = slice(query, start, end);
        if (part.length > 0) {
          const eq = indexOf(part, "=");
          list[list.length] = eq < 0 ? [formDecode(part), ""] : [formDecode(slice(part, 0, eq)), formDecode(slice(part, eq + 1))];
        }
        start = end + 1;
      }
      return list;
    };
    // A URL's `searchParams` tells it of each change; a URL whose query
    // changes reads it again.
    let attachParams, reparseParams;
    class URLSearchParams {
      #list = [];
      #changed;
      constructor(init = undefined) {
        if (init === undefined || init === null) return;
        if (typeof init === "object" || typeof init === "function") {
          if (init instanceof URLSearchParams) {
            for (const [k, v] of init) this.#list[this.#list.length] = [k, v];
          } else if (typeof init[Symbol.iterator] === "function") {
            for (const pair of init) {
              const items = [...pair];
              if (items.length !== 2) throw new TypeErrorClass("URLSearchParams: each pair must have exactly two items, a name and a value");
              this.#list[this.#list.length] = [wellFormed(StringOf(items[0])), wellFormed(StringOf(items[1]))];
            }
          } else {
            for (const key of ownKeys(init)) {
              if (typeof key !== "string" || !getOwnPropertyDescriptor(init, key)?.enumerable) continue;
              this.#list[this.#list.length] = [wellFormed(key), wellFormed(StringOf(init[key]))];
            }
          }
          return;
        }
        const query = StringOf(init);
        this.#list = parseForm(query[0] === "?" ? slice(query, 1) : query);
      }
      static {
        attachParams = (params, changed, query) => {
          params.#changed = changed;
          params.#list = parseForm(query);
        };
        reparseParams = (params, query) => {
          params.#list = parseForm(query);
        };
      }
      #update() {
        if (this.#changed !== undefined) this.#changed(this.toString());
      }
      get size() {
        return this.#list.length;
      }
      append(name, value) {
        this.#list[this.#list.length] = [wellFormed(StringOf(name)), wellFormed(StringOf(value))];
        this.#update();
      }
      delete(name, value = undefined) {
        const n = StringOf(name);
        const v = value === undefined ? undefined : StringOf(value);
        const kept = [];
        for (const pair of this.#list) if (!(pair[0] === n && (v === undefined || pair[1] === v))) kept[kept.length] = pair;
        this.#list = kept;
        this.#update();
      }
      get(name) {
        const n = StringOf(name);
        for (const pair of this.#list) if (pair[0] === n) return pair[1];
        return null;
      }
      getAll(name) {
        const n = StringOf(name);
        const out = [];
        for (const pair of this.#list) if (pair[0] === n) out[out.length] = pair[1];
        return out;
      }
      has(name, value = undefined) {
        const n = StringOf(name);
        const v = value === undefined ? undefined : StringOf(value);
        for (const pair of this.#list) if (pair[0] === n && (v === undefined || pair[1] === v)) return true;
        return false;
      }
      set(name, value) {
        const n = wellFormed(StringOf(name));
        const v = wellFormed(StringOf(value));
        const kept = [];
        let found = false;
        for (const pair of this.#list) {
          if (pair[0] !== n) kept[kept.length] = pair;
          else if (!found) {
            found = true;
            kept[kept.length] = [n, v];
          }
        }
        if (!found) kept[kept.length] = [n, v];
        this.#list = kept;
        this.#update();
      }
      sort() {
        // Stable, by code units of the names.
        const list = this.#list;
        for (let i = 1; i < list.length; i++) {
          const item = list[i];
          let j = i - 1;
          while (j >= 0 && list[j][0] > item[0]) {
            list[j + 1] = list[j];
            j--;
          }
          list[j + 1] = item;
        }
        this.#update();
      }
      forEach(callback, thisArg = undefined) {
        for (let i = 0; i < this.#list.length; i++) apply(callback, thisArg, [this.#list[i][1], this.#list[i][0], this]);
      }
      *entries() {
        for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
      }
      *keys() {
        for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0];
      }
      *values() {
        for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1];
      }
      [Symbol.iterator]() {
        return this.entries();
      }
      toString() {
        let out = "";
        for (let i = 0; i < this.#list.length; i++) out += (i ? "&" : "") + formEncode(this.#list[i][0]) + "=" + formEncode(this.#list[i][1]);
        return out;
      }
      get [Symbol.toStringTag]() {
        return "URLSearchParams";
      }
    }

    const special = { __proto__: null, "ftp:": "21", "file:": "", "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };
    const invalid = (input) => new TypeErrorClass("Invalid URL: " + stringify(slice(StringOf(input), 0, 200)));
    // Percent-encode sets: which bytes a component keeps as they are.
    const c0 = (b) => b > 0x20 && b < 0x7f;
    const fragmentSafe = (b) => c0(b) && b !== 34 && b !== 60 && b !== 62 && b !== 96;
    const querySafe = (b) => c0(b) && b !== 34 && b !== 35 && b !== 60 && b !== 62;
    const specialQuerySafe = (b) => querySafe(b) && b !== 39;
    const pathSafe = (b) => querySafe(b) && b !== 63 && b !== 96 && b !== 123 && b !== 125 && b !== 94;
    const userinfoSafe = (b) => pathSafe(b) && b !== 47 && b !== 58 && b !== 59 && b !== 61 && b !== 64 && !(b >= 91 && b <= 93) && b !== 124;
    const opaqueSafe = (b) => b >= 0x20 && b < 0x7f;
    const dots = (segment) => {
      const s = toLowerCase(segment);
      return s === "." || s === "%2e" ? 1 : s === ".." || s === ".%2e" || s === "%2e." || s === "%2e%2e" ? 2 : 0;
    };
    const forbiddenHost = /[\u0000\t\n\r #/:<>?@[\\\]^|%]/;
    const parseHost = (raw, isSpecial, input) => {
      if (raw[0] === "[") {
        if (raw[raw.length - 1] !== "]" || exec(/^\[[0-9A-Fa-f:.]+\]$/, raw) === null) throw invalid(input);
        return toLowerCase(raw);
      }
      if (!isSpecial) {
        if (exec(/[\u0000\t\n\r #/:<>?@[\\\]^|]/, raw) !== null) throw invalid(input);
        return percentEncode(raw, c0);
      }
      const host = toLowerCase(percentDecode(raw));
      if (host === "" || exec(forbiddenHost, host) !== null) throw invalid(input);
      if (exec(/[^\x00-\x7f]/, host) !== null) {
        throw new TypeErrorClass("Invalid URL: host names outside ASCII need IDNA, which the sandbox does not have; write the host in punycode (xn--...)");
      }
      return host;
    };
    // Splits a path into segments and resolves `.` and `..` onto `base`.
    const resolvePath = (path, base, isSpecial) => {
      const segments = [];
      for (let i = 0; i < base.length; i++) segments[i] = base[i];
      let start = 0;
      for (;;) {
        let end = start;
        while (end < path.length && path[end] !== "/" && !(isSpecial && path[end] === "\\")) end++;
        const segment = slice(path, start, end);
        const last = end >= path.length;
        const kind = dots(segment);
        if (kind === 2) {
          if (segments.length > 0) segments.length -= 1;
          if (last) segments[segments.length] = "";
        } else if (kind === 1) {
          if (last) segments[segments.length] = "";
        } else segments[segments.length] = percentEncode(segment, pathSafe);
        if (last) break;
        start = end + 1;
      }
      return segments;
    };
    const schemePattern = /^([A-Za-z][A-Za-z0-9+.-]*):/;
    const parseURL = (input, base) => {
      let s = StringOf(input);
      s = replace(replace(s, /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, ""), /[\t\n\r]/g, "");
      const r = { __proto__: null, protocol: "", username: "", password: "", hostname: "", port: "", path: [], opaque: null, query: null, fragment: null };
      let rest = s;
      const hashAt = indexOf(rest, "#");
      if (hashAt >= 0) {
        r.fragment = percentEncode(slice(rest, hashAt + 1), fragmentSafe);
        rest = slice(rest, 0, hashAt);
      }
      const scheme = exec(schemePattern, rest);
      let relative = base;
      if (scheme !== null) {
        r.protocol = toLowerCase(scheme[1]) + ":";
        rest = slice(rest, scheme[0].length);
        // `http:path` against an http base is relative to it.
        if (base !== undefined && base.protocol === r.protocol && special[r.protocol] !== undefined && rest[0] !== "/" && rest[0] !== "\\") {
          relative = base;
        } else relative = undefined;
      } else if (base === undefined) throw invalid(input);
      const isSpecial = special[relative?.protocol ?? r.protocol] !== undefined;
      const queryOf = (text) => percentEncode(text, isSpecial ? specialQuerySafe : querySafe);
      const takeQuery = () => {
        const q = indexOf(rest, "?");
        if (q >= 0) {
          r.query = queryOf(slice(rest, q + 1));
          rest = slice(rest, 0, q);
        }
      };
      const slash = (c) => c === "/" || (isSpecial && c === "\\");
      const authority = () => {
        let end = 0;
        while (end < rest.length && !slash(rest[end]) && rest[end] !== "?") end++;
        let auth = slice(rest, 0, end);
        rest = slice(rest, end);
        const at = lastIndexOf(auth, "@");
        if (at >= 0) {
          const info = slice(auth, 0, at);
          auth = slice(auth, at + 1);
          const colon = indexOf(info, ":");
          r.username = percentEncode(colon < 0 ? info : slice(info, 0, colon), userinfoSafe);
          r.password = colon < 0 ? "" : percentEncode(slice(info, colon + 1), userinfoSafe);
        }
        const portAt = auth[0] === "[" ? indexOf(auth, ":", indexOf(auth, "]")) : lastIndexOf(auth, ":");
        if (portAt >= 0) {
          const port = slice(auth, portAt + 1);
          auth = slice(auth, 0, portAt);
          if (exec(/^[0-9]*$/, port) === null || (port !== "" && +port > 65535)) throw invalid(input);
          r.port = port === "" ? "" : StringOf(+port);
          if (special[r.protocol] === r.port) r.port = "";
        }
        if (auth === "" && (isSpecial && r.protocol !== "file:")) throw invalid(input);
        r.hostname = auth === "" ? "" : parseHost(auth, isSpecial, input);
      };
      if (relative === undefined) {
        if (slash(rest[0]) && slash(rest[1])) {
          rest = slice(rest, 2);
          if (isSpecial && r.protocol !== "file:") while (slash(rest[0])) rest = slice(rest, 1);
          takeQuery();
          authority();
          r.path = resolvePath(rest === "" ? "" : slice(rest, 1), [], isSpecial);
          if (!isSpecial && rest === "") r.path = [];
        } else if (isSpecial) {
          if (r.protocol !== "file:") {
            // `http:example.com`: slashes are missing, as browsers allow.
            while (slash(rest[0])) rest = slice(rest, 1);
            takeQuery();
            authority();
            r.path = resolvePath(rest === "" ? "" : slice(rest, 1), [], true);
          } else {
            takeQuery();
            r.path = resolvePath(slash(rest[0]) ? slice(rest, 1) : rest, [], true);
          }
        } else if (rest[0] === "/") {
          takeQuery();
          r.path = resolvePath(slice(rest, 1), [], false);
        } else {
          takeQuery();
          r.opaque = percentEncode(rest, opaqueSafe);
        }
        return r;
      }
      // Relative to `relative`.
      // Only a fragment can be relative to a URL without a path (`mailto:x`).
      if (relative.opaque !== null && rest !== "") throw invalid(input);
      r.protocol = relative.protocol;
      if (slash(rest[0]) && slash(rest[1])) {
        rest = slice(rest, 2);
        if (isSpecial && r.protocol !== "file:") while (slash(rest[0])) rest = slice(rest, 1);
        takeQuery();
        authority();
        r.path = resolvePath(rest === "" ? "" : slice(rest, 1), [], isSpecial);
        return r;
      }
      r.username = relative.username;
      r.password = relative.password;
      r.hostname = relative.hostname;
      r.port = relative.port;
      if (relative.opaque !== null) {
        r.opaque = relative.opaque;
        r.query = relative.query;
        return r;
      }
      if (rest === "") {
        r.path = relative.path;
        r.query = relative.query;
        return r;
      }
      if (rest[0] === "?") {
        r.path = relative.path;
        takeQuery();
        return r;
      }
      takeQuery();
      if (slash(rest[0])) r.path = resolvePath(slice(rest, 1), [], isSpecial);
      else {
        const dir = [];
        for (let i = 0; i < relative.path.length - 1; i++) dir[i] = relative.path[i];
        r.path = resolvePath(rest, dir, isSpecial);
      }
      return r;
    };
    const pathname = (r) => {
      if (r.opaque !== null) return r.opaque;
      let out = "";
      for (let i = 0; i < r.path.length; i++) out += "/" + r.path[i];
      return out;
    };
    const hostOf = (r) => r.hostname + (r.port === "" ? "" : ":" + r.port);
    const hasAuthority = (r) => r.opaque === null && (r.hostname !== "" || special[r.protocol] !== undefined);
    const serialize = (r, fragment = true) => {
      let out = r.protocol;
      if (hasAuthority(r)) {
        out += "//";
        if (r.username !== "" || r.password !== "") out += r.username + (r.password === "" ? "" : ":" + r.password) + "@";
        out += hostOf(r);
      } else if (r.opaque === null && r.path.length > 1 && r.path[0] === "") out += "/.";
      out += pathname(r);
      if (r.query !== null) out += "?" + r.query;
      if (fragment && r.fragment !== null) out += "#" + r.fragment;
      return out;
    };
    class URL {
      #r;
      #params;
      constructor(url, base = undefined) {
        const parsedBase = base === undefined ? undefined : new URL(base).#r;
        this.#r = parseURL(url, parsedBase);
        this.#params = new URLSearchParams();
        attachParams(this.#params, (query) => (this.#r.query = query === "" ? null : query), this.#r.query ?? "");
      }
      static canParse(url, base = undefined) {
        try {
          new URL(url, base);
          return true;
        } catch {
          return false;
        }
      }
      static parse(url, base = undefined) {
        try {
          return new URL(url, base);
        } catch {
          return null;
        }
      }
      #set(r) {
        this.#r = r;
        reparseParams(this.#params, r.query ?? "");
      }
      get href() {
        return serialize(this.#r);
      }
      set href(value) {
        this.#set(parseURL(value, undefined));
      }
      get origin() {
        const r = this.#r;
        if (special[r.protocol] === undefined || r.protocol === "file:") return "null";
        return r.protocol + "//" + hostOf(r);
      }
      get protocol() {
        return this.#r.protocol;
      }
      set protocol(value) {
        const scheme = exec(/^([A-Za-z][A-Za-z0-9+.-]*):?/, StringOf(value));
        if (scheme === null) return;
        const protocol = toLowerCase(scheme[1]) + ":";
        if ((special[protocol] !== undefined) !== (special[this.#r.protocol] !== undefined)) return;
        this.#r.protocol = protocol;
        if (special[protocol] === this.#r.port) this.#r.port = "";
      }
      get username() {
        return this.#r.username;
      }
      set username(value) {
        if (hasAuthority(this.#r) && this.#r.hostname !== "") this.#r.username = percentEncode(StringOf(value), userinfoSafe);
      }
      get password() {
        return this.#r.password;
      }
      set password(value) {
        if (hasAuthority(this.#r) && this.#r.hostname !== "") this.#r.password = percentEncode(StringOf(value), userinfoSafe);
      }
      get host() {
        return hostOf(this.#r);
      }
      set host(value) {
        if (this.#r.opaque !== null) return;
        try {
          const r = parseURL(this.#r.protocol + "//" + StringOf(value), undefined);
          this.#r.hostname = r.hostname;
          this.#r.port = r.port;
        } catch {}
      }
      get hostname() {
        return this.#r.hostname;
      }
      set hostname(value) {
        if (this.#r.opaque !== null) return;
        try {
          this.#r.hostname = parseHost(StringOf(value), special[this.#r.protocol] !== undefined, value);
        } catch {}
      }
      get port() {
        return this.#r.port;
      }
      set port(value) {
        const digits = exec(/^[0-9]*/, StringOf(value))[0];
        if (digits === "" && StringOf(value) !== "") return;
        if (digits !== "" && +digits > 65535) return;
        this.#r.port = digits === "" || special[this.#r.protocol] === StringOf(+digits) ? "" : StringOf(+digits);
      }
      get pathname() {
        return pathname(this.#r);
      }
      set pathname(value) {
        if (this.#r.opaque !== null) return;
        const path = StringOf(value);
        const isSpecial = special[this.#r.protocol] !== undefined;
        this.#r.path = resolvePath(path[0] === "/" || (isSpecial && path[0] === "\\") ? slice(path, 1) : path, [], isSpecial);
      }
      get search() {
        const q = this.#r.query;
        return q === null || q === "" ? "" : "?" + q;
      }
      set search(value) {
        let q = StringOf(value);
        if (q[0] === "?") q = slice(q, 1);
        this.#r.query = q === "" ? null : percentEncode(q, special[this.#r.protocol] !== undefined ? specialQuerySafe : querySafe);
        reparseParams(this.#params, this.#r.query ?? "");
      }
      get searchParams() {
        return this.#params;
      }
      get hash() {
        const f = this.#r.fragment;
        return f === null || f === "" ? "" : "#" + f;
      }
      set hash(value) {
        let f = StringOf(value);
        if (f[0] === "#") f = slice(f, 1);
        this.#r.fragment = f === "" ? null : percentEncode(f, fragmentSafe);
      }
      toString() {
        return this.href;
      }
      toJSON() {
        return this.href;
      }
      get [Symbol.toStringTag]() {
        return "URL";
      }
    }
    define("URLSearchParams", URLSearchParams);
    define("URL", URL);

    // AbortController and AbortSignal. No tool call takes a signal: an
    // abort settles what the program itself waits on (timers, its own
    // promises), as listeners and `throwIfAborted` see it.
    let abortWith;
    class AbortSignal {
      #aborted = false;
      #reason = undefined;
      #listeners = [];
      #onabort = null;
      constructor(key) {
        if (key !== abortWith) throw new TypeErrorClass("Illegal constructor: make an AbortSignal with new AbortController().signal, AbortSignal.timeout(ms) or AbortSignal.abort()");
      }
      static {
        abortWith = (signal, reason) => {
          if (signal.#aborted) return;
          signal.#aborted = true;
          signal.#reason = reason === undefined ? new DOMExceptionClass("This operation was aborted", "AbortError") : reason;
          const event = { type: "abort", target: signal, currentTarget: signal };
          const listeners = signal.#listeners;
          signal.#listeners = [];
          if (typeof signal.#onabort === "function") apply(signal.#onabort, signal, [event]);
          for (let i = 0; i < listeners.length; i++) apply(listeners[i], signal, [event]);
        };
      }
      get aborted() {
        return this.#aborted;
      }
      get reason() {
        return this.#reason;
      }
      get onabort() {
        return this.#onabort;
      }
      set onabort(handler) {
        this.#onabort = handler;
      }
      addEventListener(type, listener) {
        if (type !== "abort" || typeof listener !== "function" || this.#aborted) return;
        for (let i = 0; i < this.#listeners.length; i++) if (this.#listeners[i] === listener) return;
        this.#listeners[this.#listeners.length] = listener;
      }
      removeEventListener(type, listener) {
        const kept = [];
        for (let i = 0; i < this.#listeners.length; i++) if (this.#listeners[i] !== listener) kept[kept.length] = this.#listeners[i];
        this.#listeners = kept;
      }
      throwIfAborted() {
        if (this.#aborted) throw this.#reason;
      }
      get [Symbol.toStringTag]() {
        return "AbortSignal";
      }
      static abort(reason = undefined) {
        const signal = new AbortSignal(abortWith);
        abortWith(signal, reason);
        return signal;
      }
      static timeout(ms) {
        const signal = new AbortSignal(abortWith);
        setTimer(() => abortWith(signal, new DOMExceptionClass("The operation was aborted due to timeout", "TimeoutError")), ms);
        return signal;
      }
      static any(signals) {
        const signal = new AbortSignal(abortWith);
        for (const source of signals) {
          if (source.aborted) {
            abortWith(signal, source.reason);
            break;
          }
          source.addEventListener("abort", () => abortWith(signal, source.reason));
        }
        return signal;
      }
    }
    const setTimer = global.setTimeout;
    class AbortController {
      #signal = new AbortSignal(abortWith);
      get signal() {
        return this.#signal;
      }
      abort(reason = undefined) {
        abortWith(this.#signal, reason);
      }
      get [Symbol.toStringTag]() {
        return "AbortController";
      }
    }
    define("AbortSignal", AbortSignal);
    define("AbortController", AbortController);

    // crypto: randomUUID from the engine's generator, which the host seeds
    // afresh for every execution (unique, but not a secure source), and no
    // more: what needs a secure source says so.
    const absent = (what, instead) => () => {
      throw new ErrorClass(what + " is not available in the sandbox; " + instead);
    };
    const crypto = {
      randomUUID() {
        let out = "";
        for (let i = 0; i < 36; i++) {
          if (i === 8 || i === 13 || i === 18 || i === 23) out += "-";
          else if (i === 14) out += "4";
          else out += toLowerCase(hex[i === 19 ? 8 + floor(random() * 4) : floor(random() * 16)]);
        }
        return out;
      },
      getRandomValues: absent("crypto.getRandomValues (a secure random source)", "use crypto.randomUUID() for unique ids, or Math.random()"),
    };
    defineProperty(crypto, "subtle", {
      __proto__: null,
      get: absent("crypto.subtle (hashing, signing, encryption)", "ask a tool for it, or compute it in plain JavaScript"),
    });
    define("crypto", crypto);

    // Intl: QuickJS has no locale data. Formatting that needs it fails
    // saying what to do, rather than quietly ignoring the locale.
    const noIntl = "Intl (locale-aware formatting) is not available in the sandbox; format it yourself (toISOString(), getUTCFullYear() and the like for dates, toFixed() for numbers) or return the raw value";
    const Intl = {};
    for (const name of ["Collator", "DateTimeFormat", "DisplayNames", "DurationFormat", "ListFormat", "Locale", "NumberFormat", "PluralRules", "RelativeTimeFormat", "Segmenter"]) {
      Intl[name] = function () {
        throw new ErrorClass("Intl." + name + ": " + noIntl);
      };
    }
    Intl.getCanonicalLocales = Intl.supportedValuesOf = () => {
      throw new ErrorClass(noIntl);
    };
    define("Intl", Intl);
    // `toLocale*String()` in en-US, as Node gives it by default (dates in
    // UTC, the sandbox's time zone); another locale, or options, needs the
    // locale data the sandbox does not have, and says so.
    const english = (locales) => locales === undefined || locales === "en" || locales === "en-US" || (isArray(locales) && locales.length === 0);
    const grouped = (digits) => {
      let out = "";
      for (let i = 0; i < digits.length; i++) out += (i > 0 && (digits.length - i) % 3 === 0 ? "," : "") + digits[i];
      return out;
    };
    const toFixed = uncurry(NumberClass.prototype.toFixed);
    const numberText = (n) => {
      if (n !== n) return "NaN";
      const sign = n < 0 || (n === 0 && 1 / n < 0) ? "-" : "";
      const abs = n < 0 ? -n : n;
      if (abs === Infinity) return sign + "∞";
      // At most three fraction digits, as Node rounds them.
      let text = abs >= 1e21 ? StringOf(abs) : toFixed(abs, 3);
      if (indexOf(text, "e") >= 0) return sign + text;
      let [whole, fraction = ""] = [slice(text, 0, indexOf(text, ".") < 0 ? text.length : indexOf(text, ".")), indexOf(text, ".") < 0 ? "" : slice(text, indexOf(text, ".") + 1)];
      while (fraction.length > 0 && fraction[fraction.length - 1] === "0") fraction = slice(fraction, 0, fraction.length - 1);
      return (sign === "-" && whole === "0" && fraction === "" ? "-" : sign) + grouped(whole) + (fraction === "" ? "" : "." + fraction);
    };
    const utcGetters = create(null);
    for (const method of ["getUTCMonth", "getUTCDate", "getUTCFullYear", "getUTCHours", "getUTCMinutes", "getUTCSeconds"]) {
      utcGetters[method] = DateClass.prototype[method];
    }
    const utc = (date, method) => apply(utcGetters[method], date, []);
    const dateText = (d) => utc(d, "getUTCMonth") + 1 + "/" + utc(d, "getUTCDate") + "/" + utc(d, "getUTCFullYear");
    const timeText = (d) => {
      const h = utc(d, "getUTCHours");
      const two = (n) => (n < 10 ? "0" : "") + n;
      return ((h + 11) % 12) + 1 + ":" + two(utc(d, "getUTCMinutes")) + ":" + two(utc(d, "getUTCSeconds")) + " " + (h < 12 ? "AM" : "PM");
    };
    const valid = (d) => getTime(d) === getTime(d);
    const formats = [
      [DateClass.prototype, "Date", "toLocaleString", (d) => (valid(d) ? dateText(d) + ", " + timeText(d) : "Invalid Date")],
      [DateClass.prototype, "Date", "toLocaleDateString", (d) => (valid(d) ? dateText(d) : "Invalid Date")],
      [DateClass.prototype, "Date", "toLocaleTimeString", (d) => (valid(d) ? timeText(d) : "Invalid Date")],
      [NumberClass.prototype, "Number", "toLocaleString", (n) => numberText(numberValue(n))],
      [BigInt.prototype, "BigInt", "toLocaleString", (n) => (bigintValue(n) < 0n ? "-" : "") + grouped(StringOf(bigintValue(n) < 0n ? -bigintValue(n) : bigintValue(n)))],
    ];
    for (const [proto, type, name, format] of formats) {
      const wrapped = {
        [name](locales = undefined, options = undefined) {
          if (!english(locales) || options !== undefined) {
            throw new ErrorClass(type + ".prototype." + name + " with a locale other than en-US or with options: " + noIntl);
          }
          return format(this);
        },
      }[name];
      defineProperty(proto, name, { __proto__: null, value: wrapped, writable: true, configurable: true });
    }

    // localeCompare and Intl.Collator in en-US, after the Unicode collation's
    // root order as Node has it: spaces and punctuation, then digits, then
    // letters, which compare first without case and accents ("a" < "B"),
    // then by accents, then lowercase first. `numeric`, `sensitivity` and
    // `ignorePunctuation` are honoured; another locale says so.
    const normalize = uncurry(String.prototype.normalize);
    const codePointAt = uncurry(String.prototype.codePointAt);
    const letterOrMark = /[\p{L}\p{M}]/u;
    const mark = /\p{M}/u;
    const digit = /\p{Nd}/u;
    const spaceOrPunct = /[\s\p{P}]/u;
    // The collation elements of `text`: [class, primary, accents, case].
    const elements = (text, numeric, ignorePunctuation) => {
      const s = normalize(StringOf(text), "NFD");
      const out = [];
      for (let i = 0; i < s.length; ) {
        const c = codePointAt(s, i);
        const ch = c > 0xffff ? slice(s, i, i + 2) : s[i];
        i += ch.length;
        if (exec(mark, ch) !== null) {
          if (out.length > 0) out[out.length - 1][2] += ch;
          continue;
        }
        if (numeric && c >= 48 && c <= 57) {
          // A run of digits by its value: its length without leading
          // zeros first, then the digits.
          let end = i;
          while (end < s.length && s[end] >= "0" && s[end] <= "9") end++;
          let from = i - 1;
          while (from < end - 1 && s[from] === "0") from++;
          const digits = slice(s, from, end);
          i = end;
          out[out.length] = [2, fromCharCode(digits.length) + digits, "", 0];
          continue;
        }
        if (exec(digit, ch) !== null) {
          out[out.length] = [2, ch, "", 0];
          continue;
        }
        if (exec(letterOrMark, ch) !== null) {
          const lower = toLowerCase(ch);
          out[out.length] = [3, lower, "", lower === ch ? 0 : 1];
          continue;
        }
        if (ignorePunctuation && exec(spaceOrPunct, ch) !== null) continue;
        out[out.length] = [1, c, "", 0];
      }
      return out;
    };
    const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
    // ASCII without options, what most sorts compare, by table and without
    // allocating: the elements above cost a sort of thousands of rows its
    // deadline. Class and primary make one weight; case comes last.
    const nonAscii = /[^\x00-\x7f]/;
    const asciiWeight = [];
    for (let c = 0; c < 128; c++) {
      const upper = c >= 65 && c <= 90;
      const letter = upper || (c >= 97 && c <= 122);
      asciiWeight[c] = (letter ? 3 : c >= 48 && c <= 57 ? 2 : 1) * 256 + (upper ? c + 32 : c);
    }
    const collateAscii = (a, b) => {
      const n = a.length < b.length ? a.length : b.length;
      for (let i = 0; i < n; i++) {
        const x = charCodeAt(a, i);
        const y = charCodeAt(b, i);
        if (x !== y && asciiWeight[x] !== asciiWeight[y]) return asciiWeight[x] < asciiWeight[y] ? -1 : 1;
      }
      if (a.length !== b.length) return a.length < b.length ? -1 : 1;
      // Lowercase first where they differ only in case.
      for (let i = 0; i < n; i++) {
        const x = charCodeAt(a, i);
        const y = charCodeAt(b, i);
        if (x !== y) return x > y ? -1 : 1;
      }
      return 0;
    };
    const collate = (x, y, options) => {
      // Each converted once, as before.
      x = StringOf(x);
      y = StringOf(y);
      if (options === undefined && exec(nonAscii, x) === null && exec(nonAscii, y) === null) return collateAscii(x, y);
      const numeric = options?.numeric === true;
      const sensitivity = options?.sensitivity ?? "variant";
      const a = elements(x, numeric, options?.ignorePunctuation === true);
      const b = elements(y, numeric, options?.ignorePunctuation === true);
      const n = a.length < b.length ? a.length : b.length;
      for (let level = 0; level < 3; level++) {
        if (level === 1 && (sensitivity === "base" || sensitivity === "case")) continue;
        if (level === 2 && (sensitivity === "base" || sensitivity === "accent")) continue;
        for (let i = 0; i < n; i++) {
          const d = level === 0 ? order(a[i][0], b[i][0]) || order(a[i][1], b[i][1]) : level === 1 ? order(a[i][2], b[i][2]) : order(a[i][3], b[i][3]);
          if (d !== 0) return d;
        }
        if (level === 0 && a.length !== b.length) return a.length < b.length ? -1 : 1;
      }
      return 0;
    };
    const collatorOptions = (locales, options, shown) => {
      if (!english(locales)) throw new ErrorClass(shown + " with a locale other than en-US: " + noIntl);
      return options === undefined ? undefined : { __proto__: null, numeric: options.numeric, sensitivity: options.sensitivity, ignorePunctuation: options.ignorePunctuation };
    };
    defineProperty(String.prototype, "localeCompare", {
      __proto__: null,
      value: {
        localeCompare(that, locales = undefined, options = undefined) {
          if (this === undefined || this === null) throw new TypeErrorClass("String.prototype.localeCompare called on " + this);
          return collate(StringOf(this), that, collatorOptions(locales, options, "String.prototype.localeCompare"));
        },
      }.localeCompare,
      writable: true,
      configurable: true,
    });
    Intl.Collator = class Collator {
      #options;
      constructor(locales = undefined, options = undefined) {
        this.#options = collatorOptions(locales, options, "Intl.Collator");
      }
      get compare() {
        const options = this.#options;
        return (x, y) => collate(x, y, options);
      }
      resolvedOptions() {
        return { locale: "en-US", usage: "sort", sensitivity: this.#options?.sensitivity ?? "variant", ignorePunctuation: this.#options?.ignorePunctuation === true, collation: "default", numeric: this.#options?.numeric === true, caseFirst: "false" };
      }
    };
  }
