// 知识库 (issue 19): the Q&A entries and typical cases, their review (草稿 → 已审核 → 已发布 → 已停用),
// their history, import and export (console_web/knowledge_api.py decides who may do what).
import { api, send, whoAmI } from "./lib/api.js";
import { $, el, show, chinaDateTime as when } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";

let me = null;
const NEXT = { draft: [["reviewed", "审核通过"], ["retired", "停用"]], reviewed: [["published", "发布"], ["draft", "退回草稿"]], published: [["retired", "停用"], ["draft", "撤回修改"]], retired: [["draft", "重新启用为草稿"]] };
const REVIEWERS = new Set(["supervisor", "admin"]);
// routing.queues.LegalCategory (the server checks the code).
const CATEGORIES = [["labor", "劳动争议"], ["family", "婚姻家庭"], ["contract", "合同纠纷"], ["property", "房产物业"], ["traffic", "交通事故"], ["legal-aid", "法律援助"], ["notary", "公证"], ["forensic", "司法鉴定"], ["mediation", "人民调解"], ["other", "其他"]];

function notice(msg) { $("notice").textContent = msg || ""; show($("notice"), !!msg); }

async function load() {
  const state = $("state").value;
  let body;
  try { body = await api(`/api/knowledge/entries${state ? "?state=" + state : ""}`); } catch (err) { notice(err.message); return; }
  $("entries").replaceChildren(...body.entries.map((e) => {
    const tr = document.createElement("tr");
    tr.dataset.id = e.id;
    for (const v of [e.kind_label, e.title, e.category_label, e.state_label, String(e.version), e.author, `${when(e.updated_at)} ${e.updated_by}`]) tr.append(el("td", v));
    const td = el("td");
    const edit = el("button", "修改", { type: "button", "aria-label": `修改 ${e.title}` });
    edit.addEventListener("click", () => fill(e));
    td.append(edit);
    if (REVIEWERS.has(me.role)) {
      for (const [to, label] of NEXT[e.state] || []) {
        const b = el("button", label, { type: "button", "aria-label": `${label}：${e.title}` });
        b.addEventListener("click", () => move(e, to));
        td.append(" ", b);
      }
      const h = el("button", "修改记录", { type: "button", "aria-label": `${e.title} 的修改记录` });
      h.addEventListener("click", () => history(e));
      td.append(" ", h);
    }
    tr.append(td);
    return tr;
  }));
}

function fill(e) {
  const f = $("entry-form").elements;
  f.id.value = e.id; f.version.value = e.version; f.kind.value = e.kind; f.category.value = e.category;
  f.title.value = e.title; f.question.value = e.question; f.answer.value = e.answer; f.citations.value = e.citations.join("\n");
  $("save").textContent = "保存修改";
}

async function move(e, to) {
  try { await send(`/api/knowledge/entries/${encodeURIComponent(e.id)}/state`, { state: to, version: e.version }); notice(""); load(); }
  catch (err) { notice(err.message); }
}

async function history(e) {
  try {
    const body = await api(`/api/knowledge/entries/${encodeURIComponent(e.id)}/history`);
    $("history-title").textContent = `修改记录：${e.title}`;
    $("history").replaceChildren(...body.changes.map((c) => el("li", `第 ${c.version} 版 · ${c.state_label} · ${c.by} · ${when(c.at)}${c.note ? " · " + c.note : ""}`)));
    show($("history-box"), true);
  } catch (err) { notice(err.message); }
}

$("entry-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = $("entry-form").elements;
  const body = { kind: f.kind.value, category: f.category.value, title: f.title.value, question: f.question.value, answer: f.answer.value, citations: f.citations.value.split("\n").map((s) => s.trim()).filter(Boolean) };
  try {
    const check = await send("/api/knowledge/check", { text: `${body.answer}\n${body.citations.join("\n")}` });
    const bad = check.checks.filter((c) => !c.ok).map((c) => `${c.citation}：${c.problem_label}`);
    $("form-check").textContent = bad.length ? `引用核对：${bad.join("；")}` : "";
    if (f.id.value) await send(`/api/knowledge/entries/${encodeURIComponent(f.id.value)}`, { ...body, version: Number(f.version.value) }, "PUT");
    else await send("/api/knowledge/entries", body);
    $("entry-form").reset();
    notice("");
    load();
  } catch (err) { notice(err.message); }
});
$("entry-form").addEventListener("reset", () => { $("save").textContent = "保存草稿"; });
$("state").addEventListener("change", load);
$("import-file").addEventListener("change", async () => {
  const file = $("import-file").files[0];
  if (!file) return;
  try {
    const r = await api("/api/knowledge/import", { method: "POST", body: await file.text(), headers: { "Content-Type": "text/csv" } });
    notice(`已导入 ${r.entries.length} 条草稿，待审核`);
    load();
  } catch (err) { notice(err.body && err.body.errors ? `${err.message}：${err.body.errors.join("；")}` : err.message); }
  $("import-file").value = "";
});

async function start() {
  me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  $("f-category").replaceChildren(...CATEGORIES.map(([v, l]) => el("option", l, { value: v })));
  show($("export"), REVIEWERS.has(me.role));
  $("import-file").disabled = !REVIEWERS.has(me.role);
  load();
}
start();
