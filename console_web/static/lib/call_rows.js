// The recent calls of the event board (index.html), kept up to date from the pushed call events
// instead of re-reading GET /api/calls/recent after each one (issue 13).
//
// `foldCall` is the one fold of a pushed event into a row shaped as that API returns it
// (console_web.routes.CallOut): the same steps as the server's own projection of a call
// (core.call_view.project_call), for the fields a row has. The status label is the server's
// (GET /api/labels: each CallStatus's one label), and the caller is masked as the API masks it
// (core.privacy.mask_number), whatever the push carried. An event whose effect on the row the push
// does not say exactly (a reconciliation from Asterisk's records, a guessed end, a callback's
// citizen number) is not folded: the list is read again instead.
//
// `RecentCalls` holds the list: rows from a load, then each event folded in. A call it does not
// hold that an event names (other than a new call) means a load: one, whatever the number of such
// events. For a city-wide viewer (pushed every call from its offer), a call still missing from the
// two loads that followed is too old for the list, and its later events are let go; a scoped
// viewer's call may become theirs later (answered by one of their seats), so each event naming it
// means a load again. Events that arrive while a load is under way, and those of
// the few seconds before it (the database may lag the push), are folded again onto the loaded rows.

/** core.privacy.mask_number: 138****8000; fewer than 8 digits (an extension, 12345) as it is. */
export function maskNumber(number) {
  if (!number) return "";
  const digits = (number.match(/\d/g) || []).length;
  if (digits < 8) return number;
  return number.slice(0, 3) + "*".repeat(number.length - 7) + number.slice(-4);
}

/** The event types that open a call (a new row). */
export const OPENINGS = new Set(["CallOffered", "CallbackOriginated"]);
const FINAL = new Set(["abandoned", "timed_out", "transferred", "answered", "ended"]);

// What each event does to a row (`r`, a copy), as project_call does to the calls row: a change of
// fields, or RELOAD when the push does not say it exactly. `answered`: the row's call was
// answered (project_call reads `answered_at`, which the list does not carry; a seat is set only
// with it).
const RELOAD = "reload";
const answered = (r) => r.seat_id != null;
const STEPS = {
  CallOffered: () => ({}),
  CallbackOriginated: () => ({}),
  CallbackLegOutcome: (r, d) => (d.leg === "seat" && d.outcome === "answered" ? { status: "talking" } : {}),
  CallLegAnswered: (r, d) => (d.kind === "customer" && !r.caller && d.party ? RELOAD : {}),
  CallQueued: (r, d) => ({ status: "queued", queue: d.queue }),
  SeatRinging: (r, d) => ({ status: "ringing", queue: d.queue }),
  SeatRingNoAnswer: (r) => (r.status === "ringing" ? { status: "queued" } : {}),
  CallAnswered: (r, d) =>
    answered(r)
      ? { status: "talking" } // a later seat (after a transfer): the first answer stays
      : { status: "talking", seat_id: d.seat_id, queue: d.queue || r.queue, wait_seconds: d.wait_seconds },
  CallTransferred: (r, d) => (d.status === "failed" ? {} : { status: "transferred" }),
  CallTransferSettled: (r, d) =>
    d.status === "failed" && r.status === "transferred" ? { status: answered(r) ? "talking" : "ended" } : {},
  CallAbandoned: (r, d) => ({ status: "abandoned", queue: d.queue, wait_seconds: d.wait_seconds }),
  CallTimedOut: (r, d) => ({ status: "timed_out", queue: d.queue, wait_seconds: d.wait_seconds }),
  CallEnded: (r, d) =>
    d.inferred
      ? RELOAD // guessed at an AMI reconnect: the records may already have the real end
      : {
          status: FINAL.has(r.status) ? r.status : d.answered ? "answered" : "ended",
          talk_seconds: d.talk_seconds,
          seat_id: r.seat_id || d.seat_id || null,
          caller: r.caller || maskNumber(d.caller_number),
        },
  IvrRouted: (r, d) => ({
    category: d.category || r.category,
    district_code: d.district_code || r.district_code,
    queue: d.queue || r.queue,
  }),
  CallReconciled: () => RELOAD,
};

/** Whether events of this type change a row of the list. */
export const changesARow = (type) => Object.hasOwn(STEPS, type);

/** A new call's row from its opening event (`CallOffered`, `CallbackOriginated`). */
function opened(ev) {
  const d = ev.data;
  const callback = ev.type === "CallbackOriginated";
  return {
    id: d.call_id,
    caller: callback ? "" : maskNumber(d.caller_number),
    status: callback ? "ringing" : "in_ivr",
    queue: null,
    category: null,
    district_code: null,
    seat_id: callback ? d.seat_id || null : null,
    offered_at: d.at,
    wait_seconds: null,
    talk_seconds: null,
  };
}

/**
 * The row after `ev`. `row`: the call's row, or undefined when the list has none. `labels`: the
 * call statuses' labels by value (GET /api/labels → call_status).
 * Returns `{ row }` (the same object when nothing changed), `{ reload: true }` when the event cannot
 * be folded (a call the list does not hold, other than a new one; a change the push does not say
 * exactly; a status without a label), or null for an event that changes no row.
 */
export function foldCall(row, ev, labels) {
  const step = STEPS[ev.type];
  if (!step) return null;
  if (row === undefined) {
    if (!OPENINGS.has(ev.type)) return { reload: true };
    row = opened(ev);
    const status_label = labels[row.status];
    return status_label ? { row: { ...row, status_label } } : { reload: true };
  }
  const change = step(row, ev.data);
  if (change === RELOAD) return { reload: true };
  const next = { ...row, ...change };
  if (Object.keys(next).every((k) => next[k] === row[k])) return { row };
  next.status_label = labels[next.status];
  return next.status_label ? { row: next } : { reload: true };
}

/** The board's counters, counted from the very rows shown beside them (one source, one filter). */
export const COUNTERS = {
  offered: () => true,
  waiting: (c) => c.status === "queued" || c.status === "ringing",
  talking: (c) => c.status === "talking",
  answered: (c) => c.talk_seconds != null || ["talking", "answered", "transferred"].includes(c.status),
  abandoned: (c) => c.status === "abandoned" || c.status === "timed_out",
};

export function countCalls(calls) {
  return Object.fromEntries(Object.entries(COUNTERS).map(([k, test]) => [k, calls.filter(test).length]));
}

const byNewest = (a, b) => Date.parse(b.offered_at) - Date.parse(a.offered_at);
const GONE_KEPT = 5000;
// Loads (sent after the event) that must miss a call before its events are let go: one more than
// needed, in case the first read the database before the call's row was written.
const MISSES = 2;
const LOG_KEPT = 5000;

export class RecentCalls {
  /**
   * `limit`: the rows kept (the API's `limit`); `citywide`: the viewer sees every call (GET
   * /api/me); `replayMs`: how far before a load's request the events are folded again onto its
   * rows; `now`: the clock (ms).
   */
  constructor({ limit = 20, citywide = false, replayMs = 5000, now = () => Date.now() } = {}) {
    this.limit = limit;
    this.citywide = citywide;
    this.replayMs = replayMs;
    this.now = now;
    this.labels = null;
    this.rows = new Map(); // call id → row
    this.loaded = false;
    this.loads = new Set(); // the tokens (start times) of the loads under way
    this.log = []; // [{ at, ev }]: the row events of the last replayMs, and since the oldest load
    this.missing = new Map(); // call id → when an event named it while the list did not hold it
    this.gone = new Map(); // call ids whose events are let go (off the list, or not the viewer's)
  }

  /** The rows, newest call first. */
  get calls() {
    return [...this.rows.values()].sort(byNewest);
  }

  setLabels(labels) {
    this.labels = labels;
  }

  /** A load's request is about to go: returns its token, for `load`. */
  begin() {
    const token = { at: this.now() };
    this.loads.add(token);
    return token;
  }

  /** The load's request failed: its token is forgotten. */
  abandon(token) {
    this.loads.delete(token);
  }

  /**
   * The rows the API returned for the load begun with `token`; the events since shortly before
   * are folded again on them. Returns `{ reload }`: whether another load is needed (an unknown
   * call was named after this load's request went).
   */
  load(token, calls) {
    this.loads.delete(token);
    this.rows = new Map(calls.map((c) => [c.id, c]));
    this.loaded = true;
    const since = token.at - this.replayMs;
    // An unknown call named after the request went may be in the next load (not yet in this one).
    for (const { at, ev } of this.log) if (at >= since) this._fold(ev, false, at >= token.at);
    this._trim();
    for (const [id, m] of this.missing) {
      if (this.rows.has(id)) this.missing.delete(id);
      else if (m.at < token.at && ++m.misses >= MISSES) {
        this.missing.delete(id);
        if (this.citywide) this._letGo(id); // else: its next event asks again
      }
    }
    this._prune();
    return { reload: this.missing.size > 0 };
  }

  /**
   * One pushed event. Returns `{ changed, reload }`: whether the rows changed, and whether the
   * list must be read again (the event could not be folded). Before the first load, events are
   * only kept (that load folds them).
   */
  apply(ev) {
    if (!changesARow(ev.type) || !ev.data || !ev.data.call_id) return { changed: false, reload: false };
    this.log.push({ at: this.now(), ev });
    this._prune();
    if (!this.loaded || !this.labels) return { changed: false, reload: false };
    const out = this._fold(ev, true, true);
    this._trim();
    return out;
  }

  // `live`: a new event (one that cannot be folded asks for a load), else one folded again after a
  // load (whose rows say what it could not fold); `noteMissing`: remember an unknown call it names.
  _fold(ev, live, noteMissing) {
    const id = ev.data.call_id;
    const row = this.rows.get(id);
    if (row === undefined && this.gone.has(id) && !OPENINGS.has(ev.type)) return { changed: false, reload: false };
    const out = foldCall(row, ev, this.labels);
    if (out === null) return { changed: false, reload: false };
    if (out.reload) {
      if (noteMissing && row === undefined && !this.missing.has(id)) this.missing.set(id, { at: this.now(), misses: 0 });
      return { changed: false, reload: live };
    }
    if (out.row === row) return { changed: false, reload: false };
    this.rows.set(id, out.row);
    return { changed: true, reload: false };
  }

  _trim() {
    if (this.rows.size <= this.limit) return;
    for (const c of this.calls.slice(this.limit)) {
      this.rows.delete(c.id);
      this._letGo(c.id);
    }
  }

  _letGo(id) {
    this.gone.delete(id);
    this.gone.set(id, true);
    if (this.gone.size > GONE_KEPT) this.gone.delete(this.gone.keys().next().value);
  }

  _prune() {
    let oldest = this.now();
    for (const t of this.loads) oldest = Math.min(oldest, t.at);
    const keepFrom = oldest - this.replayMs;
    let drop = 0;
    while (drop < this.log.length && (this.log[drop].at < keepFrom || this.log.length - drop > LOG_KEPT)) drop++;
    if (drop) this.log.splice(0, drop);
  }
}
