// Unit tests of console_web/static/lib/call_rows.js under node:test (run by
// tests/e2e/test_console_scripts.py): pushed call events folded into the board's recent calls.
import { test } from "node:test";
import assert from "node:assert/strict";

const { foldCall, maskNumber, RecentCalls, countCalls } = await import("../../../console_web/static/lib/call_rows.js");

// The labels as GET /api/labels serves them (call_status); a test of the server checks that page
// and API agree on them, and on every fold (tests/e2e/test_call_rows_parity.py).
const LABELS = {
  in_ivr: "语音导航", queued: "排队中", ringing: "振铃", talking: "通话中", answered: "已接通",
  abandoned: "放弃", timed_out: "排队超时", transferred: "已转接", ended: "已结束",
};
const T0 = Date.parse("2026-12-07T02:00:00Z");
const iso = (s) => new Date(T0 + s * 1000).toISOString();
const ev = (type, data) => ({ type, data: { at: iso(0), ...data } });
const offered = (id, s, number = "13812345678") => ev("CallOffered", { call_id: id, at: iso(s), caller_number: number, channel: "PJSIP/x", dialed: "12348" });
const queued = (id) => ev("CallQueued", { call_id: id, queue: "q-310106-labor", position: 1 });
const answered = (id, seat = "1001") => ev("CallAnswered", { call_id: id, seat_id: seat, queue: "q-310106-labor", interface: `PJSIP/${seat}`, wait_seconds: 4.5 });
const ended = (id, extra = {}) => ev("CallEnded", { call_id: id, answered: true, talk_seconds: 61.25, direction: "inbound", hung_up_by: "caller", duration_seconds: 70, cause: 16, ...extra });

function fold(events) {
  let row;
  for (const e of events) {
    const out = foldCall(row, e, LABELS);
    assert.ok(out && out.row, `${e.type} folds`);
    row = out.row;
  }
  return row;
}

test("a call's life folds into the row the API shows, with the server's labels", () => {
  let row = fold([offered("c1", 0)]);
  assert.deepEqual(row, {
    id: "c1", caller: "138****5678", status: "in_ivr", status_label: "语音导航", queue: null, category: null,
    district_code: null, seat_id: null, offered_at: iso(0), wait_seconds: null, talk_seconds: null,
  });
  row = fold([offered("c1", 0), queued("c1")]);
  assert.equal(row.status_label, "排队中");
  assert.equal(row.queue, "q-310106-labor");
  row = fold([offered("c1", 0), queued("c1"), answered("c1")]);
  assert.deepEqual([row.status, row.status_label, row.seat_id, row.wait_seconds], ["talking", "通话中", "1001", 4.5]);
  row = fold([offered("c1", 0), queued("c1"), answered("c1"), ended("c1")]);
  assert.deepEqual([row.status, row.status_label, row.talk_seconds], ["answered", "已接通", 61.25]);
});

test("a later seat after a transfer leaves the first seat; a failed transfer goes back to talking", () => {
  const transferred = ev("CallTransferred", { call_id: "c1", context: "x", exten: "1002", seat_id: "1001", kind: "seat", status: "pending", seq: 1 });
  let row = fold([offered("c1", 0), answered("c1", "1001"), transferred]);
  assert.equal(row.status_label, "已转接");
  row = fold([offered("c1", 0), answered("c1", "1001"), transferred, answered("c1", "1002")]);
  assert.deepEqual([row.status, row.seat_id], ["talking", "1001"]);
  const failed = ev("CallTransferSettled", { call_id: "c1", seq: 1, kind: "seat", target: "1002", status: "failed" });
  row = fold([offered("c1", 0), answered("c1", "1001"), transferred, failed]);
  assert.equal(row.status, "talking");
  // A transferred call stays transferred when it ends.
  row = fold([offered("c1", 0), answered("c1"), transferred, ended("c1")]);
  assert.equal(row.status, "transferred");
});

test("a give-up keeps its queue and wait; ringing goes back to queued when not answered", () => {
  const ringing = ev("SeatRinging", { call_id: "c1", seat_id: "1001", interface: "PJSIP/1001", queue: "q-310106-labor" });
  const noAnswer = ev("SeatRingNoAnswer", { call_id: "c1", seat_id: "1001", interface: "PJSIP/1001", queue: "q-310106-labor", ring_seconds: 15 });
  assert.equal(fold([offered("c1", 0), queued("c1"), ringing]).status_label, "振铃");
  assert.equal(fold([offered("c1", 0), queued("c1"), ringing, noAnswer]).status, "queued");
  const gaveUp = ev("CallAbandoned", { call_id: "c1", queue: "q-310106-labor", wait_seconds: 33, position: 1, original_position: 2, caller_number: "138****5678" });
  const row = fold([offered("c1", 0), queued("c1"), gaveUp, ended("c1", { answered: false, talk_seconds: null })]);
  assert.deepEqual([row.status, row.status_label, row.wait_seconds, row.talk_seconds], ["abandoned", "放弃", 33, null]);
});

test("the caller is masked as the API masks it, whatever the push carried", () => {
  assert.equal(maskNumber("13812345678"), "138****5678");
  assert.equal(maskNumber("138****5678"), "138****5678");
  assert.equal(maskNumber("62345678"), "623*5678");
  assert.equal(maskNumber("12345"), "12345");
  assert.equal(maskNumber(""), "");
  assert.equal(fold([offered("c1", 0, "13812345678")]).caller, "138****5678");
});

test("what the push does not say exactly, and a call not held, ask for a reload; other events change nothing", () => {
  const row = fold([offered("c1", 0)]);
  assert.deepEqual(foldCall(undefined, queued("c9"), LABELS), { reload: true });
  assert.deepEqual(foldCall(row, ended("c1", { inferred: true }), LABELS), { reload: true });
  assert.deepEqual(foldCall(row, ev("CallReconciled", { call_id: "c1", status: "answered" }), LABELS), { reload: true });
  assert.deepEqual(foldCall(row, queued("c1"), { in_ivr: "语音导航" }), { reload: true }); // no label
  assert.equal(foldCall(row, ev("TranscriptSegment", { call_id: "c1" }), LABELS), null);
  assert.equal(foldCall(row, offered("c1", 5), LABELS).row, row); // offered again: unchanged
});

function board(now, citywide = true) {
  const b = new RecentCalls({ limit: 3, citywide, replayMs: 5000, now: () => now.t });
  b.setLabels(LABELS);
  return b;
}
const apiRow = (id, s, status = "answered") => ({ ...fold([offered(id, s)]), status, status_label: LABELS[status] });

test("after a load, new calls go on top, the oldest falls off and its events are let go", () => {
  const now = { t: T0 };
  const b = board(now);
  const token = b.begin();
  assert.deepEqual(b.load(token, [apiRow("a", 3), apiRow("b", 2), apiRow("c", 1)]), { reload: false });
  assert.deepEqual(b.apply(offered("d", 10)), { changed: true, reload: false });
  assert.deepEqual(b.calls.map((c) => c.id), ["d", "a", "b"]);
  assert.deepEqual(b.apply(queued("c")), { changed: false, reload: false }); // fell off: no reload
  assert.deepEqual(b.apply(queued("d")), { changed: true, reload: false });
  assert.deepEqual(countCalls(b.calls), { offered: 3, waiting: 1, talking: 0, answered: 2, abandoned: 0 });
  assert.deepEqual(b.apply(ev("SeatStateChanged", { seat_id: "1001" })), { changed: false, reload: false });
});

test("a scoped viewer's unknown call asks for a reload at each event: it may become theirs", () => {
  const now = { t: T0 };
  const b = board(now, false);
  b.load(b.begin(), [apiRow("a", 3)]);
  const ringing = ev("SeatRinging", { call_id: "x", seat_id: "1001", interface: "PJSIP/1001", queue: "q-city-labor" });
  for (let i = 0; i < 3; i++) {
    now.t += 1000;
    assert.deepEqual(b.apply(ringing), { changed: false, reload: true });
    now.t += 500;
    b.load(b.begin(), [apiRow("a", 3)]); // not theirs yet: nobody of theirs answered it
  }
  now.t += 1000;
  assert.deepEqual(b.apply(answered("x")), { changed: false, reload: true });
  now.t += 500;
  b.load(b.begin(), [{ ...apiRow("x", 4, "talking"), seat_id: "1001" }, apiRow("a", 3)]);
  assert.deepEqual(b.apply(ended("x")), { changed: true, reload: false });
  assert.equal(b.calls[0].status_label, "已接通");
});

test("a city-wide viewer's unknown call asks for a reload; still missing from two, its later events are let go", () => {
  const now = { t: T0 };
  const b = board(now);
  b.load(b.begin(), [apiRow("a", 3)]);
  now.t += 1000;
  assert.deepEqual(b.apply(queued("x")), { changed: false, reload: true });
  now.t += 500;
  // Missing once: perhaps read before the database had it; once more.
  assert.deepEqual(b.load(b.begin(), [apiRow("a", 3)]), { reload: true });
  assert.deepEqual(b.apply(answered("x")), { changed: false, reload: true });
  now.t += 500;
  assert.deepEqual(b.load(b.begin(), [apiRow("a", 3)]), { reload: false }); // not the viewer's
  assert.deepEqual(b.apply(answered("x")), { changed: false, reload: false });
  // Another unknown call, which the reload does find.
  assert.deepEqual(b.apply(queued("y")), { changed: false, reload: true });
  now.t += 500;
  b.load(b.begin(), [{ ...apiRow("y", 4, "queued"), queue: "q-310106-labor" }, apiRow("a", 3)]);
  assert.deepEqual(b.apply(answered("y")), { changed: true, reload: false });
  assert.equal(b.calls[0].status_label, "通话中");
});

test("events before and during a load are folded again onto its rows (the database may lag)", () => {
  const now = { t: T0 };
  const b = board(now);
  // Before the first load: kept, not applied.
  assert.deepEqual(b.apply(offered("n", 9)), { changed: false, reload: false });
  const token = b.begin();
  now.t += 100;
  b.apply(queued("n"));
  now.t += 100;
  // The API's rows do not have the call yet: the push's events still show it, queued.
  assert.deepEqual(b.load(token, [apiRow("a", 3)]), { reload: false });
  assert.deepEqual(b.calls.map((c) => [c.id, c.status]), [["n", "queued"], ["a", "answered"]]);
  // A load whose rows already have the events: folding them again leaves the rows as they are.
  now.t += 100;
  b.apply(answered("n"));
  b.apply(ended("n"));
  const again = b.begin();
  const stored = { ...b.calls[0] };
  b.load(again, [stored, apiRow("a", 3)]);
  assert.deepEqual(b.calls[0], stored);
  // Long after: the old events are no longer folded again.
  now.t += 60_000;
  b.load(b.begin(), [{ ...stored, status: "ended", status_label: "已结束" }]);
  assert.equal(b.calls[0].status, "ended");
});

test("an unknown call named while a load is under way asks for the next load, not let go", () => {
  const now = { t: T0 };
  const b = board(now);
  b.load(b.begin(), [apiRow("a", 3)]);
  const token = b.begin();
  now.t += 100;
  assert.deepEqual(b.apply(queued("late")), { changed: false, reload: true });
  assert.deepEqual(b.load(token, [apiRow("a", 3)]), { reload: true });
  now.t += 600;
  assert.deepEqual(b.load(b.begin(), [apiRow("a", 3)]), { reload: true });
  now.t += 600;
  assert.deepEqual(b.load(b.begin(), [apiRow("a", 3)]), { reload: false });
  assert.deepEqual(b.apply(answered("late")), { changed: false, reload: false });
});
