// 实时队列与团队 (the supervisor board): per queue and per team in this supervisor's scope, now:
// callers waiting, longest wait, offered / answered today, 接通率, 15秒接通率, seats scheduled /
// online / talking. The server counts them from its live board in memory; like the day's figures
// (今日指标), the page reads them on its periodic refresh (supervisor.js), never on a pushed event.
import { api } from "./lib/api.js";
import { el, row, pct, secs, chinaTime } from "./lib/dom.js";

const HEAD = ["排队", "最长等待", "今日进线", "今日接通", "接通率", "15秒接通率", "排班", "在线", "通话中"];

function table(first) {
  const t = el("table");
  const head = el("tr");
  for (const h of [first, ...HEAD]) head.append(el("th", h));
  t.append(el("thead"), el("tbody"));
  t.tHead.append(head);
  return t;
}

function fill(t, rows, target) {
  t.tBodies[0].replaceChildren(...rows.map((g) => {
    const n = (x) => (x == null ? "—" : x);
    const tr = row([g.label, g.waiting, secs(g.longest_wait_seconds), g.offered, g.answered, pct(g.answer_rate),
      pct(g.answer_rate_15s), n(g.scheduled), n(g.online), n(g.talking)]);
    tr.dataset.key = g.key;
    if (g.answer_rate != null && g.answer_rate < target) tr.className = "bad";
    return tr;
  }));
}

/** Appends the section to `parent`; returns { load }. */
export function liveGroups(parent, { target = 0.95 } = {}) {
  const section = el("section", null, { class: "wide", id: "live-groups" });
  const updated = el("span", "", { class: "muted" });
  const h = el("h2", "实时队列与团队 ");
  h.append(updated);
  const queues = table("队列");
  const teams = table("团队");
  section.append(h, el("h3", "按队列"), queues, el("h3", "按团队"), teams,
    el("p", "今日进线、接通及接通率按推送的通话事件实时累计（口径同“今日指标”）；未接通的来电计入其队列所在区的团队，已接通的计入接听坐席的团队。队列的坐席数为当前加入该队列的坐席。", { class: "muted" }));
  parent.append(section);
  async function load() {
    const g = await api("/api/supervisor/live-groups");
    updated.textContent = `更新于 ${chinaTime(g.generated_at)}`;
    fill(queues, g.queues, target);
    fill(teams, g.teams, target);
  }
  return { load };
}
