// 权限设置 (admins): which role holds 监听与耳语, 强插与强拆, 调度坐席 (console_web/admin_api.py).
import { api, send, whoAmI } from "./lib/api.js";
import { $, deny, el } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";

function paint(table) {
  $("rights-head").replaceChildren(el("th", "角色"), ...table.rights.map((r) => el("th", r.label)), el("th", "来源"));
  $("rights-rows").replaceChildren(...table.roles.map((role) => {
    const tr = document.createElement("tr");
    tr.dataset.role = role.role;
    tr.append(el("td", role.role_label));
    for (const right of table.rights) {
      const td = document.createElement("td");
      const box = el("input", null, { type: "checkbox", name: `${role.role}:${right.value}`, "aria-label": `${role.role_label}：${right.label}` });
      box.checked = role.rights.includes(right.value);
      box.disabled = !role.editable;
      td.append(box);
      tr.append(td);
    }
    tr.append(el("td", role.editable ? (role.saved ? "管理员设置" : "系统默认") : "坐席不可获得"));
    return tr;
  }));
}

let current = null;

async function save(ev) {
  ev.preventDefault();
  const roles = {};
  for (const role of current.roles) {
    if (!role.editable) continue;
    roles[role.role] = current.rights.map((r) => r.value).filter((r) => $("rights-form").elements[`${role.role}:${r}`].checked);
  }
  try {
    current = await send("/api/admin/rights", { roles }, "PUT");
    paint(current);
    $("rights-result").textContent = current.message;
  } catch (err) { $("rights-result").textContent = err.message; }
}

async function main() {
  const me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  if (me.role !== "admin") { deny("仅管理员可以设置角色权限。"); return; }
  current = await api("/api/admin/rights");
  paint(current);
  $("rights").hidden = false;
  $("rights-form").onsubmit = save;
}
main();
