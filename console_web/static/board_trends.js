// 趋势 (the supervisor board): the last 7 or 30 days, per day: 进线, 接通, 接通率, 15秒接通率, for the
// whole scope, per team or per queue (/api/supervisor/trends, from the stored calls), drawn with the
// vendored ECharts 4.9 (global `echarts`, loaded by the page from /static/vendor).
/* global echarts */
import { api } from "./lib/api.js";
import { el } from "./lib/dom.js";

// The figures a chart can show: the API's field (key) and its name on the chart (label).
const METRIC_LIST = [
  { key: "answer_rate", label: "接通率" },
  { key: "answer_rate_15s", label: "15秒接通率" },
  { key: "offered", label: "进线数" },
  { key: "answered", label: "接通数" },
];
const METRICS = Object.fromEntries(METRIC_LIST.map((m) => [m.key, m.label]));
const RATE = new Set(["answer_rate", "answer_rate_15s"]);
const MAX_SERIES = 10;

function toggle(name, options, chosen, onChange) {
  const box = el("span", null, { class: "filters", role: "group" });
  for (const [value, label] of Object.entries(options)) {
    const b = el("button", label, { type: "button", "data-value": value });
    b.dataset.group = name;
    b.setAttribute("aria-pressed", String(value === chosen));
    b.addEventListener("click", () => {
      for (const x of box.children) x.setAttribute("aria-pressed", String(x === b));
      onChange(value);
    });
    box.append(b);
  }
  return box;
}

const val = (d, m) => (d[m] == null ? null : RATE.has(m) ? +(d[m] * 100).toFixed(1) : d[m]);

function option(t, metric) {
  const days = t.series.length ? t.series[0].days.map((d) => d.day.slice(5)) : [];
  if (t.group === "all") {
    const s = t.series[0] || { days: [] };
    return {
      animation: false, tooltip: { trigger: "axis" },
      legend: { data: ["进线", "接通", "接通率", "15秒接通率"] },
      grid: { left: 50, right: 50, top: 40, bottom: 30 },
      xAxis: { type: "category", data: days },
      yAxis: [{ type: "value", name: "通" }, { type: "value", name: "%", min: 0, max: 100 }],
      series: [
        { name: "进线", type: "bar", data: s.days.map((d) => d.offered) },
        { name: "接通", type: "bar", data: s.days.map((d) => d.answered) },
        { name: "接通率", type: "line", yAxisIndex: 1, connectNulls: false, data: s.days.map((d) => val(d, "answer_rate")) },
        { name: "15秒接通率", type: "line", yAxisIndex: 1, data: s.days.map((d) => val(d, "answer_rate_15s")) },
      ],
    };
  }
  const shown = t.series.slice(0, MAX_SERIES);
  return {
    animation: false, tooltip: { trigger: "axis" },
    legend: { type: "scroll", data: shown.map((s) => s.label) },
    grid: { left: 50, right: 30, top: 40, bottom: 30 },
    xAxis: { type: "category", data: days },
    yAxis: { type: "value", name: RATE.has(metric) ? `${METRICS[metric]}（%）` : `${METRICS[metric]}（通）`, ...(RATE.has(metric) ? { min: 0, max: 100 } : {}) },
    series: shown.map((s) => ({ name: s.label, type: "line", data: s.days.map((d) => val(d, metric)) })),
  };
}

/** Appends the section to `parent`; returns { load }. */
export function trends(parent) {
  const state = { days: 7, by: "all", metric: "answer_rate" };
  const section = el("section", null, { class: "wide", id: "trends" });
  const chartBox = el("div", null, { class: "chart", id: "t-chart", role: "img", "aria-label": "每日进线、接通与接通率趋势图" });
  const note = el("p", "", { class: "muted", id: "t-note" });
  const metric = toggle("metric", METRICS, state.metric, (v) => { state.metric = v; load().catch(() => {}); });
  metric.hidden = true;
  section.append(
    el("h2", "趋势（每日）"),
    toggle("days", { 7: "7天", 30: "30天" }, "7", (v) => { state.days = Number(v); load().catch(() => {}); }),
    toggle("by", { all: "全部", team: "按团队", queue: "按队列" }, "all", (v) => { state.by = v; metric.hidden = v === "all"; load().catch(() => {}); }),
    metric, chartBox, note,
  );
  parent.append(section);
  let chart = null;
  async function load() {
    const t = await api(`/api/supervisor/trends?days=${state.days}&by=${state.by}`);
    note.textContent = `${t.scope}，${t.first} 至 ${t.last}；来电计入其进线当日（跨零点的通话计入进线日），口径同“今日指标”。` +
      (t.series.length > MAX_SERIES ? `图中显示进线最多的 ${MAX_SERIES} 组。` : "");
    if (!window.echarts) return;
    if (!chart) { chart = echarts.init(chartBox); window.addEventListener("resize", () => chart.resize()); }
    chart.setOption(option(t, state.metric), true);
  }
  return { load };
}
