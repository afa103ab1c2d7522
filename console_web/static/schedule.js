// Shift schedules (排班) and today's attendance (考勤). Scope is decided by the server.
import { api, whoAmI } from "./lib/api.js";
import { $, cells, chinaToday } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";

let me = null;

function say(text, bad = false) { $("msg").textContent = text; $("msg").className = bad ? "bad" : "muted"; }

async function loadPlan() {
  const team = $("team").value;
  const q = new URLSearchParams({ month: $("month").value });
  if (team) q.set("team", team);
  const plan = await api(`/api/schedule?${q}`);
  if (!$("team").options.length) {
    for (const t of plan.teams) $("team").append(new Option(t.name, t.id));
  }
  $("team").value = plan.team_id;
  $("month").value = plan.month;
  $("plan-title").textContent = `${plan.team_name} · ${plan.month}`;
  $("editor").hidden = !plan.editable;
  $("seat").replaceChildren(...plan.seats.map((s) => new Option(`${s.seat_id} ${s.name}`, s.seat_id)));
  const rows = plan.shifts.map((s) => {
    const tr = cells(document.createElement("tr"), [s.day, s.seat_id, s.seat_name, s.start, s.end]);
    const td = document.createElement("td");
    if (plan.editable) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = "删除";
      b.onclick = () => removeShift(s).catch((e) => say(e.message, true));
      td.append(b);
    }
    tr.append(td);
    return tr;
  });
  if (!rows.length) rows.push(cells(document.createElement("tr"), ["本月暂无排班"]));
  $("plan").replaceChildren(...rows);
  if (plan.editable) await loadAttendance(plan.team_id);
}

async function loadAttendance(team) {
  const today = chinaToday();
  const a = await api(`/api/schedule/attendance?${new URLSearchParams({ team, date: today })}`);
  $("att-date").textContent = `${a.team_name} · ${a.date}`;
  const rows = a.rows.map((r) => {
    const tr = cells(document.createElement("tr"), [r.seat_id, r.seat_name, r.planned, r.status, r.late_minutes, r.online_minutes]);
    tr.className = r.status === "正常" ? "good" : ["迟到", "缺勤", "早退"].includes(r.status) ? "bad" : "";
    return tr;
  });
  if (!rows.length) rows.push(cells(document.createElement("tr"), ["今日暂无班次"]));
  $("attendance").replaceChildren(...rows);
}

async function importFile() {
  const file = $("file").files[0];
  $("errors").replaceChildren();
  if (!file) { say("请选择 CSV 文件", true); return; }
  const q = new URLSearchParams({ team: $("team").value, month: $("month").value });
  try {
    const r = await api(`/api/schedule/import?${q}`, {
      method: "POST", headers: { "Content-Type": "text/csv" }, body: await file.arrayBuffer(),
    });
    say(`已导入 ${r.imported} 个班次`);
    await loadPlan();
  } catch (e) {
    say(e.message, true);
    const errors = (e.body && e.body.errors) || [];
    $("errors").replaceChildren(...errors.map((m) => { const li = document.createElement("li"); li.textContent = m; return li; }));
  }
}

async function addShift() {
  await api("/api/schedule/shifts", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ team_id: $("team").value, seat_id: $("seat").value, day: $("day").value, start: $("start").value, end: $("end").value }),
  });
  say("已新增班次");
  await loadPlan();
}

async function removeShift(s) {
  if (!confirm(`删除 ${s.day} ${s.seat_id} ${s.start}-${s.end} 的班次？`)) return;
  await api(`/api/schedule/shifts/${encodeURIComponent(s.id)}`, { method: "DELETE" });
  say("已删除班次");
  await loadPlan();
}

async function main() {
  me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  $("month").value = chinaToday().slice(0, 7);
  $("day").value = chinaToday();
  $("load").onclick = () => loadPlan().catch((e) => say(e.message, true));
  $("team").onchange = $("load").onclick;
  $("import").onclick = () => importFile();
  $("add").onclick = () => addShift().catch((e) => say(e.message, true));
  await loadPlan().catch((e) => say(e.message, true));
}

main();
