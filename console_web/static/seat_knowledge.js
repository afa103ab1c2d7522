// 知识库推荐 on the seat's screen (issue 19): while a call is open, the articles, published Q&A and
// typical cases, and similar past records and closed work orders for the call's legal category, its
// IVR path and what is being typed (refreshed as it changes, debounced); 引用 puts an article's
// citation into 解答意见. The citation check (引用核对) lists every 《…法》第…条 of the record with
// its problem (wrong article, repealed law, historical version) before the record is submitted.
import { api, send } from "./lib/api.js";
import { $, el, show, chinaDateTime as when } from "./lib/dom.js";

let ctx = null; // { callId(), text(), cite(citation), editable() }
let timer = null;
let checkTimer = null;
let asked = 0; // the answer of an older request is dropped
let shownFor = null; // the call whose suggestions are shown
let lastCheck = { text: null, problems: 0 };

export function initKnowledge(context) {
  ctx = context;
  $("kb-search").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = $("kb-q").value.trim();
    if (!q) { refreshKnowledge(true); return; }
    const n = ++asked;
    try {
      const body = await api(`/api/knowledge/search?q=${encodeURIComponent(q)}`);
      if (n === asked) render(body, `检索“${q}”的结果`);
    } catch (err) { $("kb-status").textContent = err.message; }
  });
}

/** Ask again for the open call (at once with `now`, else 500 ms after the last change). */
export function refreshKnowledge(now = false) {
  clearTimeout(timer);
  timer = setTimeout(load, now ? 0 : 500);
}

async function load() {
  const id = ctx.callId();
  if (!id) return;
  const n = ++asked;
  try {
    const body = await send(`/api/seat/calls/${encodeURIComponent(id)}/knowledge`, { text: ctx.text() });
    if (n !== asked || id !== ctx.callId()) return;
    shownFor = id;
    if (body.note) { $("kb-status").textContent = body.note; return; }
    if (!body.ready) { $("kb-status").textContent = "知识库加载中，稍后自动刷新…"; clearTimeout(timer); timer = setTimeout(load, 3000); return; }
    const words = body.words.length ? `检索词：${body.words.slice(0, 8).join("、")}` : "按本次来电的法律类别推荐";
    render(body, words);
  } catch (err) {
    if (n === asked) $("kb-status").textContent = err.status === 404 ? "" : err.message;
  }
}

function render(body, status) {
  $("kb-status").textContent = status;
  const editable = ctx.editable();
  $("kb-articles").replaceChildren(...(body.articles.length ? body.articles.map((a) => {
    const li = el("li");
    const head = el("span", `${a.citation}`, { class: "kb-head" });
    li.append(head);
    if (a.chapter) li.append(el("span", ` · ${a.chapter}`, { class: "muted" }));
    if (a.status !== "in_force") li.append(el("span", a.status_label, { class: "kb-status-warn" }));
    const b = el("button", "引用", { type: "button", "aria-label": `引用${a.citation}` });
    b.disabled = !editable;
    b.addEventListener("click", () => ctx.cite(a.citation));
    li.append(" ", b, el("p", a.text, { class: "kb-text" }));
    return li;
  }) : [el("li", "暂无推荐法条", { class: "muted" })]));
  $("kb-entries").replaceChildren(...(body.entries.length ? body.entries.map((e) => {
    const li = el("li");
    li.append(el("span", `【${e.kind_label}】${e.title}`, { class: "kb-head" }), el("p", e.answer, { class: "kb-text" }));
    if (e.citations.length) li.append(el("p", `引用：${e.citations.join("、")}`, { class: "muted" }));
    return li;
  }) : [el("li", "暂无相关问答或典型案例", { class: "muted" })]));
  $("kb-cases").replaceChildren(...(body.cases.length ? body.cases.map((c) => {
    const li = el("li");
    const head = `【${c.kind_label}】${c.at ? when(c.at) : ""}${c.category_label ? " · " + c.category_label : ""}`;
    li.append(el("span", head, { class: "kb-head" }));
    if (c.question) li.append(el("p", `问题：${c.question}`, { class: "kb-text" }));
    li.append(el("p", `解答：${c.advice}`, { class: "kb-text" }));
    return li;
  }) : [el("li", "暂无相似记录", { class: "muted" })]));
}

/** The call panel was emptied (no call): the suggestions of the last call stay until the next. */
export function knowledgeCallId() { return shownFor; }

// --- 引用核对 -------------------------------------------------------------------------------------

/** Check the record's citations 800 ms after the last change. */
export function scheduleCitationCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(checkCitations, 800);
}

/** Check now; resolves to the number of problems found (0 when the check could not run). */
export async function checkCitations() {
  clearTimeout(checkTimer);
  const text = ctx.text({ record: true });
  if (text === lastCheck.text) return lastCheck.problems;
  let body;
  try { body = await send("/api/knowledge/check", { text }); } catch { return 0; }
  lastCheck = { text, problems: body.problems };
  const box = $("cite-check");
  show(box, body.checks.length > 0);
  box.classList.toggle("has-problems", body.problems > 0);
  $("cite-summary").textContent = body.problems
    ? `引用核对：${body.checks.length} 处引用中有 ${body.problems} 处需要核对`
    : `引用核对：${body.checks.length} 处引用均为现行有效条文`;
  $("cite-list").replaceChildren(...body.checks.map((c) => {
    const what = c.ok ? "现行有效" : c.problem_label + (c.note ? `（${c.note}）` : "");
    const li = el("li", `${c.citation}：${what}`);
    if (!c.ok) li.classList.add("problem");
    return li;
  }));
  return body.problems;
}

export function resetCitationCheck() {
  lastCheck = { text: null, problems: 0 };
  show($("cite-check"), false);
}
