// 质检: inspectors and supervisors filter the queue, open a call (record, transcript, the call id
// for the recording player) and score it on the current form; a seat reads its scores and appeals
// each once; an inspector, a supervisor or an admin decides an appeal; the QC report per team and
// seat; admins edit the scoring form (a new version), the sampling rule and the transcript check's
// phrase lists (服务禁语, 规范开头语/结束语: one phrase a line).
import { api, send, labels as fetchLabels, whoAmI } from "./lib/api.js";
import { $, el, row, pct, secs, clock, chinaDateTime, chinaToday } from "./lib/dom.js";
import { renderNav } from "./lib/nav.js";
import { mountTranscriptSearch } from "./lib/transcript_search.js";

let me = null, current = null, filtersLoaded = false;
let legs = {}; // whose voice a transcript line is (/api/labels); "mixed": the recording's post-call transcript
const READERS = ["inspector", "supervisor", "admin"];
const reasonText = (item) => item.reasons.map((r) => r.label).join("、");
const scoreText = (item) => (item.total == null ? "—" : `${item.total} / ${item.max_total}`);
const fail = (id) => (e) => { $(id).textContent = e.message; };

function button(label, onclick, attrs = {}) {
  const b = el("button", label, { type: "button", ...attrs }); b.onclick = onclick; return b;
}

async function loadQueue() {
  const q = new URLSearchParams();
  for (const k of ["team", "seat", "reason", "status"]) if ($(`f-${k}`).value) q.set(k, $(`f-${k}`).value);
  const body = await api(`/api/qc/items?${q}`);
  if (!filtersLoaded) {
    filtersLoaded = true;
    $("f-team").append(...body.teams.map((t) => new Option(t.name, t.id)));
    $("f-seat").append(...body.seats.map((s) => new Option(s.name, s.id)));
    $("f-reason").append(...body.reasons.map((r) => new Option(r.label, r.value)));
    $("f-status").append(...body.statuses.map((s) => new Option(s.label, s.value)));
  }
  $("count").textContent = `共 ${body.items.length} 通`;
  $("queue-rows").replaceChildren(...body.items.map((i) => {
    const tr = row([chinaDateTime(i.call_at), `${i.seat_id} ${i.seat_name}`, i.team_name, reasonText(i), secs(i.talk_seconds), i.status_label, scoreText(i)]);
    tr.dataset.callId = i.call_id;
    const td = el("td"); td.append(button(i.status === "pending" && me.role === "inspector" ? "评分" : "查看", () => open(i.call_id))); tr.append(td);
    return tr;
  }));
}

async function loadMine() {
  const body = await api("/api/qc/mine");
  $("mine-rows").replaceChildren(...body.items.map((i) => {
    const tr = row([chinaDateTime(i.call_at), i.call_id, reasonText(i), scoreText(i), i.status_label, i.comment]);
    tr.dataset.callId = i.call_id;
    const td = el("td"); td.append(button("查看", () => open(i.call_id))); tr.append(td);
    return tr;
  }));
}

function scoresOf() {
  const out = {};
  for (const input of $("score-items").querySelectorAll("input")) out[input.name] = Number(input.value || 0);
  return out;
}

function updateTotal() { $("score-total").textContent = Object.values(scoresOf()).reduce((a, b) => a + b, 0); }

async function open(callId) {
  const d = await api(`/api/qc/items/${encodeURIComponent(callId)}`);
  current = d;
  const item = d.item;
  $("detail").hidden = false;
  $("d-call").textContent = item.call_id;
  $("recording").dataset.callId = item.call_id;
  const facts = [["坐席", `${item.seat_id} ${item.seat_name}`], ["团队", item.team_name], ["抽检原因", reasonText(item)],
    ["送检说明", item.flag_note || "—"], ["状态", item.status_label]];
  if (d.call) facts.push(["来电时间", chinaDateTime(d.call.offered_at)], ["队列", d.call.queue || "—"], ["等待", secs(d.call.wait_seconds)], ["通话时长", secs(d.call.talk_seconds)], ["通话结果", d.call.status_label]);
  $("d-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", k), el("dd", v)]));
  // Each finding names its place in the recording (data-at-s: seconds from the start of the call's audio).
  $("d-marks").replaceChildren(...(item.marks.length ? item.marks.map((m) => el("li", `${clock(m.at_s)} ${m.kind_label}${m.text ? `：${m.text}` : ""}`, { "data-at-s": String(m.at_s) })) : [el("li", "（无）")]));
  $("d-transcript").replaceChildren(...(d.transcript.length ? d.transcript.map((l) => el("li", `[${legs[l.leg] || l.leg} ${secs(l.start_s)}] ${l.text}`)) : [el("li", "（无转写）")]));
  $("d-form-version").textContent = d.form.version;
  const editable = (item.status === "pending" && me.role === "inspector") || (item.status === "appealed" && READERS.includes(me.role));
  $("score-items").replaceChildren(...d.form.items.map((f) => {
    const tr = row([f.label, f.description, f.max_score]);
    const input = el("input", null, { type: "number", name: f.key, min: "0", max: String(f.max_score), step: "1", "aria-label": f.label });
    input.value = item.scores[f.key] ?? f.max_score;
    input.disabled = !editable;
    input.oninput = updateTotal;
    const td = el("td"); td.append(input); tr.append(td);
    return tr;
  }));
  $("score-max").textContent = d.form.max_total;
  updateTotal();
  $("score-form").elements.comment.value = item.comment || "";
  $("score-form").elements.comment.disabled = item.status !== "pending";
  $("score-submit").hidden = !(item.status === "pending" && me.role === "inspector");
  $("score-error").textContent = "";
  const scored = item.status !== "pending";
  $("appeal-box").hidden = !scored;
  const state = item.appealed_at ? `申诉理由：${item.appeal_reason}（${item.status_label}${item.decision_note ? `；复核意见：${item.decision_note}` : ""}${item.original_total != null ? `；原得分 ${item.original_total}` : ""}）` : "未申诉";
  $("appeal-state").textContent = state;
  $("appeal-form").hidden = !(me.role === "seat" && item.status === "scored" && !item.appealed_at);
  $("decide-form").hidden = !(item.status === "appealed" && READERS.includes(me.role));
  $("appeal-error").textContent = ""; $("decide-error").textContent = "";
  $("detail").scrollIntoView();
}

async function refresh() {
  if (me.role === "seat") await loadMine(); else await loadQueue();
  if (current) await open(current.item.call_id);
}

async function submitScore(e) {
  e.preventDefault();
  try {
    await send(`/api/qc/items/${encodeURIComponent(current.item.call_id)}/score`, { scores: scoresOf(), comment: $("score-form").elements.comment.value });
    await refresh();
  } catch (err) { fail("score-error")(err); }
}

async function submitAppeal(e) {
  e.preventDefault();
  try {
    await send(`/api/qc/items/${encodeURIComponent(current.item.call_id)}/appeal`, { reason: $("appeal-form").elements.reason.value });
    $("appeal-form").reset();
    await refresh();
  } catch (err) { fail("appeal-error")(err); }
}

async function decide(upheld) {
  const note = $("decide-form").elements.note.value;
  try {
    await send(`/api/qc/items/${encodeURIComponent(current.item.call_id)}/decision`, { upheld, note, scores: upheld ? scoresOf() : null });
    $("decide-form").reset();
    await refresh();
  } catch (err) { fail("decide-error")(err); }
}

async function loadReport() {
  const q = new URLSearchParams({ start: $("r-start").value, end: $("r-end").value });
  const r = await api(`/api/qc/report?${q}`);
  $("r-summary").textContent = `${r.scope}，${r.start} 至 ${r.end}；目标覆盖率 ≥ ${pct(r.target)}`;
  const line = (x, indent) => row([`${indent}${x.label}`, x.answered, x.sampled, x.inspected, pct(x.coverage), pct(x.average_score), x.meets_target ? "是" : "否"]);
  $("r-rows").replaceChildren(...r.teams.map((t) => line(t, "")), ...r.seats.map((s) => line(s, "坐席 ")), line(r.total, ""));
}

function formRow(item = { key: "", label: "", max_score: 10, description: "" }) {
  const tr = el("tr");
  for (const [name, type] of [["key", "text"], ["label", "text"], ["max_score", "number"], ["description", "text"]]) {
    const input = el("input", null, { name, type, "aria-label": name });
    input.value = item[name];
    const td = el("td"); td.append(input); tr.append(td);
  }
  return tr;
}

const PHRASE_LISTS = ["forbidden", "greetings", "closings"];

function showPhrases(phrases) {
  for (const k of PHRASE_LISTS) $("phrases-edit").elements[k].value = phrases[k].join("\n");
}

async function savePhrases(e) {
  e.preventDefault();
  const f = $("phrases-edit").elements;
  // One phrase a line; blank lines are left out, the server trims and checks the rest.
  const body = Object.fromEntries(PHRASE_LISTS.map((k) => [k, f[k].value.split("\n").filter((l) => l.trim())]));
  try { showPhrases(await send("/api/qc/phrases", body, "PUT")); $("phrases-result").textContent = "服务禁语与规范用语已保存"; }
  catch (err) { fail("phrases-result")(err); }
}

async function loadAdmin() {
  const [form, rule, phrases] = await Promise.all([api("/api/qc/form"), api("/api/qc/rule"), api("/api/qc/phrases")]);
  showPhrases(phrases);
  $("form-rows").replaceChildren(...form.items.map(formRow));
  $("form-result").textContent = `当前为第 ${form.version} 版，满分 ${form.max_total}`;
  for (const [k, v] of Object.entries(rule)) $("rule-edit").elements[k].value = v;
}

async function saveForm(e) {
  e.preventDefault();
  const items = [...$("form-rows").querySelectorAll("tr")].map((tr) => {
    const v = (n) => tr.querySelector(`input[name=${n}]`).value.trim();
    return { key: v("key"), label: v("label"), max_score: Number(v("max_score")), description: v("description") };
  });
  try { const f = await send("/api/qc/form", { items }, "PUT"); $("form-result").textContent = `已保存为第 ${f.version} 版，满分 ${f.max_total}`; }
  catch (err) { fail("form-result")(err); }
}

async function saveRule(e) {
  e.preventDefault();
  const f = $("rule-edit").elements;
  const body = Object.fromEntries(["sample_percent", "short_talk_s", "long_talk_factor", "median_min_calls"].map((k) => [k, Number(f[k].value)]));
  try { await send("/api/qc/rule", body, "PUT"); $("rule-result").textContent = "抽检规则已保存"; }
  catch (err) { fail("rule-result")(err); }
}

async function main() {
  me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  renderNav(me);
  legs = (await fetchLabels().catch(() => ({}))).leg || {};
  $("score-form").onsubmit = submitScore;
  $("appeal-form").onsubmit = submitAppeal;
  $("decide-uphold").onclick = () => decide(true);
  $("decide-reject").onclick = () => decide(false);
  if (me.role === "seat") {
    $("title").textContent = "我的质检";
    $("mine").hidden = false;
    await loadMine();
    return;
  }
  $("queue").hidden = false; $("report").hidden = false;
  $("transcript-search").hidden = false; mountTranscriptSearch($("transcript-search"));
  $("f-apply").onclick = () => loadQueue().catch((e) => alert(e.message));
  const today = chinaToday();
  const monday = new Date(`${today}T00:00:00Z`); monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  $("r-start").value = monday.toISOString().slice(0, 10); $("r-end").value = today;
  $("r-apply").onclick = () => loadReport().catch((e) => alert(e.message));
  if (me.role === "admin") {
    $("admin").hidden = false;
    $("form-add").onclick = () => $("form-rows").append(formRow());
    $("form-edit").onsubmit = saveForm;
    $("rule-edit").onsubmit = saveRule;
    $("phrases-edit").onsubmit = savePhrases;
    await loadAdmin();
  }
  await Promise.all([loadQueue(), loadReport()]);
}
main();
