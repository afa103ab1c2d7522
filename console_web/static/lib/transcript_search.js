// 转写检索: a search box over the call transcripts (live lines and the post-call 录音转写). Several
// words separated by spaces must all occur in the call. The server lists only the calls this user
// may hear (as for their recordings), newest first, a page at a time; each hit shows its matching
// lines with the words marked (<mark>, built with textContent: a transcript is never HTML) and a
// button to play the call's recording. Errors are shown in the server's Chinese words.
import { api } from "./api.js";
import { el, secs, chinaDateTime as when } from "./dom.js";
import { recordingBox } from "./recordings.js";

const PAGE_SIZE = 10;
const INTRO = "检索通话转写（实时转写与通话后录音转写）：多个词语用空格分开，须全部出现；只列出您有权收听录音的通话，最新的在前。每次检索记入审计日志。";

/** Fill `section` (its <h2> already there): what the search does, the box, the hits and the pager. */
export function mountTranscriptSearch(section) {
  if (section.dataset.mounted) return;
  section.dataset.mounted = "1";
  const form = el("form", null, { class: "transcript-search", role: "search" });
  const input = el("input", null, {
    type: "search", name: "q", maxlength: "160", placeholder: "输入词语，多个词语用空格分开",
    "aria-label": "检索通话转写内容",
  });
  const go = el("button", "检索", { type: "submit" });
  form.append(input, go);
  const status = el("p", null, { class: "muted", role: "status" });
  const results = el("ol", null, { class: "transcript-hits" });
  const pager = el("div", null, { class: "pager" });
  const prev = el("button", "上一页", { type: "button" });
  const next = el("button", "下一页", { type: "button" });
  const pageLabel = el("span");
  pager.append(prev, pageLabel, next);
  pager.hidden = true;
  section.append(el("p", INTRO, { class: "muted" }), form, status, results, pager);

  let query = "";
  let page = 1;

  async function load() {
    status.textContent = "正在检索…";
    status.classList.remove("errors");
    let body;
    try {
      body = await api(`/api/transcripts/search?q=${encodeURIComponent(query)}&page=${page}&size=${PAGE_SIZE}`);
    } catch (e) {
      status.textContent = e.message || "检索失败";
      status.classList.add("errors");
      results.replaceChildren();
      pager.hidden = true;
      return;
    }
    results.replaceChildren(...body.hits.map(hitItem));
    status.textContent = body.hits.length || page > 1
      ? `检索“${body.words.join(" ")}”：第 ${body.page} 页`
      : `没有找到同时包含“${body.words.join("”“")}”的通话转写`;
    pageLabel.textContent = ` 第 ${body.page} 页 `;
    prev.disabled = body.page <= 1;
    next.disabled = !body.has_more;
    pager.hidden = !(body.page > 1 || body.has_more);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    query = input.value.trim();
    page = 1;
    load();
  });
  prev.onclick = () => { if (page > 1) { page -= 1; load(); } };
  next.onclick = () => { page += 1; load(); };
}

function hitItem(h) {
  const li = el("li", null, { class: "transcript-hit", "data-call": h.call_id });
  const head = el("div", null, { class: "hit-head" });
  head.append(el("span", `${when(h.offered_at)} · 来电 ${h.caller}${h.seat_id ? " · 坐席 " + h.seat_id : ""}`));
  li.append(head);
  for (const line of h.lines) {
    const p = el("p", null, { class: "hit-line" });
    p.append(el("span", `[${line.leg_label} ${secs(line.start_s)}] `, { class: "muted" }));
    for (const part of line.parts) p.append(part.hit ? el("mark", part.text) : document.createTextNode(part.text));
    li.append(p);
  }
  li.append(recordingBox(h.call_id));
  return li;
}
