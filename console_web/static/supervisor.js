// Supervisor board: KPIs, seats, backlog, forecast, reports and recording alerts (录音告警, 确认). All numbers come from the server,
// already scoped to this supervisor. Pushed seat events are applied in place (seat row, state
// counts); the day's figures are recomputed by the server only on the periodic refresh, on a
// resync or a reconnect, never once per event.
import { api, send, labels as fetchLabels, whoAmI } from "./lib/api.js";
import { $, deny, el, row, pct, secs, chinaTime, chinaDateTime, chinaToday } from "./lib/dom.js";
import { live } from "./lib/live.js";
import { renderNav } from "./lib/nav.js";
import { forecastChart, districtMap } from "./charts.js";
import { alertBanners } from "./board_alerts.js";
import { liveGroups } from "./board_live.js";
import { trends } from "./board_trends.js";
import "./report_archive.js"; // 报表归档, 打印版报表

const OVERVIEW_EVERY_MS = 15000;
const SEATS_EVERY_MS = 60000;
const ALERTS_EVERY_MS = 5000; // 告警 are held in the server's memory: cheap to refetch
let labels = { seat_status: {}, pause_reason: {} };
const seats = new Map(); // seat_id -> { status, pause_reason_label, since (ms), row, stateCell, timeCell }
let byState = {}; // status -> { label, count } as last shown
let admin = false; // an admin may make a seat an expert seat (专家坐席) from the seat list
let rights = []; // 班长介入: "monitor" (监听、耳语) and / or "barge" (强插、强拆), from /api/supervisor/monitor
let monitoring = null; // the supervisor's own monitor as the server last said, or null
const MONITOR_EVERY_MS = 2000;
const MODES = { listen: ["监听", "monitor"], whisper: ["耳语", "monitor"], barge: ["强插", "barge"] };
const SYSTEM_REASONS = ["missed_call", "after_call"]; // set by the system only: not offered for 班长示忙

function target(id, cardId, value, goal) {
  $(id).textContent = `目标 ≥ ${(goal * 100).toFixed(0)}%`;
  $(cardId).className = value == null ? "" : value >= goal ? "good" : "bad";
}

function showStates() {
  $("s-states").replaceChildren(...Object.entries(byState).map(([k, v]) => {
    const d = el("div", null, { class: `st-${k}` });
    d.append(el("b", v.count), el("span", v.label));
    return d;
  }));
}

async function loadOverview() {
  const o = await api("/api/supervisor/overview");
  const t = o.today;
  $("scope").textContent = `（${o.scope}）`;
  $("updated").textContent = `更新于 ${chinaTime(o.generated_at)}`;
  $("k-offered").textContent = t.offered; $("k-answered").textContent = t.answered; $("k-abandoned").textContent = t.abandoned;
  $("k-15s").textContent = pct(t.answer_rate_15s);
  target("t-15s", "c-15s", t.answer_rate_15s, o.targets.answer_rate_15s);
  for (const d of document.querySelectorAll("[data-def]")) d.textContent = o.definitions[d.dataset.def] || "";
  $("k-answer-rate").textContent = pct(t.answer_rate); $("k-sl").textContent = pct(t.service_level); $("k-sat").textContent = pct(t.satisfaction_rate);
  target("t-answer", "c-answer", t.answer_rate, o.targets.answer_rate);
  target("t-sl", "c-sl", t.service_level, o.targets.service_level);
  target("t-sat", "c-sat", t.satisfaction_rate, o.targets.satisfaction_rate);
  $("t-sat").textContent += `（${t.survey_answers} 份评价）`;
  $("sl-s").textContent = o.targets.service_level_seconds;
  $("k-waiting").textContent = o.live.waiting; $("k-longest").textContent = secs(o.live.longest_wait_seconds);
  $("k-asa").textContent = secs(t.asa_seconds); $("k-aht").textContent = secs(t.aht_seconds);
  $("s-scheduled").textContent = o.seats.scheduled; $("s-online").textContent = o.seats.online; $("s-total").textContent = o.seats.total;
  byState = o.seats.by_state;
  showStates();
  for (const k of ["ok", "warning", "breached"]) $(`b-${k}`).textContent = o.backlog.by_sla[k].count;
}

function paintSeat(s) {
  s.stateCell.className = `st-${s.status}`;
  const forced = s.forced && s.forced.status === s.status ? s.forced.label : "";
  s.stateCell.textContent = forced || (labels.seat_status[s.status] || s.status) + (s.pause_reason_label ? `（${s.pause_reason_label}）` : "");
  if (s.pending) s.stateCell.append(Object.assign(document.createElement("div"), { className: "pending", textContent: s.pending }));
  s.row.dataset.status = s.status;
  paintActions(s);
}

/** A talking seat's 监听 / 耳语 / 强插 / 强拆 buttons, as far as this user's rights go. */
function paintActions(s) {
  if (!s.actionsCell) return;
  const buttons = [];
  if (s.status === "talking" && !monitoring) {
    for (const [mode, [label, right]] of Object.entries(MODES)) {
      if (!rights.includes(right)) continue;
      const b = el("button", label, { type: "button" });
      b.addEventListener("click", () => startMonitor(s.seatId, mode, b));
      buttons.push(b);
    }
  }
  if (s.status === "talking" && rights.includes("barge")) {
    const b = el("button", "强拆", { type: "button", title: "挂断该通话" });
    b.addEventListener("click", () => forceHangup(s.seatId, b));
    buttons.push(b);
  }
  if (rights.includes("steer")) buttons.push(...steerButtons(s));
  s.actionsCell.replaceChildren(...buttons);
}

/** 班长调度: 示忙 / 示闲 / 签出 / 调整队列, as far as the seat's state allows. */
function steerButtons(s) {
  const out = [];
  const add = (label, kind) => {
    const b = el("button", label, { type: "button", "data-steer": kind });
    b.addEventListener("click", () => steer(s, kind).catch((err) => alert(err.message)));
    out.push(b);
  };
  // A talking seat's 示忙 waits for the end of its call (seats/steer.py); 示闲 cancels it meanwhile.
  if (["available", "ringing", "wrap_up"].includes(s.status) || (s.status === "talking" && !s.pending)) add("示忙", "pause");
  if (s.status === "paused") add("示闲", "ready");
  else if (s.pending) add("取消待示忙", "ready");
  if (s.status !== "offline" && s.status !== "talking") add("签出", "logout");
  if (s.status !== "offline") add("调整队列", "queues");
  return out;
}

const STEER_TITLES = { pause: "班长示忙", ready: "班长示闲", logout: "班长签出", queues: "调整队列（仅限今日）" };

function steerDialog(kind, seatId) {
  return new Promise((resolve) => {
    const dlg = $("steer-dlg");
    $("steer-form").reset();
    $("steer-title").textContent = `${STEER_TITLES[kind]}：坐席 ${seatId}`;
    $("steer-reason-row").hidden = kind !== "pause";
    $("steer-queue-row").hidden = kind !== "queues";
    $("steer-note").required = kind === "logout" || kind === "queues";
    dlg.onclose = () => resolve(dlg.returnValue === "ok" ? new FormData($("steer-form")) : null);
    dlg.showModal();
  });
}

async function steer(s, kind) {
  const base = `/api/supervisor/seats/${encodeURIComponent(s.seatId)}`;
  $("steer-info").textContent = "坐席将在工作台看到您的姓名和原因。";
  if (kind === "pause") {
    $("steer-reason").replaceChildren(...Object.entries(labels.pause_reason)
      .filter(([v]) => !SYSTEM_REASONS.includes(v)).map(([v, label]) => new Option(label, v)));
  }
  if (kind === "queues") {
    const q = await api(`${base}/queues`);
    $("steer-queue").replaceChildren(...q.choices.map((name) => new Option(q.current.includes(name) ? `${name}（在队列中）` : name, name)));
    const moved = [...q.added_today.map((x) => `已加入 ${x}`), ...q.removed_today.map((x) => `已移出 ${x}`)];
    $("steer-info").textContent = `当前队列：${q.current.join("、") || "无"}。${moved.length ? `今日调整：${moved.join("、")}。` : ""}调整仅限今日，坐席下次签入或次日恢复为按技能分配的队列。`;
  }
  const f = await steerDialog(kind, s.seatId);
  if (!f) return;
  const note = f.get("note") || "";
  if (kind === "pause") await send(`${base}/pause`, { reason: f.get("reason"), note });
  else if (kind === "ready") await send(`${base}/ready`, { note });
  else if (kind === "logout") await send(`${base}/logout`, { note });
  else await send(`${base}/queues`, { queue: f.get("queue"), action: f.get("move"), note });
}

/** A SeatSteered push: the seat's row shows it was forced while it stays in that state. */
function applySteered(d) {
  const s = seats.get(d.seat_id);
  if (!s) return;
  if (d.action === "pause_queued") s.pending = d.label; // 示忙 once the call ends (seats/steer.py)
  else if (["pause", "pause_cancelled", "ready"].includes(d.action)) s.pending = "";
  if (d.forces) s.forced = { status: d.forces, label: d.label };
  paintSeat(s);
}

async function startMonitor(seatId, mode, button) {
  button.disabled = true;
  try { showMonitor(await send(`/api/supervisor/seats/${encodeURIComponent(seatId)}/monitor`, { mode })); }
  catch (err) { alert(err.message); button.disabled = false; }
}

async function forceHangup(seatId, button) {
  if (!confirm(`确定强拆坐席 ${seatId} 的通话吗？来电人将被挂断。`)) return;
  button.disabled = true;
  try { await send(`/api/supervisor/seats/${encodeURIComponent(seatId)}/hangup`, {}); }
  catch (err) { alert(err.message); button.disabled = false; }
}

/** The supervisor's own monitor: its state line, the switch buttons, and the seats' buttons. */
function showMonitor(m) {
  rights = m.rights.map((r) => r.value);
  $("monitor").hidden = !rights.some((r) => r === "monitor" || r === "barge");
  const was = monitoring;
  monitoring = m.active ? m : null;
  $("monitor").classList.toggle("on", m.active);
  $("m-state").textContent = m.active ? `坐席 ${m.seat_id}：${m.state_label}` : m.message || "未在监听";
  $("m-actions").hidden = !m.active;
  for (const b of $("m-actions").querySelectorAll("button[data-mode]")) {
    const [, right] = MODES[b.dataset.mode];
    b.hidden = !rights.includes(right) || Boolean(m.taken_over);
    b.disabled = m.active && m.mode === b.dataset.mode;
  }
  $("m-takeover").hidden = !rights.includes("barge") || Boolean(m.taken_over);
  $("m-takeover").disabled = !m.connected;
  $("m-stop").textContent = m.taken_over ? "结束接管（挂断）" : "结束监听";
  if (Boolean(was) !== Boolean(monitoring)) for (const s of seats.values()) paintActions(s);
}

async function loadMonitor() { showMonitor(await api("/api/supervisor/monitor")); }

async function switchMode(mode) {
  try { showMonitor(await send("/api/supervisor/monitor/mode", { mode })); }
  catch (err) { alert(err.message); await loadMonitor().catch(() => {}); }
}

async function takeOver() {
  if (!confirm("确定接管该通话吗？来电人将改由您的话机接听，坐席退出通话。")) return;
  try { showMonitor(await send("/api/supervisor/monitor/takeover", {})); }
  catch (err) { alert(err.message); await loadMonitor().catch(() => {}); }
}

async function stopMonitor() {
  try { showMonitor(await send("/api/supervisor/monitor/stop", {})); }
  catch (err) { alert(err.message); await loadMonitor().catch(() => {}); }
}

function tickSeats() {
  const now = Date.now();
  for (const s of seats.values()) s.timeCell.textContent = s.since == null ? "—" : secs((now - s.since) / 1000);
}

async function loadSeats() {
  const body = await api("/api/supervisor/seats");
  const now = Date.now();
  seats.clear();
  $("seats").replaceChildren(...body.seats.map((x) => {
    const tr = row([`${x.name}（${x.seat_id}）`, x.team_name]);
    tr.dataset.seat = x.seat_id;
    if (admin) tr.firstChild.append(" ", expertToggle(x));
    else if (x.expert) tr.firstChild.append(" ", el("span", "专家", { class: "expert-mark", title: "专家坐席" }));
    const stateCell = el("td"); const timeCell = el("td"); const actionsCell = el("td");
    tr.append(stateCell, timeCell, actionsCell);
    const s = { seatId: x.seat_id, status: x.status, pause_reason_label: x.pause_reason_label, forced: x.forced ? { status: x.status, label: x.forced } : null, pending: x.pending || "", since: x.seconds_in_state == null ? null : now - x.seconds_in_state * 1000, row: tr, stateCell, timeCell, actionsCell };
    seats.set(x.seat_id, s);
    paintSeat(s);
    return tr;
  }));
  tickSeats();
}

/** The admin's 专家 switch of a seat row: PUT, then the list as the server keeps it. */
function expertToggle(x) {
  const box = el("input", null, { type: "checkbox", "aria-label": `${x.name}（${x.seat_id}）为专家坐席` });
  box.checked = x.expert;
  box.addEventListener("change", async () => {
    box.disabled = true;
    try { await send(`/api/supervisor/seats/${encodeURIComponent(x.seat_id)}/expert`, { expert: box.checked }, "PUT"); }
    catch (err) { box.checked = !box.checked; alert(err.message); }
    await loadSeats().catch(() => {});
  });
  const label = el("label", null, { class: "expert-mark", title: "专家坐席" });
  label.append(box, " 专家");
  return label;
}

/** A SeatStateChanged, applied in place: the seat's row and the state counts. */
function applySeatState(d) {
  const s = seats.get(d.seat_id);
  if (!s || s.status === d.status) return;
  const before = s.status;
  s.status = d.status;
  if (s.forced && s.forced.status !== d.status) s.forced = null; // the seat moved on
  if (d.status === "offline") s.pending = "";
  s.pause_reason_label = d.pause_reason ? labels.pause_reason[d.pause_reason] || "" : "";
  s.since = d.at ? new Date(d.at).getTime() : Date.now();
  paintSeat(s); tickSeats();
  if (byState[before]) byState[before].count = Math.max(0, byState[before].count - 1);
  if (!byState[d.status]) byState[d.status] = { label: labels.seat_status[d.status] || d.status, count: 0 };
  byState[d.status].count += 1;
  showStates();
  const online = $("s-online");
  if (before === "offline") online.textContent = Number(online.textContent) + 1;
  else if (d.status === "offline") online.textContent = Math.max(0, Number(online.textContent) - 1);
}

async function loadForecast() {
  const f = await api("/api/supervisor/forecast");
  const t = f.target;
  $("f-source").textContent = `${f.source_label}；平均处理时长 ${secs(f.aht_seconds)}；${f.patience_label}；缺勤系数 ${(f.shrinkage * 100).toFixed(0)}%。`
    + `目标：接通率 ≥ ${(t.answer_rate * 100).toFixed(0)}%，且 ${(t.service_level * 100).toFixed(0)}% 的来电在 ${t.seconds} 秒内接通（${f.model} 模型，考虑来电人放弃）。`;
  $("f-gaps").hidden = f.gaps === 0;
  $("f-gaps").textContent = `排班不足：今日有 ${f.gaps} 个半小时时段已排班人数少于应排班人数（表中标红）。`;
  if (window.echarts) forecastChart($("f-chart"), f);
  $("forecast").replaceChildren(...f.slots.filter((s) => s.calls > 0.05 || s.actual_calls > 0 || (s.scheduled ?? 0) > 0).map((s) => {
    const tr = row([s.label, s.calls.toFixed(1), s.actual_calls, s.traffic.toFixed(2), s.seats, s.rostered, s.scheduled ?? "—",
      s.gap == null ? "—" : s.gap > 0 ? `+${s.gap}` : s.gap, pct(s.answer_rate), pct(s.service_level), pct(s.actual_answer_rate)]);
    if (s.gap != null && s.gap < 0) tr.className = "gap";
    return tr;
  }));
}

async function loadDistricts() {
  const d = await api("/api/supervisor/districts");
  $("d-updated").textContent = `更新于 ${chinaTime(d.generated_at)}`;
  if (window.echarts) await districtMap($("d-map"), d);
}

function reportUrl(fmt) {
  const q = new URLSearchParams({ period: $("r-period").value, format: fmt });
  if ($("r-date").value) q.set("date", $("r-date").value);
  return `/api/supervisor/report?${q}`;
}

async function loadReport() {
  loadQcReport().catch(() => {}); // in parallel, for the same period
  loadFollowUps().catch(() => {});
  const r = await api(reportUrl("json"));
  $("report").replaceChildren(...[...r.rows.filter((x) => x.offered > 0), r.total].map((x) =>
    row([x.label, x.offered, x.answered, x.abandoned, pct(x.answer_rate), pct(x.answer_rate_15s), pct(x.service_level), pct(x.satisfaction_rate)])));
}

// 回访率 and the satisfaction after follow-up, per team in scope and in total, for the report's period.
async function loadFollowUps() {
  const q = new URLSearchParams({ period: $("r-period").value });
  if ($("r-date").value) q.set("date", $("r-date").value);
  const r = await api(`/api/supervisor/follow-ups?${q}`);
  $("follow-ups").replaceChildren(...[...r.rows.filter((x) => x.dissatisfied > 0), r.total].map((x) =>
    row([x.label, x.dissatisfied, x.followed_up, pct(x.follow_up_rate), x.reached, pct(x.satisfaction_after_rate)])));
}

// QC coverage and average score per team and seat over the report's period (质检, /api/qc/report).
async function loadQcReport() {
  const q = new URLSearchParams({ period: $("r-period").value });
  if ($("r-date").value) q.set("date", $("r-date").value);
  const r = await api(`/api/qc/report?${q}`);
  const line = (x, prefix) => row([`${prefix}${x.label}`, x.answered, x.sampled, x.inspected, pct(x.coverage), pct(x.average_score), x.meets_target ? "是" : "否"]);
  $("qc-report").replaceChildren(...r.teams.map((t) => line(t, "")), ...r.seats.map((s) => line(s, "坐席 ")), line(r.total, ""));
}

// How far a seat may extend its wrap-up while it finishes a record (the city's supervisors set it).
function showPolicy(p) {
  $("wp-step").value = p.step_s; $("wp-max").value = p.max_s;
  for (const id of ["wp-step", "wp-max", "wp-save"]) $(id).disabled = !p.may_edit;
  const who = p.updated_at ? `最近由 ${p.updated_by} 于 ${chinaDateTime(p.updated_at)} 设定` : "尚未设定，使用默认值";
  $("wp-info").textContent = `坐席填写记录时可延长话后整理，每次 ${p.step_s} 秒，自挂机起最长 ${p.max_s} 秒。${who}${p.may_edit ? "" : "（仅市级班长和管理员可修改）"}`;
}

async function loadPolicy() { showPolicy(await api("/api/supervisor/wrap-up-policy")); }

async function savePolicy(e) {
  e.preventDefault();
  try {
    showPolicy(await send("/api/supervisor/wrap-up-policy", { step_s: Number($("wp-step").value), max_s: Number($("wp-max").value) }, "PUT"));
  } catch (err) { $("wp-info").textContent = err.message; }
}

// Recording alerts (录音告警) of this supervisor's scope: open ones can be acknowledged (确认).
async function loadRecordingAlerts() {
  const r = await api("/api/recordings/alerts");
  $("rec-open").textContent = r.open ? `待处理 ${r.open} 条` : "无待处理告警";
  $("rec-alerts").replaceChildren(...r.alerts.map((a) => {
    const tr = row([chinaDateTime(a.raised_at), a.segment ? `${a.call_id} 第 ${a.segment} 段` : a.call_id, a.kind_label, a.detail]);
    tr.dataset.callId = a.call_id;
    const td = el("td");
    if (a.acknowledged) td.textContent = `已由 ${a.acknowledged_by_name || a.acknowledged_by} 于 ${chinaDateTime(a.acknowledged_at)} 确认`;
    else {
      const b = el("button", "确认", { type: "button" });
      b.onclick = () => send(`/api/recordings/alerts/${encodeURIComponent(a.call_id)}/${a.segment}/ack`)
        .then(() => { $("rec-error").textContent = ""; return loadRecordingAlerts(); })
        .catch((e) => { $("rec-error").textContent = e.message; });
      td.append(b);
    }
    tr.append(td);
    return tr;
  }));
}

const shown = new Set();
function alertBanner(ev) {
  if (shown.has(ev.data.order_id + ev.type)) return;
  shown.add(ev.data.order_id + ev.type);
  const breached = ev.type === "WorkOrderSlaBreached";
  const p = el("p", `${breached ? "工单已超时" : "工单即将超时"}：${ev.data.order_no || ev.data.order_id}（时限 ${chinaDateTime(ev.data.deadline)}${ev.data.seat_id ? "，坐席 " + ev.data.seat_id : "，待领取"}）`, { class: breached ? "banner" : "banner warn" });
  $("alerts").prepend(p);
  while ($("alerts").children.length > 5) $("alerts").lastChild.remove();
}

let boardAlerts = null; // 告警 banners (board_alerts.js)
let groups = null; // 实时队列与团队 (board_live.js)

function onEvent(ev) {
  switch (ev.type) {
    case "SeatStateChanged": applySeatState(ev.data || {}); break;
    case "SeatSteered": applySteered(ev.data || {}); break;
    case "WorkOrderSlaWarning": case "WorkOrderSlaBreached": alertBanner(ev); break;
    case "RecordingAlertRaised": loadRecordingAlerts().catch(() => {}); break;
    // Call events change the day's figures: they show on the next periodic refresh.
  }
}

async function refresh() {
  await Promise.all([loadOverview(), loadSeats(), groups ? groups.load() : null, boardAlerts ? boardAlerts.load() : null]);
}

async function main() {
  const me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  const badge = renderNav(me, { live: me.role !== "seat" });
  if (me.role === "seat") { deny("仅班长和管理员可以查看监控台。"); return; }
  $("board").hidden = false;
  admin = me.role === "admin";
  labels = await fetchLabels();
  const alertBox = el("div", null, { id: "board-alerts" });
  $("alerts").before(alertBox);
  boardAlerts = alertBanners(alertBox, { ack: true });
  groups = liveGroups($("board"));
  const trend = trends($("board"));
  trend.load().catch(() => {});
  $("r-date").value = chinaToday();
  $("r-show").addEventListener("click", () => loadReport().catch((e) => alert(e.message)));
  $("r-csv").addEventListener("click", () => { location.href = reportUrl("csv"); });
  $("r-xlsx").addEventListener("click", () => {
    const q = new URLSearchParams({ period: $("r-period").value });
    if ($("r-date").value) q.set("date", $("r-date").value);
    location.href = `/api/supervisor/report.xlsx?${q}`;
  });
  $("r-print").addEventListener("click", () => window.print());
  await refresh().catch(() => {});
  loadForecast().catch(() => {}); loadDistricts().catch(() => {}); loadReport().catch(() => {}); loadPolicy().catch(() => {});
  loadRecordingAlerts().catch(() => {});
  $("wrapup-policy").addEventListener("submit", savePolicy);
  for (const b of $("m-actions").querySelectorAll("button[data-mode]")) b.addEventListener("click", () => switchMode(b.dataset.mode));
  $("m-stop").addEventListener("click", stopMonitor);
  $("m-takeover").addEventListener("click", takeOver);
  await loadMonitor().catch(() => {}); // no right at all (403): the bar stays hidden
  for (const s of seats.values()) paintActions(s);
  // Only a monitor under way changes by itself (the phone answers, the call ends): poll just then.
  setInterval(() => { if (monitoring) loadMonitor().catch(() => {}); }, MONITOR_EVERY_MS);
  live({ onEvent, resync: refresh, badge, feed: "supervisor" });
  setInterval(tickSeats, 1000);
  setInterval(() => loadOverview().catch(() => {}), OVERVIEW_EVERY_MS);
  setInterval(() => boardAlerts.load().catch(() => {}), ALERTS_EVERY_MS);
  setInterval(() => groups.load().catch(() => {}), OVERVIEW_EVERY_MS); // with the day's figures
  setInterval(() => loadSeats().catch(() => {}), SEATS_EVERY_MS);
  setInterval(() => loadForecast().catch(() => {}), 300000);
  setInterval(() => loadDistricts().catch(() => {}), 60000);
}
main();
