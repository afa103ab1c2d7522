// 实时监听: the talking seats of one's scope, to pick a call and listen (监听 / 耳语 / 强插), for whoever
// holds the right (质检员 too, who have no supervisor's board): console_web/admin_api.py, monitor_api.py.
import { api, send, whoAmI } from "./lib/api.js";
import { $, deny, el, clock } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";

const MODES = [["listen", "监听", "monitor"], ["whisper", "耳语", "monitor"], ["barge", "强插", "barge"]];
let rights = [];
let monitor = null;

function showMonitor(m) {
  monitor = m;
  rights = m.rights.map((r) => r.value);
  $("state").textContent = m.state_label + (m.active && m.seat_id ? `：坐席 ${m.seat_id}` : "");
  $("message").textContent = m.message || "";
  for (const [mode, , right] of MODES) $(`to-${mode}`).hidden = !m.active || m.mode === mode || !rights.includes(right);
  $("stop").hidden = !m.active;
}

async function act(fn) {
  try { showMonitor(await fn()); await loadSeats(); }
  catch (err) { alert(err.message); }
}

async function loadSeats() {
  const got = await api("/api/monitor/seats");
  $("scope").textContent = `（${got.scope}）`;
  $("none").hidden = got.seats.length > 0;
  $("rows").replaceChildren(...got.seats.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.seat = s.seat_id;
    for (const v of [s.seat_id, s.name, s.team_name, s.seconds_in_state == null ? "" : clock(s.seconds_in_state)]) tr.append(el("td", v));
    const td = document.createElement("td");
    for (const [mode, label, right] of MODES) {
      if (!rights.includes(right)) continue;
      const b = el("button", label, { type: "button" });
      b.disabled = Boolean(monitor && monitor.active);
      b.onclick = () => act(() => send(`/api/supervisor/seats/${encodeURIComponent(s.seat_id)}/monitor`, { mode }));
      td.append(b);
    }
    tr.append(td);
    return tr;
  }));
}

async function main() {
  const me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  let m;
  try { m = await api("/api/supervisor/monitor"); }
  catch (err) { deny(err.message); return; }
  showMonitor(m);
  $("listen").hidden = false;
  for (const [mode] of MODES) $(`to-${mode}`).onclick = () => act(() => send("/api/supervisor/monitor/mode", { mode }));
  $("stop").onclick = () => act(() => send("/api/supervisor/monitor/stop", {}));
  await loadSeats();
  setInterval(async () => {
    try { showMonitor(await api("/api/supervisor/monitor")); await loadSeats(); } catch { /* the next round retries */ }
  }, 3000);
}
main();
