// 审计日志 (admins): monitoring, force hang-ups, steering and rights changes (console_web/admin_api.py).
import { api, whoAmI } from "./lib/api.js";
import { $, deny, el, row, secs, chinaDateTime } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";

const PER_PAGE = 50;
let page = 1;
let filled = false;

function query() {
  const q = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  for (const [k, id] of [["actor", "f-actor"], ["kind", "f-kind"], ["since", "f-since"], ["until", "f-until"]]) {
    if ($(id).value) q.set(k, $(id).value);
  }
  return q;
}

function fill(select, choices) {
  const keep = select.value;
  select.replaceChildren(el("option", "全部", { value: "" }), ...choices.map((c) => el("option", c.label, { value: c.value })));
  select.value = keep;
}

async function load() {
  let got;
  try { got = await api(`/api/admin/audit?${query()}`); }
  catch (err) { $("count").textContent = err.message; return; }
  if (!filled) { fill($("f-kind"), got.kinds); filled = true; }
  fill($("f-actor"), got.actors);
  $("rows").replaceChildren(...got.entries.map((e) => row([
    chinaDateTime(e.at), e.actor_name, e.action_label, e.seat_id, e.call_id, e.what,
    e.seconds == null ? "" : secs(e.seconds), e.source_ip,
  ])));
  const pages = Math.max(1, Math.ceil(got.total / got.per_page));
  $("count").textContent = `共 ${got.total} 条记录`;
  $("page-no").textContent = `第 ${got.page} / ${pages} 页`;
  $("prev").disabled = got.page <= 1;
  $("next").disabled = got.page >= pages;
}

async function main() {
  const me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  if (me.role !== "admin") { deny("仅管理员可以查看审计日志。"); return; }
  $("audit").hidden = false;
  $("filters").onsubmit = (ev) => { ev.preventDefault(); page = 1; load(); };
  $("prev").onclick = () => { page = Math.max(1, page - 1); load(); };
  $("next").onclick = () => { page += 1; load(); };
  await load();
}
main();
