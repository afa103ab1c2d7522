// Supervisor board: KPIs, seats, backlog, forecast and reports; live over /ws/events plus a
// periodic refresh. All numbers come from the server, already scoped to this supervisor.
const $ = (id) => document.getElementById(id);
const pct = (x) => (x == null ? "—" : `${(x * 100).toFixed(1)}%`);
const secs = (x) => (x == null ? "—" : x >= 60 ? `${Math.floor(x / 60)}分${Math.round(x % 60)}秒` : `${Math.round(x)}秒`);

async function api(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.message || r.statusText), { status: r.status });
  return body;
}

function cells(tr, values) {
  for (const v of values) { const td = document.createElement("td"); td.textContent = v == null ? "" : String(v); tr.append(td); }
  return tr;
}

function target(id, cardId, value, goal) {
  $(id).textContent = `目标 ≥ ${(goal * 100).toFixed(0)}%`;
  $(cardId).className = value == null ? "" : value >= goal ? "good" : "bad";
}

async function loadOverview() {
  const o = await api("/api/supervisor/overview");
  const t = o.today;
  $("scope").textContent = `（${o.scope}）`;
  $("updated").textContent = `更新于 ${new Date(o.generated_at).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai" })}`;
  $("k-offered").textContent = t.offered; $("k-answered").textContent = t.answered; $("k-abandoned").textContent = t.abandoned;
  $("k-answer-rate").textContent = pct(t.answer_rate); $("k-sl").textContent = pct(t.service_level); $("k-sat").textContent = pct(t.satisfaction_rate);
  target("t-answer", "c-answer", t.answer_rate, o.targets.answer_rate);
  target("t-sl", "c-sl", t.service_level, o.targets.service_level);
  target("t-sat", "c-sat", t.satisfaction_rate, o.targets.satisfaction_rate);
  $("t-sat").textContent += `（${t.survey_answers} 份评价）`;
  $("sl-s").textContent = o.targets.service_level_seconds;
  $("k-waiting").textContent = o.live.waiting; $("k-longest").textContent = secs(o.live.longest_wait_seconds);
  $("k-asa").textContent = secs(t.asa_seconds); $("k-aht").textContent = secs(t.aht_seconds);
  $("s-scheduled").textContent = o.seats.scheduled; $("s-online").textContent = o.seats.online; $("s-total").textContent = o.seats.total;
  $("s-states").replaceChildren(...Object.entries(o.seats.by_state).map(([k, v]) => {
    const d = document.createElement("div"); d.className = `st-${k}`;
    const b = document.createElement("b"); b.textContent = v.count; const s = document.createElement("span"); s.textContent = v.label;
    d.append(b, s); return d;
  }));
  for (const k of ["ok", "warning", "breached"]) $(`b-${k}`).textContent = o.backlog.by_sla[k].count;
}

async function loadSeats() {
  const body = await api("/api/supervisor/seats");
  $("seats").replaceChildren(...body.seats.map((s) => {
    const tr = cells(document.createElement("tr"), [`${s.name}（${s.seat_id}）`, s.team_name]);
    const td = document.createElement("td"); td.className = `st-${s.status}`;
    td.textContent = s.status_label + (s.pause_reason_label ? `（${s.pause_reason_label}）` : "");
    tr.append(td); cells(tr, [s.seconds_in_state == null ? "—" : secs(s.seconds_in_state)]);
    return tr;
  }));
}

async function loadForecast() {
  const f = await api("/api/supervisor/forecast");
  $("f-source").textContent = `${f.source_label}；平均处理时长 ${secs(f.aht_seconds)}；目标 ${(f.target.service_level * 100).toFixed(0)}% 的来电在 ${f.target.seconds} 秒内接通（Erlang C）。`;
  $("forecast").replaceChildren(...f.slots.filter((s) => s.calls > 0.05).map((s) =>
    cells(document.createElement("tr"), [s.label, s.calls.toFixed(1), s.traffic.toFixed(2), s.seats, pct(s.service_level)])));
}

function reportUrl(fmt) {
  const q = new URLSearchParams({ period: $("r-period").value, format: fmt });
  if ($("r-date").value) q.set("date", $("r-date").value);
  return `/api/supervisor/report?${q}`;
}

async function loadReport() {
  const r = await api(reportUrl("json"));
  $("report").replaceChildren(...[...r.rows.filter((x) => x.offered > 0), r.total].map((x) =>
    cells(document.createElement("tr"), [x.label, x.offered, x.answered, x.abandoned, pct(x.answer_rate), pct(x.service_level), pct(x.satisfaction_rate)])));
}

const shown = new Set();
function alertBanner(ev) {
  if (shown.has(ev.data.order_id + ev.type)) return;
  shown.add(ev.data.order_id + ev.type);
  const p = document.createElement("p");
  const breached = ev.type === "WorkOrderSlaBreached";
  p.className = breached ? "banner" : "banner warn";
  const due = new Date(ev.data.deadline).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai" });
  p.textContent = `${breached ? "工单已超时" : "工单即将超时"}：${ev.data.order_id}（时限 ${due}${ev.data.seat_id ? "，坐席 " + ev.data.seat_id : "，待领取"}）`;
  $("alerts").prepend(p);
  while ($("alerts").children.length > 5) $("alerts").lastChild.remove();
}

let soon = null;
function refreshSoon() { if (!soon) soon = setTimeout(() => { soon = null; refresh(); }, 800); }
async function refresh() {
  try { await Promise.all([loadOverview(), loadSeats()]); } catch (e) { if (e.status === 401) location.href = "/"; }
}

let backoff = 500;
function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/events`);
  ws.onopen = () => { backoff = 500; $("conn").textContent = "实时"; $("conn").className = "badge on"; refresh(); };
  ws.onmessage = (m) => {
    const ev = JSON.parse(m.data);
    if (ev.type === "WorkOrderSlaWarning" || ev.type === "WorkOrderSlaBreached") alertBanner(ev);
    if (ev.type !== "hello") refreshSoon();
  };
  ws.onclose = (e) => {
    if (e.code === 4401) { location.href = "/"; return; }
    $("conn").textContent = "重连中…"; $("conn").className = "badge off";
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000);
  };
}

async function main() {
  let me;
  try { me = await api("/api/me"); } catch { location.href = "/"; return; }
  $("who").textContent = `${me.display_name}（${me.role_label}）`;
  if (me.role === "seat") { $("denied").textContent = "仅班长和管理员可以查看监控台。"; $("denied").hidden = false; return; }
  $("board").hidden = false;
  $("r-date").value = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
  $("r-show").onclick = () => loadReport().catch((e) => alert(e.message));
  $("r-csv").onclick = () => { location.href = reportUrl("csv"); };
  await refresh();
  loadForecast().catch(() => {}); loadReport().catch(() => {});
  connect();
  setInterval(refresh, 15000);
  setInterval(() => loadForecast().catch(() => {}), 300000);
}
main();
