// The one live socket: /ws/events with reconnect and exponential backoff (with jitter). Missed
// events are never replayed, so after every reconnect and on StateResynced the page's `resync`
// runs (once, however many arrive together) and reloads what it shows; other events go to
// `onEvent`, which applies them in place. Close code 4401 (session ended) goes back to login.
// `feed` names the page's event types (console_web/feeds.py): the server sends only those; none:
// every event the viewer may see.
const SESSION_ENDED = 4401;

export function live({ onEvent = () => {}, resync = () => {}, badge = null, feed = null, onSessionEnded = () => location.replace("/") } = {}) {
  let backoff = 500;
  let pending = null;
  let opened = false;
  let ws = null;
  let stopped = false;

  function setBadge(on, textOn = "实时", textOff = "连接断开，重连中…") {
    if (!badge) return;
    badge.textContent = on ? textOn : textOff;
    badge.className = on ? "badge on" : "badge off";
  }
  function resyncOnce() {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      try { await resync(); } catch { /* the next event or reconnect tries again */ }
    }, 50);
  }
  function connect() {
    if (stopped) return;
    const query = feed ? `?feed=${encodeURIComponent(feed)}` : "";
    ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/events${query}`);
    ws.onopen = () => {
      backoff = 500;
      setBadge(true);
      if (opened) resyncOnce(); // events may have been missed while away
      opened = true;
    };
    ws.onmessage = (m) => {
      let message;
      try { message = JSON.parse(m.data); } catch { return; }
      // One event, or several in order as an array (the hub sends what waited together).
      for (const ev of Array.isArray(message) ? message : [message]) {
        if (!ev || ev.type === "hello") continue;
        if (ev.type === "StateResynced") { resyncOnce(); continue; }
        try { onEvent(ev); } catch (err) { console.error("处理推送事件出错", err); }
      }
    };
    ws.onclose = (e) => {
      if (e.code === SESSION_ENDED) { stopped = true; onSessionEnded(); return; }
      setBadge(false);
      if (stopped) return;
      const wait = backoff * (0.75 + Math.random() * 0.5);
      backoff = Math.min(backoff * 2, 10000);
      setTimeout(connect, wait);
    };
  }
  connect();
  return { resync: resyncOnce, stop() { stopped = true; if (ws) ws.close(); } };
}
