// 告警 banners of the supervisor board and the wallboard: the open alerts of this user's scope
// (/api/supervisor/alerts, held in memory by the server: refetching costs no database read), each
// with its text and who was alerted ("已通知：…"). On the board a supervisor acknowledges (确认) one.
import { api, send } from "./lib/api.js";
import { el, chinaDateTime } from "./lib/dom.js";

/** Banners in `box`; `ack`: show the 确认 button. Returns { load } (refetch and repaint). */
export function alertBanners(box, { ack = false, bannerClass = "banner" } = {}) {
  box.setAttribute("role", "alert");
  async function load() {
    const r = await api("/api/supervisor/alerts");
    box.replaceChildren(...r.alerts.map((a) => {
      const p = el("p", a.text, { class: `${bannerClass} board-alert` });
      p.dataset.alertId = a.id;
      p.dataset.kind = a.kind;
      p.append(el("small", ` 发生于 ${chinaDateTime(a.raised_at)}`));
      if (a.acknowledged_by) p.append(el("small", `，已由 ${a.acknowledged_by} 于 ${chinaDateTime(a.acknowledged_at)} 确认`));
      else if (ack) {
        const b = el("button", "确认", { type: "button" });
        b.addEventListener("click", () => send(`/api/supervisor/alerts/${a.id}/ack`).then(load).catch((e) => { b.title = e.message; b.textContent = "确认失败"; }));
        p.append(" ", b);
      }
      return p;
    }));
  }
  return { load };
}
