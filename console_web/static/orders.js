// Work orders: my orders / team pool (seats), all orders (supervisors, scoped by the server).
// 回访 orders (follow-ups of 不满意 ratings) show their rated call and close with the outcome form;
// the rated seat sees its follow-up in the pool but may not take it.
// SLA colours: ok green, warning amber, breached red; deadlines in China time from the server.
// Pushed work-order events are applied to the shown rows where they carry what the row needs
// (SLA, attempts, owner, back to the pool); a new or closed order reloads the list.
import { api, send, labels as fetchLabels, whoAmI } from "./lib/api.js";
import { $, el, chinaDateTime, debounce } from "./lib/dom.js";
import { live } from "./lib/live.js";
import { renderNav } from "./lib/nav.js";

let me = null, options = null, scope = "mine", labels = { work_order_status: {} };
const orders = new Map(); // order id -> { order, tr } as shown

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
  const fu = o.follow_up;
  if (fu && !isSup && fu.rated_seat_id === me.seat_id) return [el("span", "本通话被评价坐席不能处理", { class: "muted" })];
  if (!isSup && o.status === "pool") out.push(button("领取", () => send(`/api/orders/${o.id}/claim`)));
  if (fu && (isSup || o.owner_seat_id === me.seat_id)) out.push(button("记录回访结果", () => followUp(o)));
  if (!isSup && (o.status === "pool" || o.owner_seat_id === me.seat_id)) out.push(button("回拨", () => send(`/api/orders/${o.id}/callback`)));
  if (fu) { if (isSup) out.push(button("撤销回访", () => closeOrder(o, ["cancelled"]))); }
  else if ((!isSup && o.owner_seat_id === me.seat_id) || isSup) out.push(button("结案", () => closeOrder(o)));
  if (isSup) {
    out.push(button(o.owner_seat_id ? "改派" : "分派", () => assignOrder(o)));
    if (o.status === "assigned") out.push(button("退回工单池", () => send(`/api/orders/${o.id}/release`)));
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

async function closeOrder(o, only = null) {
  const outcomes = options.close_outcomes.filter((x) => !only || only.includes(x.value));
  $("close-outcome").replaceChildren(...outcomes.map((x) => new Option(x.label, x.value)));
  const f = await dialog("close-dlg", "close-form");
  if (f) await send(`/api/orders/${o.id}/close`, { outcome: f.get("outcome"), note: f.get("note") });
}

// The follow-up's outcome: reached or not; when reached, resolved or not and the satisfaction
// after it. The dialog stays open on a refused form and shows the server's Chinese message.
function followUp(o) {
  const form = $("follow-form"), dlg = $("follow-dlg");
  form.reset(); $("follow-error").textContent = "";
  const fu = o.follow_up;
  $("follow-call").textContent = `${o.order_no} · 来电 ${o.caller_number} · ${fu.rated_seat_name} · ${fu.category_label || "未分类"} · ${fu.rating_label}（${fu.rated_local}）`;
  const sync = () => {
    const unreached = form.elements.reached.value === "no";
    $("follow-reached").hidden = $("follow-satisfaction-label").hidden = unreached;
  };
  form.onchange = sync; sync();
  return new Promise((resolve) => {
    $("follow-cancel").onclick = () => { dlg.close(); resolve(); };
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const f = new FormData(form), reached = f.get("reached");
      const body = { reached: reached ? reached === "yes" : null, note: f.get("note") };
      if (reached === "yes") {
        body.resolved = f.get("resolved") ? f.get("resolved") === "yes" : null;
        body.satisfaction = f.get("satisfaction") || null;
      }
      try { await send(`/api/orders/${o.id}/follow-up`, body); dlg.close(); resolve(); }
      catch (e) { $("follow-error").textContent = e.message; }
    };
    dlg.showModal();
  });
}

async function assignOrder(o) {
  $("assign-seat").replaceChildren(...options.seats.map((s) => new Option(`${s.name}（${s.seat_id}）`, s.seat_id)));
  const f = await dialog("assign-dlg", "assign-form");
  if (f) await send(`/api/orders/${o.id}/assign`, { seat_id: f.get("seat_id") });
}

async function load() {
  const q = new URLSearchParams({ scope });
  if ($("f-kind").value) q.set("kind", $("f-kind").value);
  if (scope === "all") {
    for (const [k, id] of [["status", "f-status"], ["team", "f-team"], ["sla", "f-sla"], ["date", "f-date"], ["order_no", "f-order-no"]]) if ($(id).value) q.set(k, $(id).value);
  }
  const body = await api(`/api/orders?${q}`);
  orders.clear();
  $("orders").replaceChildren(...body.orders.map((o) => {
    const tr = document.createElement("tr");
    orders.set(o.id, { order: o, tr });
    paint(o, tr);
    return tr;
  }));
  $("empty").hidden = body.orders.length > 0;
}
const loadSoon = debounce(() => load().catch(() => {}), 500);

function paint(o, tr) {
  tr.className = o.open ? `sla-${o.sla}` : ""; tr.dataset.id = o.id;
  const reason = o.scheduled_local ? `${o.reason_label}（约定 ${o.scheduled_local}）` : o.reason_label;
  const values = [o.order_no || o.id, o.caller_number, reason, o.team_name, o.owner_name || "—", o.status_label, o.created_local, o.deadline_local];
  const tds = values.map((v) => el("td", v));
  if (o.follow_up) tds[2].append(...aboutCall(o.follow_up));
  const sla = el("td", o.open ? o.sla_label : `已结案（${o.sla_label}）`, { class: `sla-${o.sla}` });
  const n = el("td", o.attempts);
  const act = el("td"); act.append(...actions(o));
  tr.replaceChildren(...tds, sla, n, messages(o), act);
}

// A 回访 order's rated call (seat, time, category, rating) and, once recorded, its result.
function aboutCall(fu) {
  const out = [el("div", `被评价：${fu.rated_seat_name || "—"} · ${fu.category_label || "未分类"} · ${fu.rating_label} · ${fu.rated_local}`, { class: "muted follow-call" })];
  if (fu.done) {
    const result = fu.reached ? `已联系上，问题${fu.resolved ? "已" : "未"}解决，回访后${fu.satisfaction_label}` : "联系不上";
    out.push(el("div", `回访结果：${result}${fu.note ? `（${fu.note}）` : ""}`, { class: "follow-result" }));
  }
  return out;
}

// The caller's after-hours messages (来电留言): a player streaming the recording (the server checks
// the order's scope), or why there is nothing to play.
function messages(o) {
  const td = el("td", null, { class: "voicemails" });
  for (const m of o.voicemails || []) {
    const box = el("div", null, { class: "voicemail", "data-call": m.call_id });
    box.append(el("span", `${m.at_local} ${m.status_label}`, { class: "muted" }));
    if (m.audio_url) {
      const audio = el("audio", null, { controls: "", preload: "none", src: m.audio_url, "aria-label": `来电留言 ${m.at_local}` });
      // The file lives on the PBX's shared folder: if it cannot be read from here, say so.
      audio.onerror = () => audio.replaceWith(el("span", "录音文件暂时无法读取，请联系管理员", { class: "errors" }));
      box.append(audio);
    }
    td.append(box);
  }
  if (!td.childElementCount) td.textContent = "—";
  return td;
}

function slaLabel(value) { return (options.sla.find((x) => x.value === value) || { label: value }).label; }
function seatName(id) { const s = (options.seats || []).find((x) => x.seat_id === id); return s ? s.name : id; }
function drop(id) {
  const shown = orders.get(id);
  if (shown) { shown.tr.remove(); orders.delete(id); }
  $("empty").hidden = orders.size > 0;
}

/** A work-order event: applied to the shown row when it carries enough, else the list reloads. */
function applyOrderEvent(ev) {
  const d = ev.data || {};
  const shown = orders.get(d.order_id);
  const o = shown ? shown.order : null;
  const repaint = () => paint(o, shown.tr);
  switch (ev.type) {
    case "WorkOrderSlaWarning": case "WorkOrderSlaBreached":
      if (!o) return;
      if (o.open) { o.sla = ev.type === "WorkOrderSlaBreached" ? "breached" : "warning"; o.sla_label = slaLabel(o.sla); repaint(); }
      return;
    case "CallbackAttemptStarted": case "CallbackAttemptFinished":
      if (o) { o.attempts = Math.max(o.attempts, d.attempt); repaint(); }
      return;
    case "WorkOrderClaimed": case "WorkOrderAssigned":
      if (o && scope === "all") {
        o.owner_seat_id = d.seat_id; o.owner_name = seatName(d.seat_id);
        o.status = "assigned"; o.status_label = labels.work_order_status.assigned || o.status_label; repaint(); return;
      }
      if (o && scope === "pool") { drop(d.order_id); return; }
      if (o && scope === "mine" && d.seat_id !== me.seat_id) { drop(d.order_id); return; }
      break;
    case "WorkOrderReleased":
      if (o && scope === "all") {
        o.owner_seat_id = null; o.owner_name = "";
        o.status = "pool"; o.status_label = labels.work_order_status.pool || o.status_label; repaint(); return;
      }
      if (o && scope === "mine") { drop(d.order_id); return; }
      break;
  }
  loadSoon(); // created, closed, a miss added, or an order this list does not show yet
}

function pick(s) {
  scope = s;
  for (const b of $("tabs").querySelectorAll("button")) b.className = b.dataset.scope === s ? "on" : "";
  $("filters").hidden = s !== "all";
  load().catch((e) => { $("error").textContent = e.message; });
}

function banner(ev) {
  const breached = ev.type === "WorkOrderSlaBreached";
  const p = el("p", `${breached ? "工单已超时" : "工单即将超时"}：${ev.data.order_no || ev.data.order_id}（时限 ${chinaDateTime(ev.data.deadline)}）`, { class: breached ? "banner" : "banner warn" });
  $("alerts").prepend(p);
  while ($("alerts").children.length > 5) $("alerts").lastChild.remove();
}

function onEvent(ev) {
  if (ev.type === "WorkOrderSlaWarning" || ev.type === "WorkOrderSlaBreached") {
    if (me.role !== "seat" || ev.data.seat_id === me.seat_id) banner(ev);
  }
  if (ev.type.startsWith("WorkOrder") || ev.type.startsWith("CallbackAttempt")) applyOrderEvent(ev);
}

async function main() {
  me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  const badge = renderNav(me, { live: true });
  [options, labels] = await Promise.all([api("/api/orders/options"), fetchLabels()]);
  const isSup = me.role !== "seat";
  for (const b of $("tabs").querySelectorAll("button")) {
    b.hidden = isSup ? b.dataset.scope !== "all" : b.dataset.scope === "all";
    b.addEventListener("click", () => pick(b.dataset.scope));
  }
  $("f-team").append(...options.teams.map((t) => new Option(t.name, t.id)));
  $("f-sla").append(...options.sla.map((s) => new Option(s.label, s.value)));
  $("f-kind").append(...options.kinds.map((k) => new Option(k.label, k.value)));
  $("follow-satisfaction").append(...options.ratings.map((r) => new Option(r.label, r.value)));
  $("f-kind").value = location.hash === "#follow-up" ? "follow_up" : "";
  $("f-kind").addEventListener("change", () => load().catch((e) => { $("error").textContent = e.message; }));
  $("f-apply").addEventListener("click", () => load().catch((e) => { $("error").textContent = e.message; }));
  pick(isSup ? "all" : (location.hash === "#pool" ? "pool" : "mine"));
  live({ onEvent, resync: load, badge, feed: "orders" });
  setInterval(() => load().catch(() => {}), 30000); // SLA states move with time, not only with events
}
main();
