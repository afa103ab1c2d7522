"""The AMI server of the simulator: Asterisk Manager Interface over TCP (asyncio streams).

Speaks the wire format of Asterisk 22 (`Key: Value\\r\\n` lines, a blank line ends a message):
banner `Asterisk Call Manager/<version>\\r\\n`; Login (a wrong secret gets `Response: Error`,
`Message: Authentication failed` and the connection is closed, as manager.c does); Logoff; Events;
Ping; QueueAdd / QueueRemove / QueuePause / QueueStatus; CoreShowChannels; Originate (of
`PJSIP/<endpoint>`, or of `Local/<exten>@asr-tap` with Application AudioSocket: the live-transcript
tap of pbx/sim/tap.py); Redirect; Setvar; Hangup. Anything else gets `Message: Invalid/unknown command`.
Events from `SimPbx` go to every logged-in session with events on, in the order they were produced; list responses (QueueParams,
QueueMember, QueueEntry, CoreShowChannel, ...) carry no Privilege/Timestamp, exactly like the
recorded traces.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable

from pbx.sim import atxfer
from pbx.sim.local_spy import is_local_spy, run_local_spy
from pbx.sim.model import STATE_DESC, Channel, Headers, SimPbx
from pbx.sim.tap import originate_tap, split_local

Action = dict[str, str]


def encode(headers: Headers) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode()


def _truthy(value: str) -> bool:
    # ast_true(): yes, true, y, t, 1, on
    return value.strip().lower() in {"yes", "true", "y", "t", "1", "on"}


class _Session:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.authenticated = False
        self.events = True

    def send(self, headers: Headers) -> None:
        if not self.writer.is_closing():
            self.writer.write(encode(headers))


class AmiServer:
    """Accepts AMI clients and executes their actions against a `SimPbx`."""

    def __init__(
        self,
        pbx: SimPbx,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        version: str = "9.0.0",
    ) -> None:
        self.pbx = pbx
        self.host, self.port = host, port
        self._username, self._secret = username, secret
        self._version = version
        self._sessions: set[_Session] = set()
        self._server: asyncio.base_events.Server | None = None
        self._conn_tasks: set[asyncio.Task[None]] = set()
        self.action_listeners: list[Callable[[Action], None]] = []
        self.login_listeners: list[Callable[[], None]] = []

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for s in list(self._sessions):
            s.writer.close()
        # Closing the transports ends each session's read loop (EOF); cancelling the tasks instead
        # would make asyncio's stream callback log the CancelledError.
        if self._conn_tasks:
            await asyncio.wait(list(self._conn_tasks), timeout=2.0)
        for t in list(self._conn_tasks):
            t.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    def drop_connections(self) -> int:
        """Close every client connection, as a network blip or an Asterisk restart would; the
        PBX keeps running, so calls go on while the clients are away. Returns how many."""
        sessions = list(self._sessions)
        for s in sessions:
            s.writer.close()
        return len(sessions)

    def broadcast(self, headers: Headers) -> None:
        for s in list(self._sessions):
            if s.authenticated and s.events:
                s.send(headers)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        session = _Session(writer)
        self._sessions.add(session)
        try:
            writer.write(f"Asterisk Call Manager/{self._version}\r\n".encode())
            while True:
                action = await self._read_action(reader)
                if action is None:
                    break
                keep = self._handle(session, action)
                await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._sessions.discard(session)
            if task is not None:
                self._conn_tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    @staticmethod
    async def _read_action(reader: asyncio.StreamReader) -> Action | None:
        action: Action = {}
        variables: list[str] = []
        while True:
            raw = await reader.readline()
            if not raw:
                return None
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line == "":
                if action or variables:
                    if variables:
                        action["variable"] = ",".join(variables)
                    return action
                continue
            key, sep, value = line.partition(":")
            if not sep:
                continue
            key, value = key.strip(), value.strip()
            if key.lower() == "variable":
                variables.append(value)
            else:
                # Header names are case-insensitive in manager.c (astman_get_header).
                action[key.lower()] = value

    # ------------------------------------------------------------------ dispatch
    def _handle(self, s: _Session, a: Action) -> bool:
        name = a.get("action", "").lower()
        aid = a.get("actionid")
        if name == "login":
            return self._login(s, a, aid)
        if name == "logoff":
            s.send(self._resp("Goodbye", aid, "Thanks for all the fish."))
            return False
        if not s.authenticated:
            s.send(self._resp("Error", aid, "Permission denied"))
            return True
        for listener in self.action_listeners:
            listener(a)
        handler = {
            "ping": self._ping,
            "events": self._events,
            "queueadd": self._queue_add,
            "queueremove": self._queue_remove,
            "queuepause": self._queue_pause,
            "queuestatus": self._queue_status,
            "coreshowchannels": self._core_show_channels,
            "originate": self._originate,
            "redirect": self._redirect,
            "setvar": self._setvar,
            "hangup": self._hangup,
            "muteaudio": self._mute_audio,
            "atxfer": self._atxfer,
            "cancelatxfer": self._cancel_atxfer,
            "bridge": self._bridge,
        }.get(name)
        if handler is None:
            s.send(self._resp("Error", aid, "Invalid/unknown command"))
            return True
        handler(s, a, aid)
        return True

    @staticmethod
    def _resp(kind: str, aid: str | None, message: str | None = None, *extra: tuple[str, str]) -> Headers:
        h: Headers = [("Response", kind)]
        if aid is not None:
            h.append(("ActionID", aid))
        if message is not None:
            h.append(("Message", message))
        h.extend(extra)
        return h

    def _login(self, s: _Session, a: Action, aid: str | None) -> bool:
        if a.get("username") != self._username or a.get("secret") != self._secret:
            s.send(self._resp("Error", aid, "Authentication failed"))
            return False
        s.authenticated = True
        if "events" in a:
            s.events = a["events"].lower() != "off"
        s.send(self._resp("Success", aid, "Authentication accepted"))
        if s.events:
            s.send(
                [
                    ("Event", "FullyBooted"),
                    ("Privilege", "system,all"),
                    ("Timestamp", f"{self.pbx.now():.6f}"),
                    ("Status", "Fully Booted"),
                    ("Uptime", "1"),
                    ("LastReload", "1"),
                ]
            )
        for listener in self.login_listeners:
            listener()
        return True

    def _ping(self, s: _Session, a: Action, aid: str | None) -> None:
        s.send(self._resp("Success", aid, None, ("Ping", "Pong"), ("Timestamp", f"{self.pbx.now():.6f}")))

    def _events(self, s: _Session, a: Action, aid: str | None) -> None:
        mask = a.get("eventmask", "on").lower()
        s.events = mask not in {"off", "no", "false", "0"}
        s.send(self._resp("Success", aid, None, ("Events", "On" if s.events else "Off")))

    def _queue_add(self, s: _Session, a: Action, aid: str | None) -> None:
        queue, iface = a.get("queue", ""), a.get("interface", "")
        if not queue or not iface:
            s.send(self._resp("Error", aid, "'Queue' and 'Interface' not specified."))
            return
        q = self.pbx.queues.get(queue)
        if q is None:
            s.send(self._resp("Error", aid, "Unable to add interface to queue: No such queue"))
            return
        if q.member(iface) is not None:
            s.send(self._resp("Error", aid, "Unable to add interface: Already there"))
            return
        s.send(self._resp("Success", aid, "Added interface to queue"))
        m = self.pbx.add_member(
            queue,
            iface,
            a.get("membername") or iface,
            a.get("stateinterface") or iface,
            int(a.get("penalty") or 0),
        )
        if _truthy(a.get("paused", "")):
            self.pbx.pause_member(q, m, True, a.get("reason", ""))

    def _queue_remove(self, s: _Session, a: Action, aid: str | None) -> None:
        q = self.pbx.queues.get(a.get("queue", ""))
        if q is None:
            s.send(self._resp("Error", aid, "Unable to remove interface from queue: No such queue"))
            return
        if q.member(a.get("interface", "")) is None:
            s.send(self._resp("Error", aid, "Unable to remove interface: Not there"))
            return
        s.send(self._resp("Success", aid, "Removed interface from queue"))
        self.pbx.remove_member(q.config.name, a.get("interface", ""))

    def _queue_pause(self, s: _Session, a: Action, aid: str | None) -> None:
        iface = a.get("interface", "")
        if not iface or "paused" not in a:
            s.send(self._resp("Error", aid, "Need 'Interface' and 'Paused' parameters."))
            return
        paused = _truthy(a["paused"])
        names = [a["queue"]] if a.get("queue") else list(self.pbx.queues)
        targets = [
            (q, m)
            for n in names
            if (q := self.pbx.queues.get(n)) is not None and (m := q.member(iface)) is not None
        ]
        if not targets:
            s.send(self._resp("Error", aid, "Interface not found"))
            return
        s.send(
            self._resp(
                "Success",
                aid,
                "Interface paused successfully" if paused else "Interface unpaused successfully",
            )
        )
        if not a.get("queue") and not self.pbx.muted:
            # app_queue logs PAUSEALL / UNPAUSEALL before each queue's PAUSE (queue_log trace).
            self.pbx.records.paused_all(self.pbx.now(), targets[0][1].name, paused, a.get("reason", ""))
        for q, m in targets:
            self.pbx.pause_member(q, m, paused, a.get("reason", ""))

    def _queue_status(self, s: _Session, a: Action, aid: str | None) -> None:
        extra = [("ActionID", aid)] if aid is not None else []
        s.send(
            self._resp("Success", aid, None, ("EventList", "start"), ("Message", "Queue status will follow"))
        )
        items = 0
        now = self.pbx.now()
        wanted_member = a.get("member")
        for name, q in self.pbx.queues.items():
            if a.get("queue") and a["queue"] != name:
                continue
            c = q.config
            s.send(
                [
                    ("Event", "QueueParams"),
                    ("Queue", name),
                    ("Max", "0"),
                    ("Strategy", c.strategy.value),
                    ("Calls", str(len(q.entries))),
                    ("Holdtime", str(int(q.holdtime))),
                    ("TalkTime", str(int(q.talktime))),
                    ("Completed", str(q.completed)),
                    ("Abandoned", str(q.abandoned)),
                    ("ServiceLevel", "0"),
                    ("ServicelevelPerf", "0.0"),
                    ("ServicelevelPerf2", "0.0"),
                    ("Weight", "0"),
                    *extra,
                ]
            )
            items += 1
            for m in q.members:
                if wanted_member and wanted_member not in (m.interface, m.name):
                    continue
                s.send([("Event", "QueueMember"), *m.fields(status_list=True), *extra])
                items += 1
            for pos, e in enumerate(q.entries, start=1):
                ch = e.channel
                s.send(
                    [
                        ("Event", "QueueEntry"),
                        ("Queue", name),
                        ("Position", str(pos)),
                        ("Channel", ch.name),
                        ("Uniqueid", ch.uniqueid),
                        ("CallerIDNum", ch.cid_num),
                        ("CallerIDName", ch.cid_name),
                        ("ConnectedLineNum", ch.conn_num),
                        ("ConnectedLineName", ch.conn_name),
                        ("Wait", str(int(now - e.joined))),
                        ("Priority", "0"),
                        *extra,
                    ]
                )
                items += 1
        s.send(
            [("Event", "QueueStatusComplete"), *extra, ("EventList", "Complete"), ("ListItems", str(items))]
        )

    def _core_show_channels(self, s: _Session, a: Action, aid: str | None) -> None:
        extra = [("ActionID", aid)] if aid is not None else []
        s.send(self._resp("Success", aid, None, ("EventList", "start"), ("Message", "Channels will follow")))
        now = self.pbx.now()
        # Asterisk walks its channel container newest first (traces 02, 06).
        chans = list(reversed(self.pbx.channels))
        for ch in chans:
            d = int(now - ch.created)
            s.send(
                [
                    ("Event", "CoreShowChannel"),
                    *extra,
                    *ch.block(),
                    ("Application", ch.app),
                    ("ApplicationData", ch.appdata),
                    ("Duration", f"{d // 3600:02d}:{d % 3600 // 60:02d}:{d % 60:02d}"),
                    ("BridgeId", ch.bridge.id if ch.bridge else ""),
                ]
            )
        s.send(
            [
                ("Event", "CoreShowChannelsComplete"),
                *extra,
                ("EventList", "Complete"),
                ("ListItems", str(len(chans))),
            ]
        )

    def _originate(self, s: _Session, a: Action, aid: str | None) -> None:
        channel = a.get("channel", "")
        if not channel:
            s.send(self._resp("Error", aid, "Channel not specified"))
            return
        tech, _, endpoint = channel.partition("/")
        cid = a.get("callerid", "")
        match = re.fullmatch(r'\s*"?([^"<]*)"?\s*<([^>]*)>\s*', cid)
        cid_name, cid_num = (
            (match.group(1).strip(), match.group(2)) if match else ("<unknown>", cid or "<unknown>")
        )
        variables: dict[str, str] = {}
        for item in a.get("variable", "").split(","):
            k, sep, v = item.partition("=")
            if sep:
                variables[k.strip()] = v
        timeout = float(a.get("timeout") or 30000) / 1000.0
        context, exten = a.get("context", ""), a.get("exten", "")
        priority = a.get("priority") or "1"
        if not a.get("application") and not (
            priority.isdigit() and self.pbx.dialplan.exists(context, exten, int(priority))
        ):
            # manager.c checks the dialplan before queueing, even with Async: true (project
            # trace, run 1: Originate into the missing [callback] context).
            s.send(self._resp("Error", aid, "Extension does not exist."))
            return
        s.send(self._resp("Success", aid, "Originate successfully queued"))
        if tech.upper() == "LOCAL" and self._is_tap(endpoint, a):
            # The live-transcript tap: ChanSpy on ;2, AudioSocket on ;1 (pbx/sim/tap.py).
            originate_tap(
                self.pbx, aid or "", endpoint, a.get("data", ""), variables, cid_num, cid_name or "<unknown>"
            )
            return
        if tech.upper() == "LOCAL" and is_local_spy(self.pbx, endpoint, a.get("application", "")):
            # 保持 / 三方通话: ;2 runs the context, ;1 ChanSpy (pbx/sim/local_spy.py).
            self.pbx.spawn(
                run_local_spy(
                    self.pbx,
                    aid or "",
                    endpoint,
                    a.get("data", ""),
                    variables,
                    a.get("channelid", ""),
                    timeout,
                )
            )
            return
        if tech.upper() != "PJSIP" or not endpoint:
            # Only PJSIP/<endpoint> is simulated; anything else fails like an unknown device.
            self.pbx.originate_failure(
                aid or "", channel, a.get("context", ""), a.get("exten", ""), 0, cid_num, cid_name
            )
            return
        self.pbx.spawn(
            self.pbx.originate(
                aid or "",
                endpoint,
                a.get("context", ""),
                a.get("exten", ""),
                int(a.get("priority") or 1),
                cid_num,
                cid_name or "<unknown>",
                timeout,
                variables,
            )
        )

    def _is_tap(self, resource: str, a: Action) -> bool:
        """`Local/<exten>@<context>` with `Application: AudioSocket` where the dialplan's
        `<exten>,1` is ChanSpy (the [asr-tap] context of extensions.conf)."""
        exten, context, _ = split_local(resource)
        step = self.pbx.dialplan.step(context, exten, 1)
        return (
            step is not None
            and step.app.lower() == "chanspy"
            and a.get("application", "").lower() == "audiosocket"
        )

    def _channel(self, s: _Session, a: Action, aid: str | None, missing: str) -> Channel | None:
        """The action's `Channel`; when there is none, answers the action with the Error `missing`."""
        ch = self.pbx.find_channel(a.get("channel", ""))
        if ch is None:
            s.send(self._resp("Error", aid, missing))
        return ch

    def _redirect(self, s: _Session, a: Action, aid: str | None) -> None:
        ch = self._channel(s, a, aid, "Channel not existent")
        if ch is None:
            return
        s.send(self._resp("Success", aid, "Redirect successful"))
        ch.redirect_to = (a.get("context", ch.context), a.get("exten", ch.exten), int(a.get("priority") or 1))
        ch.interrupt.set()

    def _setvar(self, s: _Session, a: Action, aid: str | None) -> None:
        """manager.c action_setvar: a channel variable, published as VarSet like any Set()."""
        variable = a.get("variable", "")
        if not variable:
            s.send(self._resp("Error", aid, "No variable specified"))
            return
        ch = self._channel(s, a, aid, "No such channel")
        if ch is None:
            return
        function = re.fullmatch(r"VOLUME\((RX|TX)\)", variable.strip(), flags=re.IGNORECASE)
        if function is not None:
            # A dialplan function is written (ast_func_write), not set: no VarSet.
            ch.volume[function.group(1).upper()] = a.get("value", "")
        else:
            self.pbx.varset(ch, variable, a.get("value", ""))
        s.send(self._resp("Success", aid, "Variable Set"))

    def _hangup(self, s: _Session, a: Action, aid: str | None) -> None:
        ch = self._channel(s, a, aid, "No such channel")
        if ch is None:
            return
        s.send(self._resp("Success", aid, "Channel Hungup"))
        cause = int(a.get("cause") or 16)
        # AMI Hangup is a soft hangup: no HangupRequest (that is the phone's BYE); the paths
        # below publish the SoftHangupRequest of the leg that is torn down.
        ch.request_hangup(cause, soft=True)

    def _bridge(self, s: _Session, a: Action, aid: str | None) -> None:
        """main/features.c action_bridge: both channels by name (a prefix is enough), each moved
        out of its bridge into a new one (`SimPbx.bridge_channels`). Only channels already in a
        two-party bridge are simulated (the caller answered by a seat, a phone a Dial() bridged:
        the take-over Asterisk was recorded doing); a channel in none gets Asterisk's refusal."""
        one, two = a.get("channel1", ""), a.get("channel2", "")
        if not one or not two:
            s.send(self._resp("Error", aid, "Missing channel parameter in request"))
            return
        found = []
        for header, name in (("Channel1", one), ("Channel2", two)):
            ch = self.pbx.find_channel(name) or next(
                (c for c in self.pbx.channels if c.name.startswith(name)), None
            )
            if ch is None:
                s.send(self._resp("Error", aid, f"{header} does not exist: {name}"))
                return
            if ch.bridge is None or len(ch.bridge.members) != 2:
                s.send(self._resp("Error", aid, f"Unable to add {header} to bridge: {ch.name}"))
                return
            found.append(ch)
        s.send(self._resp("Success", aid, "Channels have been bridged"))
        self.pbx.bridge_channels(found[0], found[1])

    def _atxfer(self, s: _Session, a: Action, aid: str | None) -> None:
        """manager.c action_atxfer: Channel and Exten required, the channel, then features.conf's
        atxfer code; the DTMF is queued on the channel and acknowledged at once (pbx/sim/atxfer.py
        plays what bridge_basic then does)."""
        for header, missing in (("channel", "No channel specified"), ("exten", "No extension specified")):
            if not a.get(header):
                s.send(self._resp("Error", aid, missing))
                return
        ch = self._channel(s, a, aid, "Channel specified does not exist")
        if ch is None:
            return
        code = atxfer.feature_code(self.pbx)
        if not code:
            s.send(self._resp("Error", aid, "No attended transfer feature code found"))
            return
        s.send(self._resp("Success", aid, "Atxfer successfully queued"))
        atxfer.start(self.pbx, ch, a.get("exten", ""), a.get("context", ""), code)

    def _cancel_atxfer(self, s: _Session, a: Action, aid: str | None) -> None:
        """manager.c action_cancel_atxfer: the `atxferabort` code (default *1) queued on the channel."""
        if not a.get("channel"):
            s.send(self._resp("Error", aid, "No channel specified"))
            return
        ch = self._channel(s, a, aid, "Channel specified does not exist")
        if ch is None:
            return
        s.send(self._resp("Success", aid, "CancelAtxfer successfully queued"))
        atxfer.cancel(self.pbx, ch)

    def _mute_audio(self, s: _Session, a: Action, aid: str | None) -> None:
        """res_mutestream manager_mutestream: every header required, then the channel; the
        success is a bare `Response: Success` (no Message)."""
        for header, missing in (("channel", "Channel"), ("state", "State"), ("direction", "Direction")):
            if not a.get(header):
                s.send(self._resp("Error", aid, f"{missing} not specified"))
                return
        ch = self._channel(s, a, aid, "No such channel")
        if ch is None:
            return
        direction = a.get("direction", "")
        if direction not in ("in", "out", "all"):
            s.send(self._resp("Error", aid, "Failed to mute/unmute stream"))
            return
        sides = {"in", "out"} if direction == "all" else {direction}
        on = a.get("state", "").lower() in ("on", "yes", "true", "1", "y", "t")
        ch.muted = ch.muted | sides if on else ch.muted - sides
        s.send(self._resp("Success", aid))


__all__ = ["STATE_DESC", "AmiServer", "encode"]
