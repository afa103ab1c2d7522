"""Asterisk's durable records of the simulated calls: queue_log and the CSV CDR (Master.csv).

Both are written from the same AMI event stream the simulator publishes (one call model), in the
formats of the real Asterisk 22.10.1 files (shared/asterisk-traces/project-dialplan-22.10.1):

queue_log, one line per app_queue fact: `epoch|callid|queue|agent|event|data1|data2|...`
    QUEUESTART (NONE|NONE|NONE), ADDMEMBER / REMOVEMEMBER (callid MANAGER, agent = interface),
    PAUSE / UNPAUSE / PAUSEALL / UNPAUSEALL (callid NONE, agent = member name, data = reason),
    ENTERQUEUE (|callerid|position), CONNECT (holdtime|member channel uniqueid|ringtime),
    COMPLETEAGENT / COMPLETECALLER (holdtime|talktime|original position),
    ABANDON / EXITWITHTIMEOUT (position|original position|waittime), RINGNOANSWER (ring ms).
    callid is the caller channel's Uniqueid; agent is the member name (NONE before a connect).

Master.csv (cdr_csv with usegmtime, loguniqueid, loguserfield): accountcode, src, dst, dcontext,
    clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
    disposition, amaflags, uniqueid, userfield. As Asterisk 12+'s CDR engine does, a channel
    that originates (a caller, an originated seat leg, a Local channel) gets one row per segment:
    a segment ends when it leaves a bridge or a Dial() attempt fails, and the next one starts
    there; a segment in which no application ran after its start is dropped. The legs a Queue()
    or Dial() created are the other party (dstchannel), never rows of their own.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path

Headers = list[tuple[str, str]]

CDR_FIELDS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
)
DIAL_DISPOSITION = {"NOANSWER": "NO ANSWER", "BUSY": "BUSY", "CONGESTION": "CONGESTION"}
UNKNOWN = "<unknown>"


def _known(value: str) -> str:
    return "" if value == UNKNOWN else value


def _gmt(epoch: float | None) -> str:
    return "" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(epoch)))


def format_cdr_row(values: list[str | int]) -> str:
    """cdr_csv's quoting: text in double quotes (inner quotes doubled), numbers bare."""
    out = []
    for v in values:
        if isinstance(v, int):
            out.append(str(v))
        else:
            out.append('"' + v.replace('"', '""') + '"')
    return ",".join(out) + "\n"


def parse_cdr_csv(text: str) -> list[dict[str, str]]:
    """Rows of a Master.csv as dicts keyed by `CDR_FIELDS` (for tests and readers)."""
    rows = []
    for fields in csv.reader(io.StringIO(text)):
        if fields:
            rows.append(dict(zip(CDR_FIELDS, fields, strict=True)))
    return rows


def parse_queue_log(text: str) -> list[list[str]]:
    return [line.split("|") for line in text.splitlines() if line.strip()]


@dataclass
class _Segment:
    channel: str
    uniqueid: str
    src: str
    clid: str
    start: float
    answer: float | None
    dst: str = ""
    dcontext: str = ""
    dstchannel: str = ""
    lastapp: str = ""
    lastdata: str = ""
    app_ran: bool = True
    disposition: str = ""
    frozen: bool = False  # a Dial() that created no channel: lastapp stays Dial (real Master.csv)


class Records:
    """Turns the simulator's AMI events into queue_log lines and CDR rows (appended to files)."""

    def __init__(self, queue_log: Path, cdr: Path) -> None:
        self.queue_log_path = queue_log
        self.cdr_path = cdr
        queue_log.parent.mkdir(parents=True, exist_ok=True)
        cdr.parent.mkdir(parents=True, exist_ok=True)
        self._cdr: dict[str, _Segment] = {}
        self._b_legs: set[str] = set()
        self._orig_position: dict[tuple[str, str], str] = {}
        self._member_names: dict[tuple[str, str], str] = {}
        self._pending_abandon: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ queue_log
    def queue_log(self, at: float, callid: str, queue: str, agent: str, event: str, *data: str) -> None:
        line = "|".join([str(int(at)), callid, queue, agent, event, *(data or ("",))])
        with self.queue_log_path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    def started(self, at: float) -> None:
        self.queue_log(at, "NONE", "NONE", "NONE", "QUEUESTART")

    def paused_all(self, at: float, member: str, paused: bool, reason: str) -> None:
        """QueuePause without a Queue: app_queue logs PAUSEALL/UNPAUSEALL before each queue's."""
        self.queue_log(at, "NONE", "NONE", member, "PAUSEALL" if paused else "UNPAUSEALL", reason)

    # ------------------------------------------------------------------ events
    def on_event(self, headers: Headers) -> None:
        h = dict(headers)
        name = h.get("Event", "")
        at = float(h.get("Timestamp", "0") or 0)
        handler = getattr(self, f"_on_{name}", None)
        if handler is not None:
            handler(h, at)

    def _on_QueueMemberAdded(self, h: dict[str, str], at: float) -> None:
        self._member_names[(h["Queue"], h["Interface"])] = h["MemberName"]
        self.queue_log(at, "MANAGER", h["Queue"], h["Interface"], "ADDMEMBER")

    def _on_QueueMemberRemoved(self, h: dict[str, str], at: float) -> None:
        self.queue_log(at, "MANAGER", h["Queue"], h["Interface"], "REMOVEMEMBER")

    def _on_QueueMemberPause(self, h: dict[str, str], at: float) -> None:
        paused = h.get("Paused") == "1"
        self.queue_log(
            at,
            "NONE",
            h["Queue"],
            h["MemberName"],
            "PAUSE" if paused else "UNPAUSE",
            h.get("PausedReason", ""),
        )

    def _on_QueueCallerJoin(self, h: dict[str, str], at: float) -> None:
        self._orig_position[(h["Uniqueid"], h["Queue"])] = h["Position"]
        self.queue_log(
            at, h["Uniqueid"], h["Queue"], "NONE", "ENTERQUEUE", "", _known(h["CallerIDNum"]), h["Position"]
        )

    def _on_AgentConnect(self, h: dict[str, str], at: float) -> None:
        self.queue_log(
            at,
            h["Uniqueid"],
            h["Queue"],
            h["MemberName"],
            "CONNECT",
            h["HoldTime"],
            h.get("DestUniqueid", ""),
            h["RingTime"],
        )

    def _on_AgentComplete(self, h: dict[str, str], at: float) -> None:
        if h.get("Reason") == "transfer":
            return  # an attended transfer: its ATTENDEDTRANSFER line is written by pbx/sim/atxfer.py
        event = "COMPLETEAGENT" if h.get("Reason") == "agent" else "COMPLETECALLER"
        position = self._orig_position.get((h["Uniqueid"], h["Queue"]), "1")
        self.queue_log(
            at, h["Uniqueid"], h["Queue"], h["MemberName"], event, h["HoldTime"], h["TalkTime"], position
        )

    def _on_AgentRingNoAnswer(self, h: dict[str, str], at: float) -> None:
        self.queue_log(at, h["Uniqueid"], h["Queue"], h["MemberName"], "RINGNOANSWER", h["RingTime"])

    def _on_QueueCallerAbandon(self, h: dict[str, str], at: float) -> None:
        # Asterisk 22 publishes QueueCallerAbandon for a hang-up AND for the queue timeout; the
        # queue log tells them apart (ABANDON / EXITWITHTIMEOUT): decided by what follows.
        self._pending_abandon[h["Uniqueid"]] = [
            str(at),
            h["Queue"],
            h["Position"],
            h["OriginalPosition"],
            h["HoldTime"],
        ]

    def _flush_abandon(self, uniqueid: str, event: str) -> None:
        pending = self._pending_abandon.pop(uniqueid, None)
        if pending is not None:
            at, queue, *data = pending
            self.queue_log(float(at), uniqueid, queue, "NONE", event, *data)

    def _on_VarSet(self, h: dict[str, str], at: float) -> None:
        if h.get("Variable") == "QUEUESTATUS" and h.get("Value") == "TIMEOUT":
            self._flush_abandon(h["Uniqueid"], "EXITWITHTIMEOUT")

    # ------------------------------------------------------------------ CDR
    def _on_Newchannel(self, h: dict[str, str], at: float) -> None:
        self._cdr[h["Channel"]] = self._segment(h, at, answer=None)

    def _segment(self, h: dict[str, str], start: float, *, answer: float | None) -> _Segment:
        num, name = _known(h.get("CallerIDNum", "")), _known(h.get("CallerIDName", ""))
        return _Segment(
            channel=h["Channel"],
            uniqueid=h["Uniqueid"],
            src=num,
            clid=f'"{name}" <{num}>',
            start=start,
            answer=answer,
            dst=h.get("Exten", ""),
            dcontext=h.get("Context", ""),
        )

    def application(self, channel: str, context: str, exten: str, app: str, data: str) -> None:
        """The channel started running `app` (its snapshot changed, Newexten or not)."""
        seg = self._cdr.get(channel)
        if seg is not None and exten != "h":
            self._follow(seg, context, exten, app, data)

    @staticmethod
    def _follow(seg: _Segment, context: str, exten: str, app: str, data: str) -> None:
        """cdr.c's base_process_party_a: the context and extension follow every snapshot; the
        application is locked once Dial ran (AST_CDR_LOCK_APP)."""
        seg.dst, seg.dcontext, seg.app_ran = exten, context, True
        if not seg.frozen:
            seg.lastapp, seg.lastdata = app, data

    def dial_failed_without_channel(self, channel: str) -> None:
        """Dial() could not create the callee's channel (CHANUNAVAIL): no new CDR, and the
        applications after it (Hangup; Playback and Queue after a failed transfer) do not replace
        lastapp Dial (the real run's 12345 transfer through a missing trunk; cdr.c locks the
        application once Dial ran), while dcontext and dst still follow the channel."""
        seg = self._cdr.get(channel)
        if seg is not None:
            seg.frozen = True

    def _on_NewCallerid(self, h: dict[str, str], at: float) -> None:
        seg = self._cdr.get(h["Channel"])
        if seg is not None:
            num, name = _known(h.get("CallerIDNum", "")), _known(h.get("CallerIDName", ""))
            seg.src, seg.clid = num, f'"{name}" <{num}>'

    def _on_Newexten(self, h: dict[str, str], at: float) -> None:
        seg = self._cdr.get(h["Channel"])
        if seg is None or h.get("Exten") == "h":
            # The CDR ends before the `h` extension runs (the callback rows of the real file).
            return
        self._follow(
            seg, h.get("Context", ""), h.get("Exten", ""), h.get("Application", ""), h.get("AppData", "")
        )

    def _on_Newstate(self, h: dict[str, str], at: float) -> None:
        seg = self._cdr.get(h["Channel"])
        if seg is not None and h.get("ChannelStateDesc") == "Up" and seg.answer is None:
            seg.answer = at

    def _on_DialBegin(self, h: dict[str, str], at: float) -> None:
        if "Channel" in h and "DestChannel" in h:
            self._b_legs.add(h["DestChannel"])
            seg = self._cdr.get(h["Channel"])
            if seg is not None:
                seg.dstchannel = h["DestChannel"]

    _on_AgentCalled = _on_DialBegin

    def _on_DialEnd(self, h: dict[str, str], at: float) -> None:
        seg = self._cdr.get(h.get("Channel", ""))
        if seg is None or h.get("DialStatus") == "ANSWER":
            return
        if seg.lastapp == "Dial":
            # A Dial() attempt that failed closes the segment (the callback trace: NO ANSWER).
            seg.disposition = DIAL_DISPOSITION.get(h.get("DialStatus", ""), "FAILED")
            self._close(seg, at, reopen=True)
        else:
            seg.dstchannel = ""

    def _on_BridgeLeave(self, h: dict[str, str], at: float) -> None:
        seg = self._cdr.get(h["Channel"])
        if seg is not None and h["Channel"] not in self._b_legs:
            self._close(seg, at, reopen=True)

    def _on_Hangup(self, h: dict[str, str], at: float) -> None:
        self._flush_abandon(h["Uniqueid"], "ABANDON")
        channel = h["Channel"]
        seg = self._cdr.pop(channel, None)
        if channel in self._b_legs:
            self._b_legs.discard(channel)
            return
        if seg is not None and seg.app_ran:
            self._close(seg, at, reopen=False)

    def _close(self, seg: _Segment, at: float, *, reopen: bool) -> None:
        answered = seg.answer is not None
        disposition = seg.disposition or ("ANSWERED" if answered else "NO ANSWER")
        row: list[str | int] = [
            "",
            seg.src,
            seg.dst,
            seg.dcontext,
            seg.clid,
            seg.channel,
            seg.dstchannel,
            seg.lastapp,
            seg.lastdata,
            _gmt(seg.start),
            _gmt(seg.answer),
            _gmt(at),
            int(at - seg.start),
            int(at - seg.answer) if seg.answer is not None else 0,
            disposition,
            "DOCUMENTATION",
            seg.uniqueid,
            "",
        ]
        with self.cdr_path.open("a", encoding="utf-8") as f:
            f.write(format_cdr_row(row))
        if reopen:
            nxt = _Segment(
                channel=seg.channel,
                uniqueid=seg.uniqueid,
                src=seg.src,
                clid=seg.clid,
                start=at,
                answer=at if answered else None,
                dst=seg.dst,
                dcontext=seg.dcontext,
                lastapp=seg.lastapp,
                lastdata=seg.lastdata,
                app_ran=False,
            )
            self._cdr[seg.channel] = nxt


__all__ = ["CDR_FIELDS", "Records", "format_cdr_row", "parse_cdr_csv", "parse_queue_log"]
