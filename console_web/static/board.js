// Live board: component status, recent calls, and the event stream over a websocket that
// reconnects by itself and reloads state after every (re)connect or resync.
"use strict";
const EVENT_TEXT = {
  CallOffered: "来电", CallQueued: "进入队列", SeatRinging: "坐席振铃", CallAnswered: "接通",
  CallAbandoned: "放弃", CallTimedOut: "排队超时", CallEnded: "挂机", CallTransferred: "转接",
  StateResynced: "状态已重新同步", ComponentStatusChanged: "组件状态变化",
};
const counts = { offered: 0, waiting: 0, talking: 0, answered: 0, abandoned: 0 };

function text(s) { return document.createTextNode(s == null ? "" : String(s)); }

async function loadStatus() {
  const r = await fetch("/api/status");
  const body = await r.json();
  const ul = document.getElementById("components");
  ul.replaceChildren(...body.components.map((c) => {
    const li = document.createElement("li");
    li.className = c.up ? "up" : "down";
    li.append(text(`${c.label}：${c.up ? "正常" : "停止"}${c.detail ? "（" + c.detail + "）" : ""}`));
    return li;
  }));
}

async function loadCalls() {
  const r = await fetch("/api/calls/recent?limit=20");
  const body = await r.json();
  const tbody = document.getElementById("calls");
  tbody.replaceChildren(...body.calls.map((c) => {
    const tr = document.createElement("tr");
    for (const v of [new Date(c.offered_at).toLocaleTimeString("zh-CN"), c.caller, c.status_label, c.queue || "", c.seat_id || ""]) {
      const td = document.createElement("td"); td.append(text(v)); tr.append(td);
    }
    return tr;
  }));
}

function bump(ev) {
  switch (ev.type) {
    case "CallOffered": counts.offered++; break;
    case "CallQueued": counts.waiting++; break;
    case "CallAnswered": counts.waiting = Math.max(0, counts.waiting - 1); counts.talking++; counts.answered++; break;
    case "CallAbandoned": case "CallTimedOut": counts.waiting = Math.max(0, counts.waiting - 1); counts.abandoned++; break;
    case "CallEnded": if (ev.data.answered) counts.talking = Math.max(0, counts.talking - 1); break;
  }
  for (const k of Object.keys(counts)) document.getElementById("k-" + k).textContent = counts[k];
}

function showEvent(ev) {
  const ol = document.getElementById("events");
  const li = document.createElement("li");
  const when = ev.data.at ? new Date(ev.data.at).toLocaleTimeString("zh-CN") : "";
  const who = ev.data.caller_number ? " " + ev.data.caller_number : "";
  const where = ev.data.queue ? " · " + ev.data.queue : "";
  li.append(text(`${when} ${EVENT_TEXT[ev.type] || ev.type}${who}${where}`));
  li.dataset.type = ev.type;
  ol.prepend(li);
  while (ol.children.length > 200) ol.lastChild.remove();
}

let backoff = 500;
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/events`);
  const badge = document.getElementById("conn");
  ws.onopen = () => { backoff = 500; badge.textContent = "已连接"; badge.className = "badge on"; loadStatus(); loadCalls(); };
  ws.onmessage = (m) => {
    const ev = JSON.parse(m.data);
    if (ev.type === "hello") return;
    if (ev.type === "StateResynced" || ev.type === "ComponentStatusChanged") { loadStatus(); loadCalls(); }
    bump(ev); showEvent(ev);
    if (ev.type.startsWith("Call")) loadCallsSoon();
  };
  ws.onclose = (e) => {
    if (e.code === 4401) { showLogin(); return; }
    badge.textContent = "连接断开，重连中…"; badge.className = "badge off";
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000);
  };
}
let pending = null;
function loadCallsSoon() { if (!pending) pending = setTimeout(() => { pending = null; loadCalls(); }, 500); }

let me = null;
async function api(path, options = {}) {
  const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
  if (me && options.method && options.method !== "GET") headers["X-CSRF-Token"] = me.csrf_token;
  const r = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.message || r.statusText), { status: r.status });
  return body;
}

function showBoard() {
  // Seats work in their own workspace; the board is for supervisors and admins.
  if (me.role === "seat") { location.replace("/seat"); return; }
  document.getElementById("login").hidden = true;
  document.getElementById("board").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("who").textContent = `${me.display_name}（${me.role_label}）`;
  loadStatus(); loadCalls(); connect();
}

function showLogin() {
  document.getElementById("login").hidden = false;
  document.getElementById("board").hidden = true;
  document.getElementById("logout").hidden = true;
}

document.getElementById("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    me = await api("/api/login", { method: "POST", body: JSON.stringify({ username: f.get("username"), password: f.get("password") }) });
    showBoard();
  } catch (err) {
    document.getElementById("login-error").textContent = err.message;
  }
});
document.getElementById("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" }).catch(() => {});
  location.reload();
});

api("/api/me").then((u) => { me = u; showBoard(); }).catch(showLogin);
