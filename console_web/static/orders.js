// Work orders: my orders / team pool (seats), all orders (supervisors, scoped by the server).
// SLA colours: ok green, warning amber, breached red; deadlines in China time from the server.
const $ = (id) => document.getElementById(id);
let me = null, options = null, scope = "mine";

async function api(path, options = {}) {
  const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
  if (me && options.method && options.method !== "GET") headers["X-CSRF-Token"] = me.csrf_token;
  const r = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.message || r.statusText), { status: r.status });
  return body;
}

function button(label, handler) {
  const b = document.createElement("button"); b.textContent = label;
  b.onclick = async () => {
    $("error").textContent = "";
    try { await handler(); await load(); } catch (e) { $("error").textContent = e.message; }
  };
  return b;
}

function actions(o) {
  const out = [];
  if (!o.open) return out;
  const isSup = me.role !== "seat";
  if (!isSup && o.status === "pool") out.push(button("领取", () => api(`/api/orders/${o.id}/claim`, { method: "POST" })));
  if (!isSup && (o.status === "pool" || o.owner_seat_id === me.seat_id)) out.push(button("回拨", () => api(`/api/orders/${o.id}/callback`, { method: "POST" })));
  if ((!isSup && o.owner_seat_id === me.seat_id) || isSup) out.push(button("结案", () => closeOrder(o)));
  if (isSup) {
    out.push(button(o.owner_seat_id ? "改派" : "分派", () => assignOrder(o)));
    if (o.status === "assigned") out.push(button("退回工单池", () => api(`/api/orders/${o.id}/release`, { method: "POST" })));
  }
  return out;
}

function dialog(id, formId) {
  return new Promise((resolve) => {
    const dlg = $(id);
    dlg.onclose = () => resolve(dlg.returnValue === "ok" ? new FormData($(formId)) : null);
    $(formId).reset(); dlg.showModal();
  });
}

async function closeOrder(o) {
  $("close-outcome").replaceChildren(...options.close_outcomes.map((x) => new Option(x.label, x.value)));
  const f = await dialog("close-dlg", "close-form");
  if (f) await api(`/api/orders/${o.id}/close`, { method: "POST", body: JSON.stringify({ outcome: f.get("outcome"), note: f.get("note") }) });
}

async function assignOrder(o) {
  $("assign-seat").replaceChildren(...options.seats.map((s) => new Option(`${s.name}（${s.seat_id}）`, s.seat_id)));
  const f = await dialog("assign-dlg", "assign-form");
  if (f) await api(`/api/orders/${o.id}/assign`, { method: "POST", body: JSON.stringify({ seat_id: f.get("seat_id") }) });
}

async function load() {
  const q = new URLSearchParams({ scope });
  if (scope === "all") {
    for (const [k, id] of [["status", "f-status"], ["team", "f-team"], ["sla", "f-sla"], ["date", "f-date"]]) if ($(id).value) q.set(k, $(id).value);
  }
  const body = await api(`/api/orders?${q}`);
  $("orders").replaceChildren(...body.orders.map((o) => {
    const tr = document.createElement("tr"); tr.className = o.open ? `sla-${o.sla}` : ""; tr.dataset.id = o.id;
    const values = [o.id, o.caller_number, o.reason_label, o.team_name, o.owner_name || "—", o.status_label, o.created_local, o.deadline_local];
    for (const v of values) { const td = document.createElement("td"); td.textContent = v; tr.append(td); }
    const sla = document.createElement("td"); sla.className = `sla-${o.sla}`; sla.textContent = o.open ? o.sla_label : `已结案（${o.sla_label}）`;
    const n = document.createElement("td"); n.textContent = o.attempts;
    const act = document.createElement("td"); act.append(...actions(o));
    tr.append(sla, n, act);
    return tr;
  }));
  $("empty").hidden = body.orders.length > 0;
}

function pick(s) {
  scope = s;
  for (const b of $("tabs").querySelectorAll("button")) b.className = b.dataset.scope === s ? "on" : "";
  $("filters").hidden = s !== "all";
  load().catch((e) => { $("error").textContent = e.message; });
}

function banner(ev) {
  const p = document.createElement("p");
  const breached = ev.type === "WorkOrderSlaBreached";
  p.className = breached ? "banner" : "banner warn";
  const due = new Date(ev.data.deadline).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" });
  p.textContent = `${breached ? "工单已超时" : "工单即将超时"}：${ev.data.order_id}（时限 ${due}）`;
  $("alerts").prepend(p);
  while ($("alerts").children.length > 5) $("alerts").lastChild.remove();
}

let backoff = 500, soon = null;
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/events`);
  ws.onopen = () => { backoff = 500; $("conn").textContent = "实时"; $("conn").className = "badge on"; };
  ws.onmessage = (m) => {
    const ev = JSON.parse(m.data);
    if (ev.type === "WorkOrderSlaWarning" || ev.type === "WorkOrderSlaBreached") {
      if (me.role !== "seat" || ev.data.seat_id === me.seat_id) banner(ev);
    }
    if (ev.type.startsWith("WorkOrder") || ev.type.startsWith("CallbackAttempt")) {
      if (!soon) soon = setTimeout(() => { soon = null; load().catch(() => {}); }, 500);
    }
  };
  ws.onclose = (e) => {
    if (e.code === 4401) { location.href = "/"; return; }
    $("conn").textContent = "重连中…"; $("conn").className = "badge off";
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000);
  };
}

async function main() {
  try { me = await api("/api/me"); } catch { location.href = "/"; return; }
  $("who").textContent = `${me.display_name}（${me.role_label}）`;
  options = await api("/api/orders/options");
  const isSup = me.role !== "seat";
  $("nav-sup").hidden = !isSup;
  for (const b of $("tabs").querySelectorAll("button")) {
    b.hidden = isSup ? b.dataset.scope !== "all" : b.dataset.scope === "all";
    b.onclick = () => pick(b.dataset.scope);
  }
  $("f-team").append(...options.teams.map((t) => new Option(t.name, t.id)));
  $("f-sla").append(...options.sla.map((s) => new Option(s.label, s.value)));
  $("f-apply").onclick = () => load().catch((e) => { $("error").textContent = e.message; });
  pick(isSup ? "all" : (location.hash === "#pool" ? "pool" : "mine"));
  connect();
  setInterval(() => load().catch(() => {}), 30000);
}
main();
