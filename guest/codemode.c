// The guest side of codemode's sandbox: QuickJS-ng in a WebAssembly
// instance, driven by the host one step at a time.
//
// The host writes inputs into buffers it asks for (`cm_buffer`), starts the
// program (`cm_start`) and, each time a tool call it was asked for is
// answered, resolves it (`cm_resolve`), and when the alarm the timers set
// is due, wakes it (`cm_wake`). Each step runs JavaScript until nothing is
// left to do and says where the program stands: still waiting on calls or
// timers, finished (its result as JSON in `cm_output`), or failed (a JSON
// description of what it threw). Tool calls, console lines and the alarm
// leave through the three imports; the guest can reach nothing else.

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickjs.h"

// Added by quickjs.patch.
void JS_SetRandomSeed(JSContext *ctx, uint64_t seed);
int JS_GetFilePosition(JSContext *ctx, JSAtom filename, int *col);

#define IMPORT(name) __attribute__((import_module("codemode"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

// A tool call: the host answers it later with `cm_resolve(id, ...)`.
IMPORT("call")
void host_call(uint32_t id, const char *server, size_t server_len, const char *tool,
               size_t tool_len, const char *args, size_t args_len);
// A console line; level 0 debug, 1 info, 2 warn, 3 error.
IMPORT("log") void host_log(uint32_t level, const char *message, size_t len);
// Wake the guest with `cm_wake()` after `ms` milliseconds (replacing any
// earlier alarm), or never if `ms` is negative. The host sleeps meanwhile.
IMPORT("alarm") void host_alarm(double ms);

// RETURNED_UNDEFINED is DONE with `null` as the output, for a program that
// returned nothing (`undefined`), which the host notes.
enum status { WAITING = 0, DONE = 1, FAILED = 2, UNSERIALIZABLE = 3, BROKEN = 4, RETURNED_UNDEFINED = 5 };

static JSRuntime *rt;
static JSContext *ctx;
// What the prelude returns when it is run: `(bindings) => describe`.
static JSValue install = JS_UNDEFINED;
// What `install` returns: turns a thrown value into JSON for the host.
static JSValue describe = JS_UNDEFINED;
// The program's promise.
static JSValue program = JS_UNDEFINED;
// What `cm_wake` calls: the prelude's timers, when one is due.
static JSValue alarm = JS_UNDEFINED;
// How much a program may allocate before QuickJS first collects garbage.
#define GC_HEADROOM (1 << 20)
// Larger than any free chunk of the initialized heap (see fill_holes).
#define HOLES_BELOW (256 << 10)

// The file name the program runs under.
#define PROGRAM_FILE "program.js"
static JSAtom program_file;

// The resolving function of each call in flight, by id; free slots are
// JS_UNDEFINED. Grown as needed, inside the runtime's memory limit.
static JSValue *pending;
static uint32_t pending_len;

// Two input buffers, each kept NUL-terminated for JS_Eval and JSON.
static char *buffers[2];
static size_t buffer_sizes[2];

// Arguments longer than this (as JSON) are refused by the host unread, so
// they are not copied out of the JavaScript heap.
static size_t max_call_bytes;

static char *output;
static size_t output_len;

EXPORT("cm_buffer") char *cm_buffer(uint32_t which, size_t len) {
    if (which > 1) return NULL;
    if (buffer_sizes[which] < len + 1) {
        char *grown = realloc(buffers[which], len + 1);
        if (!grown) return NULL;
        buffers[which] = grown;
        buffer_sizes[which] = len + 1;
    }
    buffers[which][len] = 0;
    return buffers[which];
}

EXPORT("cm_output") const char *cm_output(void) { return output; }
EXPORT("cm_output_len") size_t cm_output_len(void) { return output_len; }

static void set_output(const char *text, size_t len) {
    free(output);
    output = malloc(len + 1);
    output_len = output ? len : 0;
    if (output) {
        memcpy(output, text, len);
        output[len] = 0;
    }
}

// `value` (a string) as the output; false, with the output empty, if there
// was no memory to copy it.
static bool set_output_value(JSValueConst value) {
    size_t len;
    const char *text = JS_ToCStringLen(ctx, &len, value);
    if (text) {
        set_output(text, len);
        JS_FreeCString(ctx, text);
        return true;
    }
    JS_FreeValue(ctx, JS_GetException(ctx));
    set_output("", 0);
    return false;
}

// The program has settled: its result is being turned into JSON, or what it
// threw described. Code of its own may still run (a getter, `toJSON`), but
// calls it makes now are never made.
static bool over;

// What was thrown, described by the prelude; if even that fails (out of
// memory), the host is told so in the same shape.
static enum status failed(JSValue thrown) {
    over = true;
    JSValue described = JS_Call(ctx, describe, JS_UNDEFINED, 1, &thrown);
    JS_FreeValue(ctx, thrown);
    bool shown = false;
    if (JS_IsException(described)) {
        JS_FreeValue(ctx, JS_GetException(ctx));
    } else {
        shown = JS_IsString(described) && set_output_value(described);
        JS_FreeValue(ctx, described);
    }
    if (!shown) {
        static const char fallback[] =
            "{\"name\":\"InternalError\",\"message\":\"out of memory\",\"stack\":\"\"}";
        set_output(fallback, sizeof fallback - 1);
    }
    return FAILED;
}

static JSValue js_call(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val;
    if (argc < 3) return JS_ThrowTypeError(c, "call(server, tool, args)");
    if (over)
        return JS_ThrowTypeError(c, "a tool was called while the program's result was turned "
                                    "into JSON or its error described, after it ended, so the "
                                    "call was not made; make every call before returning");
    if (!JS_IsString(argv[0]) || !JS_IsString(argv[1]) || !JS_IsString(argv[2]))
        return JS_ThrowTypeError(c, "call(server, tool, args) takes three strings");
    uint32_t id = 0;
    while (id < pending_len && !JS_IsUndefined(pending[id])) id++;
    if (id == pending_len) {
        uint32_t len = pending_len ? pending_len * 2 : 16;
        JSValue *grown = js_realloc(c, pending, len * sizeof(JSValue));
        if (!grown) return JS_EXCEPTION;
        for (uint32_t i = pending_len; i < len; i++) grown[i] = JS_UNDEFINED;
        pending = grown;
        pending_len = len;
    }
    size_t server_len, tool_len, args_len = 0;
    const char *server = JS_ToCStringLen(c, &server_len, argv[0]);
    const char *tool = JS_ToCStringLen(c, &tool_len, argv[1]);
    // Each UTF-16 unit of the JSON is at least one byte of UTF-8.
    int64_t units = 0;
    JSValue length = JS_GetPropertyStr(c, argv[2], "length");
    if (JS_ToInt64(c, &units, length)) units = 0;
    JS_FreeValue(c, length);
    bool oversized = units > 0 && (uint64_t)units > max_call_bytes;
    const char *args = NULL;
    if (oversized) {
        args_len = (size_t)units;
    } else {
        args = JS_ToCStringLen(c, &args_len, argv[2]);
    }
    JSValue promise = JS_EXCEPTION;
    if (server && tool && (args || oversized)) {
        JSValue resolving[2];
        promise = JS_NewPromiseCapability(c, resolving);
        if (!JS_IsException(promise)) {
            // Replies are never rejections: the prelude turns errors into throws.
            JS_FreeValue(c, resolving[1]);
            pending[id] = resolving[0];
            host_call(id, server, server_len, tool, tool_len, args, args_len);
        }
    }
    JS_FreeCString(c, server);
    JS_FreeCString(c, tool);
    if (args) JS_FreeCString(c, args);
    return promise;
}

static JSValue js_log(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val;
    if (argc < 2) return JS_ThrowTypeError(c, "log(level, message)");
    const char *name = JS_ToCString(c, argv[0]);
    if (!name) return JS_EXCEPTION;
    uint32_t level = !strcmp(name, "debug") ? 0 : !strcmp(name, "warn") ? 2 : !strcmp(name, "error") ? 3 : 1;
    JS_FreeCString(c, name);
    size_t len;
    const char *message = JS_ToCStringLen(c, &len, argv[1]);
    if (!message) return JS_EXCEPTION;
    host_log(level, message, len);
    JS_FreeCString(c, message);
    return JS_UNDEFINED;
}

// `alarm(ms, wake)`: `wake()` is called after `ms` milliseconds, unless
// another alarm replaces this one first; `alarm(-1)` sets none. One alarm at
// a time, whatever the number of timers: the host holds nothing per timer.
static JSValue js_alarm(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val;
    double ms = -1;
    if (argc < 1 || JS_ToFloat64(c, &ms, argv[0])) return JS_EXCEPTION;
    JS_FreeValue(c, alarm);
    alarm = JS_UNDEFINED;
    if (ms >= 0) {
        if (argc < 2 || !JS_IsFunction(c, argv[1]))
            return JS_ThrowTypeError(c, "alarm(ms, wake) takes a function");
        alarm = JS_DupValue(c, argv[1]);
    } else {
        ms = -1;
    }
    host_alarm(ms);
    return JS_UNDEFINED;
}

// `site()`: where the program is, as a line of a stack trace (empty when the
// program is not on the stack). Every tool call takes one, so it must be
// cheap: a whole stack trace (`new Error().stack`) costs more than the rest
// of the call.
static JSValue js_site(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val;
    (void)argc;
    (void)argv;
    int col;
    int line = JS_GetFilePosition(c, program_file, &col);
    if (line <= 0) return JS_NewStringLen(c, "", 0);
    char text[64];
    int len = snprintf(text, sizeof text, "    at " PROGRAM_FILE ":%d:%d", line, col);
    return JS_NewStringLen(c, text, len > 0 ? (size_t)len : 0);
}

// Runs jobs until the program settles or none are left; then where does
// it stand? Jobs left when it settles never run: nothing the program did not
// await happens after it returned.
static enum status settle(void) {
    while (JS_PromiseState(ctx, program) == JS_PROMISE_PENDING) {
        JSContext *job_ctx;
        int ran = JS_ExecutePendingJob(rt, &job_ctx);
        if (ran == 0) break;
        if (ran < 0) return failed(JS_GetException(ctx));
    }
    switch (JS_PromiseState(ctx, program)) {
    case JS_PROMISE_PENDING:
        return WAITING;
    case JS_PROMISE_REJECTED:
        return failed(JS_PromiseResult(ctx, program));
    case JS_PROMISE_FULFILLED:
        break;
    default:
        return BROKEN;
    }
    over = true;
    JSValue value = JS_PromiseResult(ctx, program);
    if (JS_IsUndefined(value)) {
        set_output("null", 4);
        return RETURNED_UNDEFINED;
    }
    JSValue json = JS_JSONStringify(ctx, value, JS_UNDEFINED, JS_UNDEFINED);
    JS_FreeValue(ctx, value);
    if (JS_IsException(json)) {
        failed(JS_GetException(ctx));
        return UNSERIALIZABLE;
    }
    if (JS_IsUndefined(json)) {
        set_output("null", 4);
    } else if (!set_output_value(json)) {
        // No memory to copy the result out: what the program ran out of.
        JS_FreeValue(ctx, json);
        JS_ThrowOutOfMemory(ctx);
        return failed(JS_GetException(ctx));
    }
    JS_FreeValue(ctx, json);
    return DONE;
}

// Lets JavaScript use up to `bytes` of the shadow stack below this call
// (which grows down towards address 0), keeping 128 KiB for the C code below
// the JavaScript limit. Without a limit, deep recursion would trap the whole
// instance instead of throwing a catchable RangeError.
static void set_stack_limit(size_t bytes) {
    uintptr_t top = (uintptr_t)__builtin_frame_address(0);
    size_t room = top > (128 << 10) ? top - (128 << 10) : 0;
    JS_SetMaxStackSize(rt, bytes < room ? bytes : room);
    JS_UpdateStackTop(rt);
}

// Creates the runtime and context and runs the prelude (buffer 0) with the
// host functions, keeping the `install` it returns.
// Runs once, when codemode is built: every instance starts from a snapshot
// taken after it.
// Fills the free chunks the collection left between the snapshot's objects,
// for good: an instance then allocates past them, on pages of its own, and
// leaves the snapshot's pages shared, where a small object in a hole would
// have copied a whole page. A request larger than any hole is served from
// the top of the heap; that is where the holes end.
static void fill_holes(void) {
    void *top = malloc(HOLES_BELOW);
    if (!top) return;
    free(top);
    for (;;) {
        void *plug = malloc(1);
        if (!plug) return;
        if ((char *)plug >= (char *)top) {
            free(plug);
            return;
        }
    }
}

EXPORT("cm_init") int cm_init(size_t prelude_len) {
    rt = JS_NewRuntime();
    if (!rt) return BROKEN;
    set_stack_limit(512 << 10);
    ctx = JS_NewContext(rt);
    if (!ctx) return BROKEN;
    program_file = JS_NewAtom(ctx, PROGRAM_FILE);
    JSValue prelude =
        JS_Eval(ctx, buffers[0], prelude_len, "codemode:prelude", JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(prelude)) {
        set_output_value(JS_GetException(ctx));
        return BROKEN;
    }
    JSValue args[4];
    args[0] = JS_NewCFunction(ctx, js_call, "call", 3);
    args[1] = JS_NewCFunction(ctx, js_log, "log", 2);
    args[2] = JS_NewCFunction(ctx, js_site, "site", 0);
    args[3] = JS_NewCFunction(ctx, js_alarm, "alarm", 2);
    install = JS_Call(ctx, prelude, JS_UNDEFINED, 4, args);
    for (int i = 0; i < 4; i++) JS_FreeValue(ctx, args[i]);
    JS_FreeValue(ctx, prelude);
    if (JS_IsException(install)) {
        set_output_value(JS_GetException(ctx));
        return BROKEN;
    }
    // Leave the snapshot collected, and with room to allocate before the
    // next collection: a collection writes to every object, so an instance
    // that ran one would copy every page of the snapshot that holds objects.
    JS_RunGC(rt);
    JSMemoryUsage usage;
    JS_ComputeMemoryUsage(rt, &usage);
    JS_SetGCThreshold(rt, (size_t)usage.malloc_size + GC_HEADROOM);
    fill_holes();
    return DONE;
}

// Sets the limits, installs the bindings (buffer 1, JSON) and starts the
// program (buffer 0: an expression whose value is the program's promise).
EXPORT("cm_start")
int cm_start(size_t js_len, size_t bindings_len, size_t memory_bytes, size_t stack_bytes,
             size_t max_call, uint64_t seed) {
    max_call_bytes = max_call;
    JS_SetRandomSeed(ctx, seed);
    set_stack_limit(stack_bytes);
    JS_SetMemoryLimit(rt, memory_bytes);

    JSValue bindings = JS_NewStringLen(ctx, buffers[1], bindings_len);
    describe = JS_Call(ctx, install, JS_UNDEFINED, 1, &bindings);
    JS_FreeValue(ctx, bindings);
    if (JS_IsException(describe)) {
        set_output_value(JS_GetException(ctx));
        return BROKEN;
    }
    program = JS_Eval(ctx, buffers[0], js_len, PROGRAM_FILE, JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(program)) return failed(JS_GetException(ctx));
    return settle();
}

// Answers call `id` with the reply in buffer 0 (JSON text, as the prelude reads it).
EXPORT("cm_resolve") int cm_resolve(uint32_t id, size_t reply_len) {
    // Each step starts with the stack empty again.
    JS_UpdateStackTop(rt);
    if (id >= pending_len || JS_IsUndefined(pending[id])) return BROKEN;
    JSValue resolve = pending[id];
    pending[id] = JS_UNDEFINED;
    JSValue reply = JS_NewStringLen(ctx, buffers[0], reply_len);
    if (JS_IsException(reply)) {
        JS_FreeValue(ctx, resolve);
        return failed(JS_GetException(ctx));
    }
    JSValue ignored = JS_Call(ctx, resolve, JS_UNDEFINED, 1, &reply);
    JS_FreeValue(ctx, reply);
    JS_FreeValue(ctx, resolve);
    if (JS_IsException(ignored)) return failed(JS_GetException(ctx));
    JS_FreeValue(ctx, ignored);
    return settle();
}

// The alarm is due: calls what it was set with. What that throws (a timer's
// callback did) ends the program, as an uncaught exception would.
EXPORT("cm_wake") int cm_wake(void) {
    JS_UpdateStackTop(rt);
    JSValue wake = alarm;
    alarm = JS_UNDEFINED;
    if (JS_IsUndefined(wake)) return settle();
    JSValue ignored = JS_Call(ctx, wake, JS_UNDEFINED, 0, NULL);
    JS_FreeValue(ctx, wake);
    if (JS_IsException(ignored)) return failed(JS_GetException(ctx));
    JS_FreeValue(ctx, ignored);
    return settle();
}
