// Home page: after login, links to the role's pages, then the live board: component status, recent
// calls with counters counted from that same list, and the event stream. Events are listed as they
// come; the pushed call events are folded into the recent-calls table and its counters in place
// (lib/call_rows.js: the rows the API would return). The table is read from the API on the first
// load, after a reconnect or a resync, and (at most every half second) when an event cannot be
// folded: a call the table does not hold yet (a scoped viewer's, first pushed once it is routed to
// them or rings one of their seats), or a change the push does not say exactly.
import { api, send, setSession, whoAmI, whenUnauthorized, labels } from "./lib/api.js";
import { RecentCalls, COUNTERS, countCalls } from "./lib/call_rows.js";
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
let recent = new RecentCalls({ limit: RECENT });

function showCalls() {
  const calls = recent.calls;
  $("calls").replaceChildren(...calls.map((c) => {
    const tr = row([chinaTime(c.offered_at), c.caller, c.status_label, c.queue || "", c.seat_id || ""]);
    tr.dataset.call = c.id;
    tr.dataset.status = c.status;
    tr.append(recordingCell(c.id, c.status !== "talking" && COUNTERS.answered(c)));  // kept once it ended
    return tr;
  }));
  $("calls-count").textContent = `（最近 ${calls.length} 通）`;
  for (const [k, n] of Object.entries(countCalls(calls))) $("k-" + k).textContent = n;
}

// One load at a time; one asked for meanwhile follows it, after the usual half second.
let loading = null;
let loadAgain = false;
async function fetchCalls() {
  const token = recent.begin();
  try {
    const [named, body] = await Promise.all([labels(), api(`/api/calls/recent?limit=${RECENT}`)]);
    recent.setLabels(named.call_status);
    if (recent.load(token, body.calls).reload) loadAgain = true;
  } finally {
    recent.abandon(token);
  }
  showCalls();
}
function loadCalls() {
  if (loading) { loadAgain = true; return loading; }
  loading = fetchCalls().finally(() => {
    loading = null;
    if (loadAgain) { loadAgain = false; loadCallsSoon(); }
  });
  return loading;
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
  const { changed, reload } = recent.apply(ev);
  if (changed) showCalls();
  if (reload) loadCallsSoon();
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
  recent = new RecentCalls({ limit: RECENT, citywide: me.citywide });
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
