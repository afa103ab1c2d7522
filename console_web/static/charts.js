// Charts of the supervisor board and the wallboard, drawn with the vendored ECharts 4.9
// (/static/vendor/echarts/echarts.min.js, Apache-2.0, loaded as a classic script: global `echarts`).
// Nothing comes from a CDN: the Shanghai district outlines are the GeoJSON the echarts 4.9 npm
// package ships (vendor/echarts/shanghai.json).
/* global echarts */

const charts = new Map(); // element id -> chart, reused on each refresh
let shanghai = null; // the map's GeoJSON, loaded once

function chartOn(el) {
  let c = charts.get(el.id);
  if (!c) {
    c = echarts.init(el);
    charts.set(el.id, c);
    window.addEventListener("resize", () => c.resize());
  }
  return c;
}

// Today by half hour against the forecast: calls (forecast line, today's bars) and seats (needed,
// to roster, on the rota) on a second axis. Half hours with nothing forecast, nothing scheduled
// and no call are left out at both ends of the day.
export function forecastChart(el, f) {
  const busy = f.slots.map((s) => s.calls >= 0.05 || s.actual_calls > 0 || (s.scheduled ?? 0) > 0);
  const first = Math.max(0, busy.indexOf(true));
  const last = busy.lastIndexOf(true) < 0 ? f.slots.length - 1 : busy.lastIndexOf(true);
  const slots = f.slots.slice(first, last + 1);
  const chart = chartOn(el);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: ["预计来电", "今日来电", "所需在线坐席", "应排班", "已排班"] },
    grid: { left: 50, right: 50, top: 40, bottom: 30 },
    xAxis: { type: "category", data: slots.map((s) => s.label.slice(0, 5)) },
    yAxis: [{ type: "value", name: "来电（通）" }, { type: "value", name: "坐席（人）" }],
    series: [
      { name: "预计来电", type: "line", smooth: true, data: slots.map((s) => s.calls) },
      { name: "今日来电", type: "bar", data: slots.map((s) => s.actual_calls) },
      { name: "所需在线坐席", type: "line", step: "middle", yAxisIndex: 1, data: slots.map((s) => s.seats) },
      { name: "应排班", type: "line", step: "middle", yAxisIndex: 1, lineStyle: { type: "dashed" }, data: slots.map((s) => s.rostered) },
      { name: "已排班", type: "line", step: "middle", yAxisIndex: 1, data: slots.map((s) => s.scheduled) },
    ],
  }, true);
  return chart;
}

// Shanghai's districts coloured by today's answer rate (red below the target, green at or above).
export async function districtMap(el, d) {
  if (!shanghai) {
    const r = await fetch("/static/vendor/echarts/shanghai.json");
    shanghai = await r.json();
    echarts.registerMap("shanghai", shanghai);
  }
  const target = d.targets.answer_rate;
  const chart = chartOn(el);
  chart.setOption({
    animation: false,
    tooltip: {
      trigger: "item",
      formatter: (p) => (p.data && p.data.value != null
        ? `${p.name}<br>接通率 ${(p.data.value * 100).toFixed(1)}%<br>进线 ${p.data.offered} 通`
        : `${p.name}<br>今日无来电`),
    },
    visualMap: {
      type: "piecewise",
      pieces: [
        { min: target, label: `≥ ${(target * 100).toFixed(0)}%（达标）`, color: "#2e7d32" },
        { min: target - 0.05, max: target, label: `${((target - 0.05) * 100).toFixed(0)}%–${(target * 100).toFixed(0)}%`, color: "#f0a020" },
        { max: target - 0.05, label: `< ${((target - 0.05) * 100).toFixed(0)}%`, color: "#c62828" },
      ],
      left: 10, bottom: 10,
    },
    series: [{
      name: "接通率",
      type: "map",
      map: "shanghai",
      label: { show: true, fontSize: 11 },
      itemStyle: { areaColor: "#ddd" },
      data: d.districts.filter((x) => x.code).map((x) => ({ name: x.name, value: x.kpis.answer_rate, offered: x.kpis.offered })),
    }],
  }, true);
  return chart;
}
