// Home page: after login, links to the role's pages, then the live board: component status, recent
// calls with counters counted from that same list, and the event stream. Events are listed as they
// come; the recent-calls table and its counters (which events do not fully carry) are reloaded at
// most every half second after call events, and everything is reloaded after a reconnect or a resync.
import { api, send, setSession, whoAmI, whenUnauthorized } from "./lib/api.js";
import { $, el, row, chinaTime, debounce } from "./lib/dom.js";
import { live } from "./lib/live.js";
import { recordingCell } from "./lib/recordings.js";
import { NAV, renderNav } from "./lib/nav.js";
import { mountTranscriptSearch } from "./lib/transcript_search.js";

const EVENT_TEXT = {
  CallOffered: "来电", CallQueued: "进入队列", SeatRinging: "坐席振铃", CallAnswered: "接通",
  CallAbandoned: "放弃", CallTimedOut: "排队超时", CallEnded: "挂机", CallTransferred: "转接",
  StateResynced: "状态已重新同步", ComponentStatusChanged: "组件状态变化",
};

async function loadStatus() {
  const body = await api("/api/status");
  $("components").replaceChildren(...body.components.map((c) =>
    el("li", `${c.label}：${c.up ? "正常" : "停止"}${c.detail ? "（" + c.detail + "）" : ""}`, { class: c.up ? "up" : "down" })));
}

const RECENT = 20;
// The counters are counted from the very list shown beside them (one source, one filter: the
// calls this user may see), so the two can never contradict each other.
const COUNTERS = {
  offered: () => true,
  waiting: (c) => c.status === "queued" || c.status === "ringing",
  talking: (c) => c.status === "talking",
  answered: (c) => c.talk_seconds != null || ["talking", "answered", "transferred"].includes(c.status),
  abandoned: (c) => c.status === "abandoned" || c.status === "timed_out",
};

async function loadCalls() {
  const body = await api(`/api/calls/recent?limit=${RECENT}`);
  $("calls").replaceChildren(...body.calls.map((c) => {
    const tr = row([chinaTime(c.offered_at), c.caller, c.status_label, c.queue || "", c.seat_id || ""]);
    tr.dataset.call = c.id;
    tr.append(recordingCell(c.id, c.status !== "talking" && COUNTERS.answered(c)));  // kept once it ended
    return tr;
  }));
  $("calls-count").textContent = `（最近 ${body.calls.length} 通）`;
  for (const [k, test] of Object.entries(COUNTERS)) $("k-" + k).textContent = body.calls.filter(test).length;
}
const loadCallsSoon = debounce(() => loadCalls().catch(() => {}), 500);

function showEvent(ev) {
  const when = ev.data.at ? chinaTime(ev.data.at) : "";
  const who = ev.data.caller_number ? " " + ev.data.caller_number : "";
  const where = ev.data.queue ? " · " + ev.data.queue : "";
  const li = el("li", `${when} ${EVENT_TEXT[ev.type] || ev.type}${who}${where}`);
  li.dataset.type = ev.type;
  $("events").prepend(li);
  while ($("events").children.length > 200) $("events").lastChild.remove();
}

function onEvent(ev) {
  if (ev.type === "ComponentStatusChanged") loadStatus().catch(() => {});
  showEvent(ev);
  if (ev.type.startsWith("Call")) loadCallsSoon();
}

async function resync() {
  showEvent({ type: "StateResynced", data: {} });
  await Promise.all([loadStatus(), loadCalls()]);
}

function showBoard(me) {
  // Seats work in their own workspace; the board is for supervisors and admins.
  if (me.role === "seat") { location.replace("/seat"); return; }
  if (me.role === "inspector") { location.replace("/qc"); return; }
  $("login").reset(); // the password does not stay in the page
  $("login").hidden = true;
  $("board").hidden = false;
  const badge = renderNav(me, { live: true });
  $("pages").replaceChildren(...(NAV[me.role] || []).filter(([href]) => href !== "/").map(([href, label]) => {
    const li = el("li");
    li.append(el("a", label, { href }));
    return li;
  }));
  mountTranscriptSearch($("transcript-search"));
  loadStatus().catch(() => {}); loadCalls().catch(() => {});
  live({ onEvent, resync, badge, onSessionEnded: () => location.reload() });
}

function showLogin() {
  renderNav(null);
  $("login").hidden = false;
  $("board").hidden = true;
}

whenUnauthorized(() => {});
$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    const me = await send("/api/login", { username: f.get("username"), password: f.get("password") });
    setSession(me);
    showBoard(me);
  } catch (err) {
    $("login-error").textContent = err.message;
  }
});

whoAmI().then((me) => (me ? showBoard(me) : showLogin())).catch(showLogin);
