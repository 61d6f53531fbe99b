//! The globals programs written for Workers or Node reach for: timers and
//! the rest, the same in both engines (included by `engine_tests.rs`).

use super::*;

fn limited(ms: u64) -> Limits {
    Limits {
        timeout: Duration::from_millis(ms),
        ..Limits::default()
    }
}

#[test]
fn awaiting_a_timeout_waits_without_computing() {
    let started = Instant::now();
    let value = ok_json(
        "const t0 = Date.now();\n\
         const v = await new Promise((r) => setTimeout(r, 100, 'late'));\n\
         return [v, Date.now() - t0 >= 100];",
    );
    assert_eq!(value, json!(["late", true]));
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[test]
fn timers_run_in_due_order_with_their_jobs_between() {
    let value = ok_json(
        "const order = [];\n\
         setTimeout(() => order.push('b'), 20);\n\
         setTimeout(() => { order.push('a'); Promise.resolve().then(() => order.push('a then')); }, 10);\n\
         setTimeout(() => order.push('a2'), 10);\n\
         const cleared = setTimeout(() => order.push('cleared'), 5);\n\
         clearTimeout(cleared);\n\
         let n = 0;\n\
         const every = setInterval(() => { order.push('i' + ++n); if (n === 2) clearInterval(every); }, 25);\n\
         await new Promise((r) => setTimeout(r, 80));\n\
         return order;",
    );
    assert_eq!(value, json!(["a", "a then", "a2", "b", "i1", "i2"]));
}

#[test]
fn retry_with_backoff_works() {
    let value = ok_json(
        "let tries = 0;\n\
         const flaky = async () => { if (++tries < 4) throw new Error('busy'); return 'done'; };\n\
         for (let attempt = 0; ; attempt++) {\n\
           try { return [await flaky(), tries]; }\n\
           catch { await new Promise((r) => setTimeout(r, 2 ** attempt)); }\n\
         }",
    );
    assert_eq!(value, json!(["done", 4]));
}

#[test]
fn pending_timers_do_not_hold_a_finished_program() {
    let started = Instant::now();
    let (outcome, logs, _) = run_js(
        &program(
            "setInterval(() => console.log('tick'), 1);\n\
             setTimeout(() => console.log('late'), 60000);\n\
             return 7;",
        ),
        limited(5_000),
        sum,
    );
    assert_eq!(outcome.unwrap().json, "7");
    assert!(
        logs.is_empty(),
        "no timer runs once the program returned: {logs:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_timer_past_the_deadline_is_a_timeout() {
    let started = Instant::now();
    let (outcome, _, _) = run_js(
        &program("await new Promise((r) => setTimeout(r, 60000)); return 1;"),
        limited(200),
        sum,
    );
    assert_eq!(outcome.unwrap_err().kind, ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn what_a_timer_throws_ends_the_program() {
    let err = error(
        "setTimeout(() => { throw new RangeError('from a timer'); }, 1);\n\
         await new Promise((r) => setTimeout(r, 50));\n\
         return 'not reached';",
        Limits::default(),
    );
    assert_eq!(err.kind, ErrorKind::Runtime);
    assert!(err.message.contains("RangeError: from a timer"), "{err:?}");
}

#[test]
fn timers_take_what_node_takes_and_refuse_what_it_refuses() {
    let value = ok_json(
        "const ids = [setTimeout(() => {}), setTimeout(() => {}, 'x'), setInterval(() => {}, -5)];\n\
         ids.forEach(clearTimeout);\n\
         clearTimeout(undefined); clearInterval('nope'); clearTimeout(12345);\n\
         let refused;\n\
         try { setTimeout('code', 1); } catch (e) { refused = [e instanceof TypeError, e.message]; }\n\
         await new Promise((r) => setTimeout(r, NaN));\n\
         return [ids.every((id) => typeof id === 'number'), new Set(ids).size, refused];",
    );
    assert_eq!(
        value,
        json!([
            true,
            3,
            [true, "setTimeout takes a function to call, not a string"]
        ])
    );
}

#[test]
fn many_timers_are_bounded_by_memory_not_by_the_host() {
    // Each timer lives in the JavaScript heap; the host holds one alarm.
    let value = ok_json(
        "let fired = 0;\n\
         for (let i = 0; i < 20000; i++) setTimeout(() => fired++, 1 + (i % 7));\n\
         await new Promise((r) => setTimeout(r, 20));\n\
         return fired;",
    );
    assert_eq!(value, json!(20000));
}

#[test]
fn timers_work_when_the_program_replaces_built_ins() {
    let value = ok_json(
        "Date.now = () => 0; Reflect.apply = null; Array.prototype.push = null;\n\
         Object.defineProperty(Object.prototype, 'due', { set() { throw new Error('poisoned'); } });\n\
         Object.defineProperty(Array.prototype, '0', { set() { throw new Error('poisoned'); } });\n\
         const v = await new Promise((r) => setTimeout(r, 5, 'ok'));\n\
         return v;",
    );
    assert_eq!(value, json!("ok"));
}
