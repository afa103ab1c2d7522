// The one API client: same-origin fetch, the CSRF header on every write, JSON in and out, and
// errors as `ApiError` with a Chinese message (the server's own, else one by HTTP status).
let csrfToken = null;
let onUnauthorized = () => location.replace("/");

/** Remember the session (from /api/me or /api/login) so writes carry its CSRF token. */
export function setSession(me) { csrfToken = me ? me.csrf_token : null; }
/** What a 401 does on this page (default: back to the login page). */
export function whenUnauthorized(handler) { onUnauthorized = handler; }

const STATUS_TEXT = {
  400: "请求有误", 401: "请先登录", 403: "没有权限执行此操作", 404: "未找到", 409: "状态已变化，请刷新后重试",
  413: "内容过大", 415: "格式不受支持", 422: "填写的内容有误", 429: "操作过于频繁，请稍后再试",
};

export class ApiError extends Error {
  constructor(message, status, body) { super(message); this.name = "ApiError"; this.status = status; this.body = body; }
}

export function errorText(status) {
  return STATUS_TEXT[status] || (status >= 500 ? "服务器出错，请稍后再试" : `请求失败（${status}）`);
}

/** fetch `path`; resolves to the JSON body, rejects with ApiError. */
export async function api(path, opts = {}) {
  const { quiet401 = false, ...options } = opts;
  const method = (options.method || "GET").toUpperCase();
  const headers = { ...(options.headers || {}) };
  if (typeof options.body === "string" && !headers["Content-Type"]) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let r;
  try {
    r = await fetch(path, { ...options, method, headers, credentials: "same-origin" });
  } catch {
    throw new ApiError("网络连接失败，请检查网络后重试", 0, {});
  }
  const body = await r.json().catch(() => ({}));
  if (r.status === 401 && !quiet401) onUnauthorized();
  if (!r.ok) {
    const msg = typeof body.message === "string" && body.message ? body.message : errorText(r.status);
    throw new ApiError(msg, r.status, body);
  }
  return body;
}

/** POST/PUT a JSON body. */
export function send(path, body, method = "POST") {
  return api(path, { method, body: JSON.stringify(body || {}) });
}

/** The signed-in user (and their CSRF token), or null when nobody is signed in. */
export async function whoAmI() {
  try { const me = await api("/api/me", { quiet401: true }); setSession(me); return me; }
  catch (e) { if (e.status === 401) return null; throw e; }
}

let labelsPromise = null;
/** Each state's one Chinese label, from GET /api/labels (fetched once per page). */
export function labels() {
  if (!labelsPromise) labelsPromise = api("/api/labels").catch((e) => { labelsPromise = null; throw e; });
  return labelsPromise;
}
