// Unit tests of console_web/static/lib/live.js and api.js under node:test with a fake WebSocket
// and fetch (run by tests/e2e/test_console_scripts.py).
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";

const sockets = [];
class FakeSocket {
  constructor(url) { this.url = url; this.closed = false; sockets.push(this); }
  open() { this.onopen && this.onopen(); }
  push(type, data = {}) { this.onmessage({ data: JSON.stringify({ type, data }) }); }
  pushMany(...types) { this.onmessage({ data: JSON.stringify(types.map((type, i) => ({ type, data: { n: i } }))) }); }
  drop(code = 1006) { this.onclose({ code }); }
  close() { this.closed = true; }
}
let replaced = null;
globalThis.WebSocket = FakeSocket;
globalThis.location = { protocol: "http:", host: "127.0.0.1:1", replace(url) { replaced = url; } };

const { live } = await import("../../../console_web/static/lib/live.js");
const { api, setSession, ApiError } = await import("../../../console_web/static/lib/api.js");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => { sockets.length = 0; replaced = null; });

test("StateResynced in a burst reloads once; other events go to onEvent", async () => {
  let resyncs = 0; const events = [];
  const conn = live({ onEvent: (ev) => events.push(ev.type), resync: () => { resyncs++; } });
  const ws = sockets[0];
  assert.equal(ws.url, "ws://127.0.0.1:1/ws/events");
  ws.open();
  ws.push("hello");
  ws.push("StateResynced"); ws.push("StateResynced"); ws.push("SeatStateChanged", { seat_id: "1001" });
  await sleep(120);
  assert.equal(resyncs, 1);
  assert.deepEqual(events, ["SeatStateChanged"]);
  conn.stop();
});

test("a page's feed goes in the socket's address, on every reconnect too", async () => {
  const conn = live({ feed: "supervisor" });
  assert.equal(sockets[0].url, "ws://127.0.0.1:1/ws/events?feed=supervisor");
  sockets[0].open();
  sockets[0].drop();
  await sleep(700);
  assert.equal(sockets[1].url, "ws://127.0.0.1:1/ws/events?feed=supervisor");
  conn.stop();
});

test("several events in one message (an array) go to onEvent one by one, in order", async () => {
  let resyncs = 0; const events = [];
  const conn = live({ onEvent: (ev) => events.push(`${ev.type}:${ev.data.n}`), resync: () => { resyncs++; } });
  sockets[0].open();
  sockets[0].pushMany("CallOffered", "StateResynced", "CallQueued", "SeatStateChanged");
  await sleep(120);
  assert.deepEqual(events, ["CallOffered:0", "CallQueued:2", "SeatStateChanged:3"]);
  assert.equal(resyncs, 1);
  conn.stop();
});

test("the first connect does not reload; a reconnect after a drop reloads once, with backoff", async () => {
  let resyncs = 0;
  const conn = live({ resync: () => { resyncs++; } });
  sockets[0].open();
  await sleep(80);
  assert.equal(resyncs, 0);
  sockets[0].drop();
  assert.equal(sockets.length, 1); // not at once: backoff
  await sleep(700);
  assert.equal(sockets.length, 2);
  sockets[1].open();
  await sleep(80);
  assert.equal(resyncs, 1);
  conn.stop();
});

test("session ended (4401) goes back to login and does not reconnect", async () => {
  live({});
  sockets[0].open();
  sockets[0].drop(4401);
  await sleep(700);
  assert.equal(replaced, "/");
  assert.equal(sockets.length, 1);
});

test("api sends the CSRF token on writes only and turns errors into Chinese messages", async () => {
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push({ path, init });
    if (path === "/boom") return { ok: false, status: 500, json: async () => ({}) };
    if (path === "/said") return { ok: false, status: 409, json: async () => ({ message: "工单已被领取" }) };
    return { ok: true, status: 200, json: async () => ({ ok: 1 }) };
  };
  setSession({ csrf_token: "t0k" });
  assert.deepEqual(await api("/x"), { ok: 1 });
  assert.equal(calls[0].init.headers["X-CSRF-Token"], undefined);
  await api("/y", { method: "POST", body: "{}" });
  assert.equal(calls[1].init.headers["X-CSRF-Token"], "t0k");
  assert.equal(calls[1].init.headers["Content-Type"], "application/json");
  await assert.rejects(api("/boom"), (e) => e instanceof ApiError && e.status === 500 && e.message === "服务器出错，请稍后再试");
  await assert.rejects(api("/said"), (e) => e.message === "工单已被领取");
  globalThis.fetch = async () => { throw new TypeError("Failed to fetch"); };
  await assert.rejects(api("/x"), (e) => e.status === 0 && /网络/.test(e.message));
});
