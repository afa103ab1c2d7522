// Call recordings (录音): a cell with a button that lists the call's recorded segments and plays
// each one in the page (<audio> with seeking: the server answers HTTP Range requests), with a
// download link. The server decides who may listen and audits every listen and download; a refusal
// or a missing file is shown in its own Chinese words. A cell is kept per call, so a table that is
// re-rendered (the live board) moves the same node and a recording playing in it goes on.
import { api } from "./api.js";
import { el, secs } from "./dom.js";

const cells = new Map();

export function recordingCell(callId, answered = true) {
  if (!answered) return el("td", "—");
  let td = cells.get(callId);
  if (td) return td;
  td = el("td", null, { class: "recordings", "data-call": callId });
  const open = el("button", "录音", { type: "button", "aria-label": "收听通话录音" });
  open.onclick = () => { open.disabled = true; showRecordings(td, callId); };
  td.append(open);
  cells.set(callId, td);
  return td;
}

// The same button in a node of its own, not kept per call (a search result beside the tables).
export function recordingBox(callId) {
  const box = el("div", null, { class: "recordings", "data-call": callId });
  const open = el("button", "录音", { type: "button", "aria-label": "收听通话录音" });
  open.onclick = () => { open.disabled = true; showRecordings(box, callId); };
  box.append(open);
  return box;
}

async function showRecordings(td, callId) {
  let body;
  try {
    body = await api(`/api/calls/${encodeURIComponent(callId)}/recordings`);
  } catch (e) {
    td.replaceChildren(el("span", e.message || "无法读取录音", { class: "errors" }));
    return;
  }
  if (!body.recordings.length) {
    td.replaceChildren(el("span", "本通电话没有录音", { class: "muted" }));
    return;
  }
  td.replaceChildren(...body.recordings.map(segment));
}

function segment(r) {
  const label = `第 ${r.segment} 段 · ${secs(r.seconds)}`;
  const box = el("div", null, { class: "recording", "data-segment": String(r.segment) });
  box.append(el("span", label, { class: "muted" }));
  if (!r.playable) {
    box.append(el("span", `录音${r.status_label}`, { class: "errors" }));
    return box;
  }
  const audio = el("audio", null, { controls: "", preload: "none", src: r.audio_url, "aria-label": `通话录音 ${label}` });
  audio.onerror = () => audio.replaceWith(el("span", "录音文件暂时无法读取，请联系管理员", { class: "errors" }));
  box.append(audio, el("a", "下载", { href: r.download_url, download: "" }));
  return box;
}
