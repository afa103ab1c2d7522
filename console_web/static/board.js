// Live board: component status, recent calls, and the event stream. Events are listed as they
// come; the recent-calls table (which events do not fully carry) is reloaded at most every
// half second after call events, and everything is reloaded after a reconnect or a resync.
import { api, send, setSession, whoAmI, whenUnauthorized } from "./lib/api.js";
import { $, el, row, chinaTime, debounce } from "./lib/dom.js";
import { live } from "./lib/live.js";
import { renderNav } from "./lib/nav.js";

const EVENT_TEXT = {
  CallOffered: "来电", CallQueued: "进入队列", SeatRinging: "坐席振铃", CallAnswered: "接通",
  CallAbandoned: "放弃", CallTimedOut: "排队超时", CallEnded: "挂机", CallTransferred: "转接",
  StateResynced: "状态已重新同步", ComponentStatusChanged: "组件状态变化",
};
const counts = { offered: 0, waiting: 0, talking: 0, answered: 0, abandoned: 0 };

async function loadStatus() {
  const body = await api("/api/status");
  $("components").replaceChildren(...body.components.map((c) =>
    el("li", `${c.label}：${c.up ? "正常" : "停止"}${c.detail ? "（" + c.detail + "）" : ""}`, { class: c.up ? "up" : "down" })));
}

async function loadCalls() {
  const body = await api("/api/calls/recent?limit=20");
  $("calls").replaceChildren(...body.calls.map((c) => row([chinaTime(c.offered_at), c.caller, c.status_label, c.queue || "", c.seat_id || ""])));
}
const loadCallsSoon = debounce(() => loadCalls().catch(() => {}), 500);

function bump(ev) {
  switch (ev.type) {
    case "CallOffered": counts.offered++; break;
    case "CallQueued": counts.waiting++; break;
    case "CallAnswered": counts.waiting = Math.max(0, counts.waiting - 1); counts.talking++; counts.answered++; break;
    case "CallAbandoned": case "CallTimedOut": counts.waiting = Math.max(0, counts.waiting - 1); counts.abandoned++; break;
    case "CallEnded": if (ev.data.answered) counts.talking = Math.max(0, counts.talking - 1); break;
  }
  for (const k of Object.keys(counts)) $("k-" + k).textContent = counts[k];
}

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
  bump(ev); showEvent(ev);
  if (ev.type.startsWith("Call")) loadCallsSoon();
}

async function resync() {
  showEvent({ type: "StateResynced", data: {} });
  await Promise.all([loadStatus(), loadCalls()]);
}

function showBoard(me) {
  // Seats work in their own workspace; the board is for supervisors and admins.
  if (me.role === "seat") { location.replace("/seat"); return; }
  $("login").hidden = true;
  $("board").hidden = false;
  const badge = renderNav(me, { live: true });
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
