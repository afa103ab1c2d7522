// 报表归档 and 打印版报表 on the supervisor page: the archived workbooks this user may read (download
// links), and the link to the printable report of the period chosen in the report controls.
import { api } from "./lib/api.js";
import { $, el, chinaDateTime } from "./lib/dom.js";

function printableHref() {
  const q = new URLSearchParams({ period: $("r-period").value });
  if ($("r-date").value) q.set("date", $("r-date").value);
  return `/report?${q}`;
}

function size(bytes) { return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`; }

export async function loadArchive() {
  const box = $("report-archive");
  const list = $("ra-files");
  let r;
  try { r = await api("/api/supervisor/report-archive"); } catch { return; } // not a supervisor: stays hidden
  box.hidden = false;
  if (!r.kept) { $("ra-note").textContent = "未设置报表归档目录（HOTLINE_REPORTS__ARCHIVE_DIR），不自动归档。"; list.replaceChildren(); return; }
  $("ra-note").textContent = r.files.length ? `共 ${r.files.length} 份（每日零点后自动归档前一日的日报，周日归档周报，月末归档月报）` : "暂无归档报表（每日零点后自动归档前一日的报表）";
  list.replaceChildren(...r.files.map((f) => {
    const tr = document.createElement("tr");
    const link = el("a", f.name, { href: f.url, download: f.name });
    const name = document.createElement("td"); name.append(link);
    tr.append(el("td", f.period_label), name, el("td", size(f.size)), el("td", chinaDateTime(f.modified)));
    return tr;
  }));
}

function wire() {
  const link = $("r-printable");
  if (link) {
    const update = () => { link.href = printableHref(); };
    for (const id of ["r-period", "r-date"]) $(id)?.addEventListener("change", update);
    link.addEventListener("click", update); // the date is set once the page has loaded
    update();
  }
  if ($("report-archive")) loadArchive();
}

wire();
