// DOM helpers: text only (never innerHTML), so server data cannot inject markup.
export const $ = (id) => document.getElementById(id);

export function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text != null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
export function cells(tr, values) {
  for (const v of values) tr.append(el("td", v == null ? "" : v));
  return tr;
}
export function row(values) { return cells(document.createElement("tr"), values); }
export function show(node, on) { node.hidden = !on; }
/** The page's #denied banner, shown with `text` (why this user may not use the page, or what failed). */
export function deny(text) { const p = $("denied"); p.textContent = text; p.hidden = false; }

export const pct = (x) => (x == null ? "—" : `${(x * 100).toFixed(1)}%`);
export const secs = (x) => (x == null ? "—" : x >= 60 ? `${Math.floor(x / 60)}分${Math.round(x % 60)}秒` : `${Math.round(x)}秒`);
export function clock(sec) {
  sec = Math.max(0, Math.floor(sec));
  const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  const mm = String(m).padStart(2, "0"), ss = String(s).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
export const chinaTime = (iso) => new Date(iso).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
export const chinaDateTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "");
export const chinaToday = () => new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai" }).format(new Date());

/** Run `fn` at most once per `ms`, after the last call (for bursts of events). */
export function debounce(fn, ms) {
  let t = null;
  return () => { if (!t) t = setTimeout(() => { t = null; fn(); }, ms); };
}
