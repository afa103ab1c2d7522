// 坐席工作台: status bar, screen pop, caller file, live transcript, consultation record, transfer,
// today's own figures (今日个人数据) and the keyboard shortcuts (快捷键).
// Pushes arrive on /ws/events (already filtered to this seat by the server) and are applied in
// place: seat state changes, ringing, answered and ended need no request. Queue membership and
// the screen pop are fetched (events do not carry them); after a reconnect or StateResynced the
// page reloads its state from the API once.
import { api, send, labels as fetchLabels, whoAmI } from "./lib/api.js";
import { $, el, show, clock as fmt, chinaDateTime as when, chinaToday, debounce, pct, secs } from "./lib/dom.js";
import { live } from "./lib/live.js";
import { recordingCell } from "./lib/recordings.js";
import { renderNav } from "./lib/nav.js";
import { mountTranscriptSearch } from "./lib/transcript_search.js";
import { initKnowledge, refreshKnowledge, scheduleCitationCheck, checkCitations, resetCitationCheck } from "./seat_knowledge.js";

let me = null;
let state = null;
let clockSkew = 0; // server time minus browser time, in ms
let callId = null; // the call shown in the call panel (screen pop, transcript, transfer, hang-up)
let callLive = false;
let muted = false; // this seat's microphone is muted on callId (AMI MuteAudio)
let consulting = null; // 咨询转接 under way on callId: the target's label (the caller is on hold)
let held = false; // callId is on hold (保持)
let third = ""; // the third party invited into callId (三方通话), by its label; "" when none
let dialogMode = "transfer"; // what the transfer dialog does: "transfer", "consult" (咨询转接) or "conference" (三方通话)
let lastPop = null; // callId's screen pop
// The consultation form belongs to ONE call, `recordId`. A new call takes the form over only when
// nobody is typing in it: otherwise the form stays with its call (keystrokes keep going into that
// call's draft) and #record-hold offers to save it and move on to the new call.
let recordId = null;
let recordCaller = "";
let dirty = false; // typed since the last saved draft
let touched = false; // the lawyer wrote in this record (now, or in a draft saved before)
let labels = { call_status: {}, leg: {}, seat_status: {}, pause_reason: {} }; // each state's one Chinese label, from /api/labels
let recordFinal = false; // recordId's record is submitted: the form is read-only
const segments = new Map();

function notice(msg) { const n = $("notice"); n.textContent = msg || ""; show(n, !!msg); }

async function act(path, body) {
  try { notice(""); await send(path, body); }
  catch (err) { notice(err.message); }
  await loadState();
}

// --- status bar --------------------------------------------------------------------------------

function fillOptions(select, items, keepFirst) {
  const first = keepFirst ? [select.options[0]] : [];
  select.replaceChildren(...first, ...items.map((i) => el("option", i.label, { value: i.code })));
}

async function loadState() {
  const s = await api("/api/seat/state");
  clockSkew = new Date(s.now).getTime() - Date.now();
  const first = state === null;
  state = s;
  if (first) {
    fillOptions($("pause-reason"), s.pause_reasons, false);
    fillOptions($("f-category"), s.categories, true);
    fillOptions($("f-outcome"), s.outcomes, true);
  }
  await render();
}

/** A SeatStateChanged for this seat, applied without asking the server. */
async function applySeatState(d) {
  if (!state) return;
  state.status = d.status;
  state.status_label = labels.seat_status[d.status] || d.status;
  state.pause_reason = d.pause_reason || null;
  state.pause_label = d.pause_reason ? labels.pause_reason[d.pause_reason] || null : null;
  state.since = d.at || new Date(Date.now() + clockSkew).toISOString();
  state.call_id = d.call_id || (d.status === "wrap_up" ? state.call_id : null);
  state.wrap_up_until = null; // a new state: its wrap-up (if any) has not been extended
  // The wrap-up runs from when the server heard of it (its clock), not the PBX's timestamp.
  state.wrap_up_from = Date.now() + clockSkew;
  $("wrapup-note").textContent = "";
  $("btn-wrapup-extend").disabled = false;
  await render();
}

async function render() {
  const s = state;
  const label = $("state-label");
  label.textContent = s.status_label;
  label.dataset.status = s.status;
  $("pause-info").textContent = s.pause_label ? `（${s.pause_label}）` : "";
  $("queues").textContent = s.queues.length ? "服务队列：" + s.queues.map((q) => q.label).join("、") : "未签入任何队列";
  const st = s.status;
  $("btn-login").disabled = st !== "offline";
  $("btn-logout").disabled = st === "offline" || st === "talking";
  $("btn-pause").disabled = st === "offline" || st === "talking" || st === "paused";
  $("pause-reason").disabled = $("btn-pause").disabled;
  $("btn-resume").disabled = st !== "paused";
  show($("wrapup"), st === "wrap_up");
  callLive = st === "talking" && s.call_id === callId;
  if (s.call_id && s.call_id !== callId) await openCall(s.call_id);
  updateCallButtons();
  tick();
}

function tick() {
  if (!state) return;
  const now = Date.now() + clockSkew;
  const since = state.since ? new Date(state.since).getTime() : now;
  const elapsed = (now - since) / 1000;
  $("state-timer").textContent = fmt(elapsed);
  if (chinaToday() !== todaySeen) { todaySeen = chinaToday(); loadToday(); } // a new China day: start from zero
  if (state.status !== "wrap_up") return;
  const left = Math.max(0, Math.ceil((wrapUpEndsAt(since) - now) / 1000));
  $("wrapup-timer").textContent = String(left);
  // The lawyer is still writing this call's record as the wrap-up runs out: hold the seat in
  // wrap-up a step longer (once per deadline; the server keeps to the supervisors' cap).
  const deadline = wrapUpEndsAt(since);
  if (left <= AUTO_EXTEND_S && typing() && recordId === state.call_id && autoExtended !== deadline) {
    autoExtended = deadline;
    extendWrapUp(true);
  }
}
setInterval(tick, 1000);

// --- wrap-up extension (延长整理) -------------------------------------------------------------------

const AUTO_EXTEND_S = 10; // seconds before the end of wrap-up that typing extends it
let autoExtended = null; // the deadline already extended automatically

/** When the wrap-up ends (ms, server time): as the server says or extended, else the queues'
 * wrap-up from when it began. */
function wrapUpEndsAt(since) {
  if (state.wrap_up_until) return new Date(state.wrap_up_until).getTime();
  return (state.wrap_up_from || since) + state.wrap_up_seconds * 1000;
}

async function extendWrapUp(auto = false) {
  try {
    const r = await send("/api/seat/wrapup/extend");
    state.wrap_up_until = r.until;
    const more = r.left_s > 0 ? `，还可延长 ${Math.round(r.left_s)} 秒` : "，已达班长设定的最长整理时长";
    $("wrapup-note").textContent = `${auto ? "正在填写记录，已自动" : "已"}延长 ${Math.round(r.extended_s)} 秒${more}`;
    $("btn-wrapup-extend").disabled = r.left_s <= 0;
  } catch (err) {
    $("wrapup-note").textContent = err.message;
    if (err.status === 409) $("btn-wrapup-extend").disabled = true;
  }
  tick();
}

// --- screen pop and caller file ------------------------------------------------------------------

async function openCall(id) {
  if (callId !== id) {
    callId = id;
    muted = false;
    consulting = null;
    held = false;
    third = "";
    lastPop = null;
    segments.clear();
    $("transcript").replaceChildren();
    $("transcript-title").textContent = "实时转写";
    if (typing()) holdRecord();
    else await bindRecord(id);
  }
  let pop = null;
  for (let i = 0; i < 4 && !pop; i++) {
    try { pop = await api(`/api/seat/calls/${encodeURIComponent(id)}/screenpop`); }
    catch (err) { if (err.status !== 404 || i === 3) { notice(err.message); return; } await new Promise((r) => setTimeout(r, 250)); }
  }
  if (callId !== id) return;
  lastPop = pop;
  renderPop(pop);
  loadTranscript(id);
}

function renderPop(p) {
  show($("no-call"), false);
  show($("call-info"), true);
  $("caller").textContent = (p.callback ? "回拨 · " : "") + (p.caller || "未显示号码");
  $("call-status").textContent = p.status_label || "";
  $("ivr-path").textContent = p.ivr_path.length ? p.ivr_path.join(" › ") : "（未经语音导航）";
  $("category").textContent = p.category_label || "未识别";
  $("district").textContent = p.district_name || "未识别";
  $("address").textContent = p.address || "—";
  // The IVR's reading of it: 有多处可能，需确认 · 可能是：A 或 B；外省市地址 · 来电者说的不是上海地址
  $("address-verdict").textContent = p.address_outcome_label
    ? `${p.address_outcome_label} · ${p.address_note}`
    : "—";
  $("office").textContent = p.office ? officeText(p.office) : "—";
  const order = p.work_order;
  show($("work-order-label"), Boolean(order));
  show($("work-order"), Boolean(order));
  $("work-order").textContent = order
    ? `${order.order_no} · ${order.reason_label} · 已回拨 ${order.attempts} 次 · 期限 ${when(order.deadline)}`
    : "";
  if (recordId === callId) prefillRecord(p);
  renderFile(p.file);
  refreshKnowledge(true);
}

function officeText(o) {
  const where = o.address ? `（${o.address}）` : "";
  return `${o.name}${where}${o.public_phone ? " · 电话 " + o.public_phone : ""}`;
}

/** The form's starting point from the screen pop: this seat's saved record, else what the IVR knew. */
function prefillRecord(p) {
  recordCaller = p.caller || "未显示号码";
  $("record-for").textContent = `来电 ${recordCaller} 的记录`;
  if (p.record) fillRecord(p.record);
  else if (p.category && !$("f-category").value) $("f-category").value = p.category;
  if (p.office && !$("f-office").value) $("f-office").value = p.office.id;
}

function renderFile(f) {
  show($("file-empty"), !f.known);
  $("file-calls").replaceChildren(...f.calls.map((c) => {
    const tr = el("tr");
    for (const v of [when(c.at), c.category_label, c.seat, c.status_label, c.third_parties.join("；") || "—"]) tr.append(el("td", v));
    tr.append(recordingCell(c.call_id, !!c.seat));  // a seat plays its own calls' recordings
    return tr;
  }));
  $("file-records").replaceChildren(...f.records.map((r) =>
    el("li", `${when(r.at)} ${r.category_label} · ${r.outcome_label} · ${r.seat}：${r.question}${r.advice ? " —— " + r.advice : ""}`)));
  $("file-orders").replaceChildren(...f.work_orders.map((o) => {
    const li = el("li", `${o.order_no} · ${o.status_label} · ${o.reason_label} · 创建于 ${when(o.created_at)} · 期限 ${when(o.deadline)} · 已回拨 ${o.attempts} 次`);
    if (o.open) li.className = "open";
    return li;
  }));
}

function updateCallButtons() {
  $("btn-appointment").disabled = !callId;
  $("btn-transfer").disabled = !callLive;
  $("btn-hangup").disabled = !callLive;
  if (!callLive) muted = false; // a call ends unmuted (its channel is gone)
  $("btn-mute").disabled = !callLive;
  $("btn-mute").textContent = muted ? "取消静音" : "静音";
  $("btn-mute").setAttribute("aria-pressed", String(muted));
  show($("muted-note"), callLive && muted);
  if (!callLive) { consulting = null; held = false; third = ""; } // they all end with the call
  const busy = consulting !== null || held || !!third; // one of them at a time
  $("btn-transfer").disabled = !callLive || consulting !== null;
  $("btn-consult").disabled = !callLive || busy;
  show($("btn-consult-complete"), callLive && consulting !== null);
  show($("btn-consult-cancel"), callLive && consulting !== null);
  $("consult-note").textContent = consulting ? `咨询中：${consulting}（来电人等待中，听不到您与对方的通话）` : "";
  show($("consult-note"), callLive && consulting !== null);
  $("btn-hold").disabled = !callLive || !!third || consulting !== null;
  $("btn-hold").textContent = held ? "恢复" : "保持";
  $("btn-hold").setAttribute("aria-pressed", String(held));
  show($("held-note"), callLive && held);
  $("btn-conference").disabled = !callLive || busy;
  show($("btn-drop-third"), callLive && !!third);
  $("third-note").textContent = third ? `三方通话：已邀请${third}` : "";
  show($("third-note"), callLive && !!third);
}

// --- transcript ------------------------------------------------------------------------------------

/** Why the transcript may stay empty: speech recognition off or down (from /api/status). */
async function loadAsrStatus() {
  let text = "";
  try {
    const components = (await api("/api/status")).components;
    const asr = components.find((c) => c.name === "asr");
    // The post-call transcriber is up only with the whole-utterance engine (Whisper, no Vosk).
    const postCall = components.find((c) => c.name === "post-call");
    if (!asr) text = "语音识别未启用：本系统未开启实时转写。";
    else if (!asr.up) text = `语音识别不可用${asr.detail ? "（" + asr.detail + "）" : ""}：暂时没有实时转写。`;
    else if (postCall && postCall.up) text = "实时转写未启用：当前为整句识别引擎，通话结束后将显示录音转写。";
  } catch (err) { text = "无法获取语音识别状态：" + err.message; }
  $("asr-status").textContent = text;
  show($("asr-status"), !!text);
}

async function loadTranscript(id) {
  try {
    const body = await api(`/api/seat/calls/${encodeURIComponent(id)}/transcript`);
    if (callId === id) for (const s of body.segments) addSegment(s);
  } catch (err) { /* the transcript is a help, not a must */ }
}

function addSegment(s) {
  // Lines of the recording's post-call transcript (leg "mixed": both voices in one file).
  if (s.leg === "mixed") $("transcript-title").textContent = "录音转写（通话后）";
  const key = `${s.leg}:${s.seq}`;
  const old = segments.get(key);
  if (old && old.dataset.final === "true" && !s.final) return;
  const li = old || el("li");
  li.replaceChildren(el("b", s.leg_label || labels.leg[s.leg] || ""), document.createTextNode(s.text));
  li.dataset.leg = s.leg;
  li.dataset.final = String(!!s.final);
  li.className = s.final ? "final" : "partial";
  if (s.final) refreshKnowledge();
  if (!old) {
    segments.set(key, li);
    const box = $("transcript");
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    box.append(li);
    if (atEnd) box.scrollTop = box.scrollHeight;
  }
}

// --- consultation record -------------------------------------------------------------------------

const FIELDS = ["category", "question", "advice", "outcome", "office_id"];
function formData() {
  const f = new FormData($("record"));
  return Object.fromEntries(FIELDS.map((k) => [k, f.get(k) || null]));
}
function fillRecord(r) {
  $("f-category").value = r.category || "";
  $("f-question").value = r.question || "";
  $("f-advice").value = r.advice || "";
  $("f-outcome").value = r.outcome || "";
  $("f-office").value = r.office_id || "";
  recordFinal = !r.draft;
  touched = touched || r.draft;
  lockRecord();
  setRecordStatus(r.draft ? `草稿已保存 ${when(r.updated_at)}` : `已提交 ${when(r.submitted_at)}`);
}
function lockRecord() { for (const e of $("record").elements) e.disabled = recordFinal; }

/** Someone is writing this record now: a field of the form has the focus, and they wrote in it. */
function typing() {
  return !!recordId && !recordFinal && touched && $("record").contains(document.activeElement);
}

/** The form holds another call's record than the call panel's: say so (keystrokes stay with it). */
function holdRecord(text, button = "保存草稿，记录新来电") {
  $("hold-text").textContent = text || `新来电已接入。下方表单仍是上一通来电（${recordCaller}）的记录，输入的内容只保存到该来电的草稿；保存后再记录新来电。`;
  $("btn-hold-next").textContent = button;
  show($("record-hold"), true);
}

/** Give the form to call `id` (`pop`: its screen pop, when not the call panel's): the record it
 * held is saved first (a draft, unless submitted) and stays in 我的未提交记录. */
async function bindRecord(id, pop = null) {
  const old = recordId;
  const form = $("record");
  if (old && old !== id && !recordFinal && touched) {
    if (dirty || draftTimer) { clearTimeout(draftTimer); await saveDraft(); }
    notice(`来电（${recordCaller}）的记录尚未提交，已保存为草稿，可在“我的未提交记录”中继续填写。`);
  }
  if (form.contains(document.activeElement)) document.activeElement.blur(); // no keystroke may follow into the new record
  recordId = id;
  recordCaller = "";
  recordFinal = false;
  dirty = false;
  touched = false;
  form.reset();
  lockRecord();
  setRecordStatus("");
  clearErrors();
  $("record-for").textContent = "";
  show($("record-hold"), false);
  resetCitationCheck();
  confirmedText = null;
  const p = pop || (id === callId ? lastPop : null);
  if (p) prefillRecord(p);
  if (callId && id !== callId) holdRecord(`下方表单是来电（${recordCaller}）的未提交记录，不是当前来电的；输入的内容只保存到该来电。`, "保存草稿，记录当前来电");
  loadDrafts();
}

/** 我的未提交记录: this seat's drafts but the one in the form, each to reopen and finish. */
async function loadDrafts() {
  let list;
  try { list = (await api("/api/seat/records/unsubmitted")).records; } catch { return; }
  const others = list.filter((r) => r.call_id !== recordId);
  $("drafts").replaceChildren(...others.map((r) => {
    const li = el("li", `${when(r.updated_at)} · 来电 ${r.caller}：${r.question || "（未填写问题摘要）"}`);
    const b = el("button", "继续填写", { type: "button", "aria-label": `继续填写来电 ${r.caller} 的记录` });
    b.addEventListener("click", () => reopenRecord(r.call_id));
    li.append(b);
    return li;
  }));
  show($("drafts-box"), others.length > 0);
}

async function reopenRecord(id) {
  try { await bindRecord(id, await api(`/api/seat/calls/${encodeURIComponent(id)}/screenpop`)); }
  catch (err) { notice(err.message); }
}
$("btn-hold-next").addEventListener("click", () => bindRecord(callId));
function setRecordStatus(t) { $("record-status").textContent = t; }
function clearErrors() {
  for (const k of FIELDS) { $("e-" + k).textContent = ""; $("record").elements[k].removeAttribute("aria-invalid"); }
}
function showErrors(err) {
  clearErrors();
  const fields = (err.body && err.body.fields) || {};
  let first = null;
  for (const [k, msg] of Object.entries(fields)) {
    const input = $("record").elements[k];
    if (!input) continue;
    $("e-" + k).textContent = msg;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "e-" + k);
    first = first || input;
  }
  return first;
}

let draftTimer = null;
let saving = Promise.resolve();
function scheduleDraft() {
  if (!recordId || recordFinal) return;
  dirty = true;
  touched = true;
  setRecordStatus("正在输入…");
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveDraft, 600);
}
function saveDraft() {
  draftTimer = null;
  const id = recordId;
  const body = JSON.stringify(formData());
  dirty = false;
  saving = saving.then(async () => {
    try {
      const r = await api(`/api/seat/calls/${encodeURIComponent(id)}/record`, { method: "PUT", body });
      if (id === recordId) { clearErrors(); setRecordStatus(`草稿已保存 ${when(r.updated_at)}`); }
    } catch (err) {
      if (id === recordId) { dirty = true; showErrors(err); setRecordStatus("草稿未保存：" + err.message); }
      else notice(`上一通来电的草稿未能保存：${err.message}`);
    }
  });
  return saving;
}
$("record").addEventListener("input", () => { scheduleDraft(); refreshKnowledge(); scheduleCitationCheck(); });

// --- knowledge (知识库): what the suggestions are asked for, and 引用 into 解答意见 ----------------

/** The text the suggestions are found for (`record`: only the record's, for the citation check). */
function knowledgeText(o = {}) {
  const mine = recordId === callId || o.record ? `${$("f-question").value}\n${$("f-advice").value}` : "";
  if (o.record) return mine;
  const said = [...segments.values()].filter((li) => li.dataset.final === "true").map((li) => li.lastChild.textContent);
  return `${mine}\n${said.join(" ").slice(-600)}`.trim();
}

/** 引用: the article's citation goes into 解答意见 where the cursor is (at the end otherwise). */
function cite(citation) {
  if (!recordId || recordFinal) return;
  const box = $("f-advice");
  const at = document.activeElement === box ? box.selectionStart : box.value.length;
  box.value = box.value.slice(0, at) + citation + box.value.slice(at);
  box.focus();
  box.setSelectionRange(at + citation.length, at + citation.length);
  scheduleDraft();
  scheduleCitationCheck();
}
let confirmedText = null; // the record text submitted in spite of the citation check's problems
$("record").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!recordId || recordFinal) return;
  clearTimeout(draftTimer); draftTimer = null;
  // 引用核对: problems are shown first; a second 提交记录 of the same text submits as it is.
  const recordText = knowledgeText({ record: true });
  if (await checkCitations() && confirmedText !== recordText) {
    confirmedText = recordText;
    setRecordStatus("引用核对发现问题，请核对上方所列引用；确认无误可再次点击“提交记录”提交");
    return;
  }
  await saving;
  const id = recordId;
  try {
    const r = await api(`/api/seat/calls/${encodeURIComponent(id)}/record/submit`, { method: "POST", body: JSON.stringify(formData()) });
    if (id !== recordId) return;
    clearErrors();
    dirty = false;
    fillRecord(r);
    if (callId && callId !== id) await bindRecord(callId); // the held record is done: on to the current call
    else loadDrafts();
  } catch (err) {
    const first = showErrors(err);
    setRecordStatus("提交失败：" + err.message);
    if (first) first.focus();
  }
});

// --- address lookup ------------------------------------------------------------------------------

$("address-search").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = $("address-q").value.trim();
  const ul = $("address-results");
  if (!q) return;
  try {
    const body = await api(`/api/seat/address?q=${encodeURIComponent(q)}`);
    if (!body.candidates.length) { ul.replaceChildren(el("li", "未找到匹配的服务点")); return; }
    ul.replaceChildren(...body.candidates.map((c) => {
      const li = el("li", `${c.office_name}（${c.district_name}，${c.office_address || "地址未登记"}，${c.opening_hours}）`);
      const b = el("button", "选用", { type: "button", "aria-label": `选用 ${c.office_name}` });
      b.addEventListener("click", () => { $("f-office").value = c.office_id; if (!$("f-outcome").value) $("f-outcome").value = "referred_to_office"; scheduleDraft(); });
      li.append(b);
      return li;
    }));
  } catch (err) { ul.replaceChildren(el("li", err.message)); }
});

// --- transfer and hang-up ------------------------------------------------------------------------

let targets = null;
const seatItem = (s) => ({ code: s.id, label: `${s.expert ? "专家 · " : ""}${s.name}（${s.status_label}）`, disabled: !s.available });
/** The seat targets in groups: the expert seats (专家坐席) apart, led by 任一空闲专家, then the others. */
function seatGroups() {
  const experts = targets.seats.filter((s) => s.expert);
  const others = targets.seats.filter((s) => !s.expert).map(seatItem);
  if (!experts.length) return [{ label: null, items: others }];
  const free = experts.filter((s) => s.available).length;
  const any = { code: targets.any_expert.code, label: `${targets.any_expert.label}（${free ? `${free} 位空闲` : "暂无空闲"}）`, disabled: !free };
  return [{ label: "专家坐席", items: [any, ...experts.map(seatItem)] }, { label: "其他坐席", items: others }];
}
async function fillTargets() {
  const kind = new FormData($("transfer-form")).get("kind");
  const sel = $("transfer-target");
  const groups = kind === "seat" ? seatGroups()
    : [{ label: null, items: kind === "queue" ? targets.queues.map((q) => ({ code: q.name, label: q.label }))
      : targets.external.map((x) => ({ code: x.code, label: x.label })) }];
  const option = (i) => { const o = el("option", i.label, { value: i.code }); o.disabled = !!i.disabled; return o; };
  sel.replaceChildren(...groups.filter((g) => g.items.length).flatMap((g) => {
    if (g.label === null) return g.items.map(option);
    const group = el("optgroup", null, { label: g.label }); group.append(...g.items.map(option));
    return [group];
  }));
  sel.selectedIndex = [...sel.options].findIndex((o) => !o.disabled);
}
/** How the consultation / third-party notes name the party dialled (the expert the server picked too). */
function dialledLabel(sent, sel) {
  const seat = targets.seats.find((s) => s.id === sent.target);
  if (seat) return seat.expert ? `专家 ${seat.name}` : seat.name;
  return sel.options[sel.selectedIndex]?.textContent || sent.target;
}
// 预约回拨: a callback time agreed with the caller (China time); the order becomes this seat's.
function nextWorkingMorning() {
  const d = new Date(Date.now() + clockSkew + 8 * 3600 * 1000); // China wall time, read as UTC
  d.setUTCDate(d.getUTCDate() + (d.getUTCDay() === 5 ? 3 : d.getUTCDay() === 6 ? 2 : 1));
  return `${d.toISOString().slice(0, 10)}T10:00`;
}
$("btn-appointment").addEventListener("click", () => {
  $("appointment-error").textContent = "";
  $("appointment-form").reset();
  $("appointment-at").value = nextWorkingMorning();
  $("appointment-dialog").showModal();
});
$("appointment-cancel").addEventListener("click", () => $("appointment-dialog").close());
$("appointment-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const at = $("appointment-at").value;
  if (!at) { $("appointment-error").textContent = "请选择回拨时间"; return; }
  try {
    const o = await send("/api/orders/appointments", { call_id: callId, at: `${at}:00+08:00`, note: $("appointment-note").value });
    $("appointment-dialog").close();
    notice(`已预约 ${o.scheduled_local} 回拨，工单 ${o.order_no}`);
    if (lastPop) openCall(callId);
  } catch (err) { $("appointment-error").textContent = err.message; }
});
const TARGET_DIALOGS = {
  transfer: ["转接来电", "确认转接"],
  consult: ["咨询转接（先与对方通话，来电人等待）", "开始咨询"],
  conference: ["三方通话：邀请第三方", "发起三方通话"],
};
async function openTargets(mode) {
  try { targets = await api("/api/seat/transfer-targets"); } catch (err) { notice(err.message); return; }
  dialogMode = mode;
  // 咨询转接 and 三方通话 reach a seat (an expert seat, or 任一空闲专家) or an outside line, not a queue.
  const noQueue = mode !== "transfer";
  show($("kind-queue"), !noQueue);
  const queueKind = document.querySelector('#transfer-form input[name="kind"][value="queue"]');
  queueKind.disabled = noQueue;
  if (noQueue && queueKind.checked) document.querySelector('#transfer-form input[name="kind"][value="seat"]').checked = true;
  [$("transfer-title").textContent, $("transfer-ok").textContent] = TARGET_DIALOGS[mode];
  $("transfer-error").textContent = "";
  await fillTargets();
  $("transfer-dialog").showModal();
}
$("btn-transfer").addEventListener("click", () => openTargets("transfer"));
$("btn-consult").addEventListener("click", () => openTargets("consult"));
$("btn-conference").addEventListener("click", () => openTargets("conference"));
for (const r of document.querySelectorAll('#transfer-form input[name="kind"]')) r.addEventListener("change", fillTargets);
$("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
$("transfer-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  if (!f.get("target")) { $("transfer-error").textContent = dialogMode === "conference" ? "请选择第三方" : "请选择转接目标"; return; }
  if (dialogMode === "consult" || dialogMode === "conference") {
    try {
      const sent = await send(`/api/seat/calls/${encodeURIComponent(callId)}/${dialogMode}`, { kind: f.get("kind"), target: f.get("target") });
      const label = dialledLabel(sent, $("transfer-target"));
      $("transfer-dialog").close();
      if (dialogMode === "consult") consulting = label; else third = label;
    } catch (err) { $("transfer-error").textContent = err.message; }
    updateCallButtons();
    return;
  }
  try {
    await send(`/api/seat/calls/${encodeURIComponent(callId)}/transfer`, { kind: f.get("kind"), target: f.get("target") });
    $("transfer-dialog").close();
    // The transfer's own event may have come first (the call is no longer this seat's): keep its label.
    if (callLive) $("call-status").textContent = "转接中…";
    if (recordId === callId && !$("f-outcome").value) { $("f-outcome").value = "transferred"; scheduleDraft(); }
  } catch (err) { $("transfer-error").textContent = err.message; }
});
// 完成转接: this seat leaves, the caller talks with the consulted party; 取消转接: back to the caller.
$("btn-consult-complete").addEventListener("click", async () => {
  try {
    await api(`/api/seat/calls/${encodeURIComponent(callId)}/consult/complete`, { method: "POST" });
    if (callLive) $("call-status").textContent = "转接中…";
    if (recordId === callId && !$("f-outcome").value) { $("f-outcome").value = "transferred"; scheduleDraft(); }
  } catch (err) { notice(err.message); }
});
/** POST `body` to the shown call's `path`; `done()` once the server took it. The buttons follow either way. */
async function onCall(path, body, done) {
  try {
    await send(`/api/seat/calls/${encodeURIComponent(callId)}/${path}`, body);
    done();
  } catch (err) { notice(err.message); }
  updateCallButtons();
}
$("btn-consult-cancel").addEventListener("click", () => onCall("consult/cancel", {}, () => { consulting = null; }));
// 静音: the caller stops hearing this seat (the seat still hears the caller) until unmuted.
$("btn-mute").addEventListener("click", () => { const on = !muted; onCall("mute", { on }, () => { muted = on; }); });
// 保持 / 恢复: neither side hears the other until resumed.
$("btn-hold").addEventListener("click", () => { const on = !held; onCall("hold", { on }, () => { held = on; }); });
/** 三方通话: the third party barged in, or left (it hung up, or 移出第三方): the buttons follow. */
function applyThirdParty(joined, d) {
  if (d.call_id !== callId || !callLive) return;
  const who = third || d.party;
  third = joined ? who : "";
  notice(joined ? `第三方已加入：${who}` : `第三方已离开：${who}`);
  updateCallButtons();
}
// 移出第三方: the third party is hung up; the caller and this seat talk on.
$("btn-drop-third").addEventListener("click", () => onCall("conference/drop", {}, () => { third = ""; }));
$("btn-hangup").addEventListener("click", async () => {
  if (!confirm("确认挂断当前通话？")) return;
  try { await api(`/api/seat/calls/${encodeURIComponent(callId)}/hangup`, { method: "POST" }); } catch (err) { notice(err.message); }
});

// --- status buttons ------------------------------------------------------------------------------

$("btn-login").addEventListener("click", () => act("/api/seat/login"));
$("btn-logout").addEventListener("click", () => act("/api/seat/logout"));
$("btn-pause").addEventListener("click", () => act("/api/seat/pause", { reason: $("pause-reason").value }));
$("btn-resume").addEventListener("click", () => act("/api/seat/resume"));
$("btn-wrapup-done").addEventListener("click", () => act("/api/seat/wrapup-done"));
$("btn-wrapup-extend").addEventListener("click", () => extendWrapUp());

// --- 今日个人数据 ------------------------------------------------------------------------------------
// Read once from /api/seat/today (after a reconnect and at midnight again); then each of this
// seat's calls that ends and each rating it gets is applied from the push, as the server counts it:
// an answered call of this seat (it answered first, or holds it at the end), inbound or callback.

let today = null;
let todaySeen = chinaToday();
const myCalls = new Set(); // calls this seat answered in this page's life

async function loadToday() {
  try { today = await api("/api/seat/today"); } catch { return; }
  todaySeen = chinaToday();
  renderToday();
}

function renderToday() {
  const t = today;
  $("today-answered").textContent = `${t.answered} 通`;
  $("today-talk").textContent = secs(t.talk_seconds);
  $("today-average").textContent = t.timed_calls ? secs(t.talk_seconds / t.timed_calls) : "—";
  $("today-callbacks").textContent = `${t.callbacks} 次`;
  $("today-satisfaction").textContent = t.survey_answers
    ? `${pct(t.satisfied / t.survey_answers)}（满意 ${t.satisfied} / 评价 ${t.survey_answers}）`
    : "暂无评价";
}

// The seat's own recent calls (the server lists only this seat's) with their recordings (录音).
async function loadMyCalls() {
  let body;
  try { body = await api("/api/calls/recent?limit=10"); } catch { return; }
  $("my-calls-rows").replaceChildren(...body.calls.map((c) => {
    const tr = el("tr", null, { "data-call": c.id });
    for (const v of [when(c.offered_at), c.caller, c.status_label, secs(c.talk_seconds)]) tr.append(el("td", v));
    tr.append(recordingCell(c.id, c.talk_seconds != null));
    return tr;
  }));
}
const loadMyCallsSoon = debounce(() => loadMyCalls(), 1500);

function applyCallEnded(d) {
  if (!today || !d.answered || (d.seat_id !== me.seat_id && !myCalls.has(d.call_id))) return;
  myCalls.delete(d.call_id);
  if (d.direction === "callback") today.callbacks += 1;
  else {
    today.answered += 1;
    if (d.talk_seconds != null) { today.talk_seconds += d.talk_seconds; today.timed_calls += 1; }
  }
  renderToday();
}

function applyRating(d) {
  if (!today || d.seat_id !== me.seat_id) return;
  today.survey_answers += 1;
  if (d.rating === "satisfied") today.satisfied += 1;
  renderToday();
}

// --- keyboard shortcuts (快捷键) ---------------------------------------------------------------------
// Alt combinations act anywhere (a Chinese IME does not use them); "?" only outside a field, so
// typing is never taken for a command. A shortcut does what its button does, and only when the
// button may be pressed: a disabled or hidden action stays so.

function press(id) {
  const b = $(id);
  if (b.disabled || b.closest("[hidden]")) return false;
  b.click();
  return true;
}

function saveDraftNow() {
  if (!recordId || recordFinal) return;
  clearTimeout(draftTimer);
  touched = true;
  setRecordStatus("正在保存草稿…");
  saveDraft();
}

function toggleShortcuts() {
  const d = $("shortcuts-dialog");
  if (d.open) d.close(); else d.showModal();
}

const SHORTCUTS = [
  { keys: "Alt+1", code: "Digit1", label: "签入 / 示闲", run: () => press("btn-login") || press("btn-resume") },
  { keys: "Alt+2", code: "Digit2", label: "示忙（按所选示忙原因）", run: () => press("btn-pause") },
  { keys: "Alt+3", code: "Digit3", label: "话后整理完毕", run: () => press("btn-wrapup-done") },
  { keys: "Alt+4", code: "Digit4", label: "延长话后整理", run: () => press("btn-wrapup-extend") },
  { keys: "Alt+S", code: "KeyS", label: "保存咨询记录草稿", run: saveDraftNow },
  { keys: "Alt+Enter", code: "Enter", label: "提交咨询记录", run: () => press("btn-submit") },
  { keys: "Alt+M", code: "KeyM", label: "静音 / 取消静音", run: () => press("btn-mute") },
  { keys: "Alt+B", code: "KeyB", label: "保持 / 恢复通话", run: () => press("btn-hold") },
  { keys: "Alt+K", code: "KeyK", label: "三方通话（邀请第三方）", run: () => press("btn-conference") },
  { keys: "Alt+T", code: "KeyT", label: "转接当前通话", run: () => press("btn-transfer") },
  { keys: "Alt+C", code: "KeyC", label: "咨询转接（先与对方通话）", run: () => press("btn-consult") },
  { keys: "Alt+H", code: "KeyH", label: "挂机（需确认）", run: () => press("btn-hangup") },
  { keys: "?", key: "?", label: "显示 / 关闭本快捷键列表（输入框外）", run: toggleShortcuts },
];

$("shortcuts-list").replaceChildren(...SHORTCUTS.map((k) => { const tr = el("tr"); tr.append(el("td", k.keys), el("td", k.label)); return tr; }));
$("btn-shortcuts").addEventListener("click", toggleShortcuts);
$("shortcuts-close").addEventListener("click", () => $("shortcuts-dialog").close());

document.addEventListener("keydown", (e) => {
  if (e.isComposing || e.keyCode === 229 || e.ctrlKey || e.metaKey || !state) return;
  if ($("transfer-dialog").open) return; // the transfer dialog has the keyboard
  const inField = e.target instanceof Element && !!e.target.closest("input, textarea, select, [contenteditable]");
  const hit = SHORTCUTS.find((k) => (k.code ? e.altKey && e.code === k.code : !e.altKey && !inField && e.key === k.key));
  if (!hit) return;
  e.preventDefault();
  hit.run();
});

// --- live events ---------------------------------------------------------------------------------

const reloadSoon = debounce(() => loadState().catch(() => {}), 150);

function onEvent(ev) {
  const d = ev.data || {};
  switch (ev.type) {
    case "SeatStateChanged":
      if (d.seat_id !== me.seat_id) break;
      // A callback's seat leg answered brings no CallAnswered: the seat's own state says it.
      if (d.status === "talking" && d.call_id && d.call_id === callId) $("call-status").textContent = labels.call_status.talking || "";
      applySeatState(d);
      break;
    case "SeatRinging":
      if (d.seat_id === me.seat_id) openCall(d.call_id);
      break;
    case "SeatSteered": // a supervisor paused, readied, logged out or moved this seat: who and why
      if (d.seat_id === me.seat_id) { $("steered").textContent = `${when(d.at)} ${d.notice}`; show($("steered"), true); }
      break;
    case "TranscriptSegment":
      if (d.call_id === callId) addSegment(d);
      break;
    case "PostCallTranscriptReady": // the recording's transcript is stored: show it if the call is open
      if (d.call_id === callId) loadTranscript(callId);
      break;
    case "CallEnded": case "CallTransferred":
      if (ev.type === "CallEnded") { applyCallEnded(d); loadMyCallsSoon(); }
      // A consultation that ended without a transfer (the target hung up, or it was cancelled).
      if (d.call_id === callId && d.kind === "attended" && d.status === "failed") { consulting = null; updateCallButtons(); }
      if (d.call_id === callId && !(ev.type === "CallTransferred" && d.status === "failed")) { callLive = false; updateCallButtons(); $("call-status").textContent = labels.call_status[ev.type === "CallEnded" ? "ended" : "transferred"] || ""; }
      break;
    case "ThirdPartyJoined": case "ThirdPartyLeft":
      applyThirdParty(ev.type === "ThirdPartyJoined", d);
      break;
    case "CallTakenOver": // 班长接管: the caller now talks with the supervisor; this seat is out of it
      if (d.seat_id === me.seat_id && d.call_id === callId) {
        callLive = false; updateCallButtons();
        $("call-status").textContent = "班长已接管该通话";
        notice(`${when(d.at)} 班长已接管本通话，您已退出通话；请照常填写通话记录。`);
      }
      break;
    case "CallAnswered":
      if (d.seat_id === me.seat_id) myCalls.add(d.call_id);
      if (d.call_id === callId) $("call-status").textContent = labels.call_status.talking || "";
      break;
    case "SurveyAnswered":
      applyRating(d);
      break;
    case "WorkOrderSlaWarning":
      if (d.seat_id === me.seat_id) notice(`工单 ${d.order_no} 已到约定回拨时间或即将超时（时限 ${when(d.deadline)}），请及时回拨。`);
      break;
    case "ComponentStatusChanged":
      loadAsrStatus();
      break;
    case "SeatJoinedQueue": case "SeatLeftQueue":
      if (d.seat_id === me.seat_id) reloadSoon(); // the queue's label comes with the state
      break;
  }
}

async function resync() {
  loadAsrStatus();
  loadToday();
  loadMyCalls();
  await loadState();
  if (callId) await openCall(callId);
}

async function start() {
  me = await whoAmI();
  if (!me) { location.replace("/"); return; }
  const badge = renderNav(me, { live: me.role === "seat" });
  if (me.role !== "seat") {
    notice("坐席工作台仅供坐席账号使用。");
    $("workspace").hidden = true; $("statusbar").hidden = true;
    return;
  }
  labels = await fetchLabels();
  initKnowledge({ callId: () => callId, text: knowledgeText, cite, editable: () => !!recordId && !recordFinal });
  loadAsrStatus();
  await loadState();
  loadDrafts();
  await loadToday();
  loadMyCalls();
  mountTranscriptSearch($("transcript-search"));
  live({ onEvent, resync, badge, feed: "seat" });
}
start();
