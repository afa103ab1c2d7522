// The navigation bar: one definition per role, rendered into <nav id="nav"> on every page.
import { api } from "./api.js";

export const NAV = {
  seat: [["/seat", "坐席工作台"], ["/orders", "回拨工单"], ["/qc", "我的质检"]],
  supervisor: [["/", "实时看板"], ["/supervisor", "监控台"], ["/orders", "回拨工单"], ["/offices", "机构管理"], ["/schedule", "排班考勤"], ["/qc", "质检"], ["/knowledge", "知识库"]],
  inspector: [["/qc", "质检"], ["/listen", "实时监听"]],
  admin: [["/", "实时看板"], ["/supervisor", "监控台"], ["/orders", "回拨工单"], ["/offices", "机构管理"], ["/schedule", "排班考勤"], ["/qc", "质检"], ["/knowledge", "知识库"], ["/admin/rights", "权限设置"], ["/admin/audit", "审计日志"]],
};

/** Fill #nav for `me` (null: signed out, no links). Returns the connection badge element. */
export function renderNav(me, { live = false } = {}) {
  const nav = document.getElementById("nav");
  nav.className = "sup";
  const here = location.pathname;
  const links = (me ? NAV[me.role] || [] : []).map(([href, label]) => {
    const a = document.createElement("a");
    a.href = href; a.textContent = label;
    if (href === here) { a.className = "here"; a.setAttribute("aria-current", "page"); }
    return a;
  });
  const who = document.createElement("span"); who.id = "who";
  if (me) who.textContent = me.role === "seat" ? `${me.display_name}（坐席 ${me.seat_id}）` : `${me.display_name}（${me.role_label}）`;
  const parts = [...links, who];
  let badge = null;
  if (live) { badge = document.createElement("span"); badge.id = "conn"; badge.className = "badge off"; badge.setAttribute("role", "status"); badge.textContent = "未连接"; parts.push(badge); }
  if (me) {
    const out = document.createElement("button"); out.type = "button"; out.id = "logout"; out.textContent = "退出登录";
    out.addEventListener("click", async () => { await api("/api/logout", { method: "POST" }).catch(() => {}); location.replace("/"); });
    parts.push(out);
  }
  nav.replaceChildren(...parts);
  nav.dataset.role = me ? me.role : "";
  return badge;
}
