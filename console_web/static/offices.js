// Office registry: list / filter / search; admins edit one office and import a CSV (every bad
// row is listed, nothing is written), everyone allowed in may export.
import { api, whoAmI } from "./lib/api.js";
import { $, deny } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";

let me = null, meta = null;

async function load() {
  const q = new URLSearchParams({ limit: "300" });
  if ($("f-district").value) q.set("district", $("f-district").value);
  if ($("f-level").value) q.set("level", $("f-level").value);
  if ($("f-q").value.trim()) q.set("q", $("f-q").value.trim());
  const body = await api(`/api/offices?${q}`);
  if (!meta) {
    meta = body;
    $("f-district").append(...body.districts.map((d) => new Option(d.name, d.code)));
    $("f-level").append(...body.levels.map((l) => new Option(l.label, l.value)));
    $("edit-team").append(...body.teams.map((t) => new Option(t.name, t.id)));
  }
  $("count").textContent = `共 ${body.total} 个机构${body.total > body.offices.length ? `，显示前 ${body.offices.length} 个` : ""}`;
  $("offices").replaceChildren(...body.offices.map((o) => {
    const tr = document.createElement("tr");
    const coords = o.lat == null ? "—" : `${o.lat}, ${o.lon}`;
    for (const v of [o.id, o.name, o.level_label, o.address, o.phone, o.opening_hours, coords, o.team_name]) {
      const td = document.createElement("td"); td.textContent = v || ""; tr.append(td);
    }
    const td = document.createElement("td");
    if (me.role === "admin") { const b = document.createElement("button"); b.textContent = "编辑"; b.onclick = () => edit(o); td.append(b); }
    tr.append(td);
    return tr;
  }));
}

function edit(o) {
  const f = $("edit-form"); const dlg = $("edit-dlg");
  $("edit-id").textContent = o.id; $("edit-error").textContent = "";
  for (const k of ["name", "address", "phone", "opening_hours", "lat", "lon", "team_id"]) f.elements[k].value = o[k] == null ? "" : o[k];
  dlg.onclose = async () => {
    if (dlg.returnValue !== "ok") return;
    const num = (v) => (v === "" ? null : Number(v));
    const body = { name: f.elements.name.value, address: f.elements.address.value, phone: f.elements.phone.value,
      opening_hours: f.elements.opening_hours.value, lat: num(f.elements.lat.value), lon: num(f.elements.lon.value), team_id: f.elements.team_id.value };
    try { await api(`/api/offices/${encodeURIComponent(o.id)}`, { method: "PUT", body: JSON.stringify(body) }); await load(); }
    catch (e) { $("edit-error").textContent = e.message; dlg.returnValue = ""; dlg.showModal(); }
  };
  dlg.returnValue = ""; dlg.showModal();
}

async function importCsv() {
  const file = $("import-file").files[0];
  $("import-errors").replaceChildren(); $("import-result").textContent = "";
  if (!file) { $("import-result").textContent = "请先选择 CSV 文件"; return; }
  const bytes = await file.arrayBuffer();
  try {
    const r = await api("/api/offices/import", { method: "POST", body: bytes, headers: { "Content-Type": "text/csv" } });
    $("import-result").textContent = `导入成功：${r.imported} 个机构，机构表现有 ${r.total} 个，路由已重新加载。`;
    await load();
  } catch (e) {
    $("import-result").textContent = e.message;
    $("import-errors").replaceChildren(...(e.body?.errors || []).map((msg) => { const li = document.createElement("li"); li.textContent = msg; return li; }));
  }
}

async function main() {
  me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  if (me.role === "seat") { deny("仅班长和管理员可以查看机构表。"); return; }
  $("main").hidden = false;
  $("admin-tools").hidden = me.role !== "admin";
  $("f-apply").onclick = () => load().catch((e) => alert(e.message));
  $("f-q").addEventListener("keydown", (e) => { if (e.key === "Enter") load(); });
  $("import").onclick = importCsv;
  await load();
}
main();
