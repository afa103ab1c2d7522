// 打印版报表: the period's figures as in the Excel report (汇总 with the definitions, then by district,
// team, seat, queue and legal category, and 热点), from /api/supervisor/breakdown; printed without
// the navigation and controls (report.css, @media print).
import { api, whoAmI } from "./lib/api.js";
import { $, deny, el, row, chinaDateTime, chinaToday } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";

// As the workbook's number formats: rates as percentages, each column to its places.
const fmtPct = (x, places) => (x == null ? "" : `${(x * 100).toFixed(places)}%`);
const fmtNum = (x, places) => (x == null ? "" : x.toFixed(places));
const signed = (n) => (n > 0 ? `+${n}` : String(n));

function cellsOf(columns, kpis) { return columns.map((c) => (c.percent ? fmtPct(kpis[c.key], c.decimals) : fmtNum(kpis[c.key], c.decimals))); }

function headRow(first, columns) {
  const tr = document.createElement("tr");
  for (const text of [first, ...columns.map((c) => c.header)]) tr.append(el("th", text));
  return tr;
}

function figureRow(label, values, total = false) {
  const tr = row([label, ...values]);
  if (total) tr.className = "total";
  return tr;
}

function table(title, first, columns, rows, total) {
  const section = el("section"); section.className = "block";
  section.dataset.table = title;
  const t = el("table"); t.className = "figures";
  const head = el("thead"); head.append(headRow(first, columns));
  const body = el("tbody");
  body.append(...rows.map((r) => figureRow(r.label, cellsOf(columns, r.kpis))), figureRow("合计", cellsOf(columns, total), true));
  t.append(head, body);
  section.append(el("h2", title), t);
  return section;
}

function render(b) {
  const r = b.report;
  const span = r.start === r.end ? r.start : `${r.start} 至 ${r.end}`;
  const title = `12348 公共法律服务热线 ${r.period_label}（${r.scope}）${span}`;
  document.title = `${title} · 打印版报表`;
  $("title").textContent = title;
  $("subtitle").textContent = `范围：${r.scope}　周期：${r.period_label} ${r.start} 至 ${r.end}　生成时间：${chinaDateTime(b.generated_at)}（北京时间）`;
  $("summary-head").replaceChildren(headRow("时段", b.columns));
  $("summary").replaceChildren(
    ...r.rows.filter((x) => x.offered > 0).map((x) => figureRow(x.label, cellsOf(b.columns, x))),
    figureRow("合计", cellsOf(b.columns, r.total), true),
  );
  $("definitions").replaceChildren(...Object.entries(b.definitions).flatMap(([key, text]) => {
    const col = b.columns.find((c) => c.key === key);
    return [el("dt", col ? col.header : "进线量"), el("dd", text)];
  }));
  $("tables").replaceChildren(...b.tables.map((t) => table(t.title, t.title.replace(/^按/, ""), b.columns, t.rows, r.total)));
  const hot = b.hot;
  $("hot").hidden = !hot;
  if (hot) {
    $("hot-categories-title").textContent = `法律类别来电变化（与上期 ${hot.previous_start} 至 ${hot.previous_end} 比较，按增量排序）`;
    $("hot-categories").replaceChildren(...hot.categories.map((c) =>
      row([c.label, c.count, c.previous, signed(c.change), c.change_rate == null ? "—" : `${c.change_rate > 0 ? "+" : ""}${(c.change_rate * 100).toFixed(1)}%`])));
    $("hot-words-title").textContent = `咨询记录高频词（前 ${hot.words.length} 个）`;
    $("hot-words-note").textContent = hot.words_available ? `来自本期 ${hot.records} 条已提交的咨询记录` : "未安装分词组件（jieba），无法统计高频词";
    $("hot-words").replaceChildren(...hot.words.map((w) => row([w.word, w.count])));
  }
  $("report-page").hidden = false;
}

async function load() {
  const q = new URLSearchParams({ period: $("p-period").value });
  if ($("p-date").value) q.set("date", $("p-date").value);
  history.replaceState(null, "", `/report?${q}`);
  try {
    render(await api(`/api/supervisor/breakdown?${q}`));
    $("denied").hidden = true;
  } catch (e) {
    deny(e.message);
  }
}

async function main() {
  const me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  if (me.role !== "supervisor" && me.role !== "admin") { deny("仅班长和管理员可以查看报表。"); return; }
  const params = new URLSearchParams(location.search);
  if (["day", "week", "month"].includes(params.get("period"))) $("p-period").value = params.get("period");
  $("p-date").value = params.get("date") || chinaToday();
  $("controls").hidden = false;
  $("controls").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("p-print").addEventListener("click", () => window.print());
  await load();
}
main();
