// 大屏 (wallboard): the scope's figures in large type and the districts one after another, each
// ROTATE_MS, on the Shanghai map. Figures come from the board's routes (/api/supervisor/overview,
// /api/supervisor/districts), refreshed every REFRESH_MS; nothing is computed here but the rotation.
import { api, whoAmI } from "./lib/api.js";
import { $, deny, pct, secs, chinaTime } from "./lib/dom.js";
import { districtMap } from "./charts.js";
import { alertBanners } from "./board_alerts.js";

const REFRESH_MS = 15000;
const ROTATE_MS = 8000;
let districts = [];
let at = 0;
let map = null;

function mark(cardId, value, goal) { $(cardId).className = value == null ? "" : value >= goal ? "good" : "bad"; }

async function loadOverview() {
  const o = await api("/api/supervisor/overview");
  const t = o.today;
  $("scope").textContent = `（${o.scope}）`;
  $("w-answer-rate").textContent = pct(t.answer_rate); $("w-15s-rate").textContent = pct(t.answer_rate_15s);
  $("w-answer-target").textContent = `目标 ≥ ${(o.targets.answer_rate * 100).toFixed(0)}%`;
  $("w-15s-target").textContent = `目标 ≥ ${(o.targets.answer_rate_15s * 100).toFixed(0)}%`;
  mark("w-answer", t.answer_rate, o.targets.answer_rate); mark("w-15s", t.answer_rate_15s, o.targets.answer_rate_15s);
  $("w-offered").textContent = t.offered; $("w-waiting").textContent = o.live.waiting;
  $("w-longest").textContent = secs(o.live.longest_wait_seconds); $("w-online").textContent = o.seats.online;
  $("defs").textContent = [o.definitions.answer_rate, o.definitions.answer_rate_15s].join("；");
  const low = t.answer_rate != null && t.answer_rate < o.targets.answer_rate;
  $("alarm").hidden = !low;
  $("alarm").textContent = low ? `今日接通率 ${pct(t.answer_rate)}，低于目标 ${(o.targets.answer_rate * 100).toFixed(0)}%` : "";
}

async function loadDistricts() {
  const d = await api("/api/supervisor/districts");
  districts = d.districts.filter((x) => x.code);
  if (window.echarts) map = await districtMap($("w-map"), d);
  show();
}

function show() {
  if (!districts.length) { $("d-name").textContent = "今日暂无来电"; return; }
  const x = districts[at % districts.length];
  $("d-name").textContent = x.name;
  $("d-answer").textContent = pct(x.kpis.answer_rate); $("d-15s").textContent = pct(x.kpis.answer_rate_15s);
  $("d-offered").textContent = x.kpis.offered; $("d-abandoned").textContent = x.kpis.abandoned;
  $("d-index").textContent = `第 ${(at % districts.length) + 1} / ${districts.length} 个区，每 ${ROTATE_MS / 1000} 秒轮换`;
  if (map) { map.dispatchAction({ type: "downplay", seriesIndex: 0 }); map.dispatchAction({ type: "highlight", seriesIndex: 0, name: x.name }); }
}

async function main() {
  const me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  if (me.role === "seat" || me.role === "inspector") { deny("仅班长和管理员可以查看大屏。"); return; }
  $("wall").hidden = false;
  const alertBox = document.createElement("div");
  alertBox.id = "board-alerts";
  $("alarm").after(alertBox);
  const alerts = alertBanners(alertBox, { bannerClass: "wall-banner" }); // 告警, with who was alerted
  alerts.load().catch(() => {});
  setInterval(() => alerts.load().catch(() => {}), 5000);
  setInterval(() => { $("clock").textContent = chinaTime(new Date().toISOString()); }, 1000);
  await Promise.all([loadOverview().catch(() => {}), loadDistricts().catch(() => {})]);
  setInterval(() => loadOverview().catch(() => {}), REFRESH_MS);
  setInterval(() => loadDistricts().catch(() => {}), REFRESH_MS * 4);
  setInterval(() => { at += 1; show(); }, ROTATE_MS);
}
main();
