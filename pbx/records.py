"""Asterisk's durable records: the queue log and the CDR (`cdr_csv`'s Master.csv). Pure parsing.

Asterisk writes both whatever happens to the AMI link or to us, so they are the reference when
our own view has a hole (the app killed, the AMI link down): `pbx.reconcile` compares them with
the database. This module only turns lines into values; reading files (offsets, rotation) is in
`pbx.record_files`, behind the `core.ports.RecordLines` port.

queue_log (`queue_log` file, `logger.conf [general] queue_log = yes`), one event per line::

    <time>|<callid>|<queue>|<agent>|<event>|<data1>|<data2>|...

`<time>` is Unix seconds by default, or the local time formatted by `queue_log_dateformat`
(for us `%F %T.%3q`: `2026-12-01 21:50:41.123`, in the server's time zone). `<callid>` is the
caller channel's Uniqueid (its Linkedid for our calls), `NONE` for member events. The data of the
events we read (Asterisk's "Queue Logs" documentation; checked on the real trace):

* ENTERQUEUE(url|callerid|position), CONNECT(holdtime|bridged uniqueid|ringtime),
* COMPLETECALLER / COMPLETEAGENT(holdtime|calltime|origposition),
* ABANDON / EXITWITHTIMEOUT / EXITEMPTY(position|origposition|waittime),
* EXITWITHKEY(key|position|origposition|waittime), RINGNOANSWER(ringtime ms),
* TRANSFER / BLINDTRANSFER(extension|context|holdtime|calltime|origposition),
  ATTENDEDTRANSFER(method|target...|holdtime|calltime|origposition).

CDR (`cdr_csv`, one row per CDR, quoted CSV)::

    accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,
    duration,billsec,disposition,amaflags[,uniqueid (loguniqueid)][,userfield (loguserfield)]

Times are `%Y-%m-%d %H:%M:%S` in UTC with `usegmtime = yes` (our setting), else local time.
Every CDR row says ANSWERED for our calls because the dialplan answers before the IVR: the queue
log carries the real queue outcome.

A line that cannot be parsed raises `RecordFormatError`; callers count, log and skip it.
"""

from __future__ import annotations

import csv
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

from core.errors import HotlineError


class RecordFormatError(HotlineError):
    """A queue_log line or CDR row is not in a format we know (garbage, a cut line)."""

    error_id = "pbx.record_format"


class QueueLogEvent(enum.StrEnum):
    """The queue log events the reconciler reads (others are parsed and kept as text)."""

    ENTERQUEUE = "ENTERQUEUE"
    CONNECT = "CONNECT"
    COMPLETECALLER = "COMPLETECALLER"
    COMPLETEAGENT = "COMPLETEAGENT"
    ABANDON = "ABANDON"
    EXITWITHTIMEOUT = "EXITWITHTIMEOUT"
    EXITEMPTY = "EXITEMPTY"
    EXITWITHKEY = "EXITWITHKEY"
    RINGNOANSWER = "RINGNOANSWER"
    TRANSFER = "TRANSFER"
    BLINDTRANSFER = "BLINDTRANSFER"
    ATTENDEDTRANSFER = "ATTENDEDTRANSFER"


# Events after which the caller has left the queue.
QUEUE_EXITS = frozenset(
    {
        QueueLogEvent.COMPLETECALLER,
        QueueLogEvent.COMPLETEAGENT,
        QueueLogEvent.ABANDON,
        QueueLogEvent.EXITWITHTIMEOUT,
        QueueLogEvent.EXITEMPTY,
        QueueLogEvent.EXITWITHKEY,
        QueueLogEvent.TRANSFER,
        QueueLogEvent.BLINDTRANSFER,
        QueueLogEvent.ATTENDEDTRANSFER,
    }
)

# Events about a caller in a queue (the rest are about members: ADDMEMBER, PAUSE, ...).
CALLER_EVENTS = frozenset({*(e.value for e in QueueLogEvent), "RINGCANCELED", "AGENTDUMP", "SYSCOMPAT"})

_EPOCH = re.compile(r"^\d{9,11}(\.\d+)?$")
_DATEFORMAT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_CDR_TIME = "%Y-%m-%d %H:%M:%S"
_CDR_MIN_COLUMNS = 16


@dataclass(frozen=True, slots=True)
class QueueLogEntry:
    """One queue log line. `offset`: where the line starts in its file (for checkpoints)."""

    at: datetime
    call_id: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]
    offset: int = 0

    def field(self, index: int) -> str:
        return self.data[index] if index < len(self.data) else ""

    def number(self, index: int) -> float | None:
        try:
            return float(self.field(index))
        except ValueError:
            return None

    @property
    def about_a_call(self) -> bool:
        """A caller's event (member events carry `NONE` or `MANAGER` as call id)."""
        return self.event in CALLER_EVENTS and self.call_id not in ("", "NONE", "REALTIME", "MANAGER")


@dataclass(frozen=True, slots=True)
class CdrRow:
    """One `cdr_csv` row. `uniqueid` is empty unless `loguniqueid = yes`."""

    src: str
    dst: str
    dcontext: str
    clid: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    start: datetime
    answer: datetime | None
    end: datetime
    duration: int
    billsec: int
    disposition: str
    uniqueid: str
    accountcode: str = ""
    amaflags: str = ""
    userfield: str = ""
    offset: int = 0


def parse_time(text: str, tz: tzinfo = UTC) -> datetime:
    """A queue log time: Unix seconds, or `%F %T[.fff]` local time in `tz`."""
    text = text.strip()
    if _EPOCH.match(text):
        return datetime.fromtimestamp(float(text), UTC)
    if _DATEFORMAT.match(text):
        return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)
    raise RecordFormatError("队列日志时间格式无法识别", text=text[:40])


def parse_queue_log_line(line: str, *, tz: tzinfo = UTC, offset: int = 0) -> QueueLogEntry:
    """One line (without its newline). Raises `RecordFormatError` for anything else."""
    parts = line.rstrip("\r\n").split("|")
    if len(parts) < 5 or not parts[4] or not parts[4].replace("_", "").isalnum():
        raise RecordFormatError("队列日志行格式错误", line=line[:80])
    return QueueLogEntry(
        at=parse_time(parts[0], tz),
        call_id=parts[1].strip(),
        queue=parts[2].strip(),
        agent=parts[3].strip(),
        event=parts[4].strip().upper(),
        data=tuple(parts[5:]),
        offset=offset,
    )


def _cdr_time(text: str, tz: tzinfo) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, _CDR_TIME).replace(tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise RecordFormatError("话单时间格式错误", text=text[:40]) from None


def _cdr_int(text: str) -> int:
    try:
        return int(text.strip() or 0)
    except ValueError:
        raise RecordFormatError("话单时长不是整数", text=text[:20]) from None


def parse_cdr_line(line: str, *, tz: tzinfo = UTC, offset: int = 0) -> CdrRow:
    """One `cdr_csv` row; `tz` is UTC with `usegmtime = yes`, else the server's zone."""
    try:
        rows = list(csv.reader([line.rstrip("\r\n")], strict=True))
    except csv.Error as exc:
        raise RecordFormatError("话单行不是合法的 CSV", line=line[:80]) from exc
    if len(rows) != 1 or len(rows[0]) < _CDR_MIN_COLUMNS:
        raise RecordFormatError("话单行列数不足", line=line[:80])
    c = rows[0]
    start, end = _cdr_time(c[9], tz), _cdr_time(c[11], tz)
    if start is None or end is None:
        raise RecordFormatError("话单缺少开始或结束时间", line=line[:80])
    return CdrRow(
        accountcode=c[0],
        src=c[1],
        dst=c[2],
        dcontext=c[3],
        clid=c[4],
        channel=c[5],
        dstchannel=c[6],
        lastapp=c[7],
        lastdata=c[8],
        start=start,
        answer=_cdr_time(c[10], tz),
        end=end,
        duration=_cdr_int(c[12]),
        billsec=_cdr_int(c[13]),
        disposition=c[14],
        amaflags=c[15],
        uniqueid=c[16] if len(c) > 16 else "",
        userfield=c[17] if len(c) > 17 else "",
        offset=offset,
    )


@dataclass(slots=True)
class ParseReport:
    """Lines read and lines skipped (with the first few, for the log)."""

    read: int = 0
    skipped: int = 0
    examples: list[str] | None = None

    def skip(self, line: str) -> None:
        self.skipped += 1
        if self.examples is None:
            self.examples = []
        if len(self.examples) < 5:
            self.examples.append(line[:120])


_Record = TypeVar("_Record")


def _parse_all(
    lines: list[tuple[int, str]],
    parse_one: Callable[..., _Record],
    *,
    tz: tzinfo,
    report: ParseReport | None,
) -> list[_Record]:
    """(offset, line) pairs to records; bad lines are counted in `report` and skipped."""
    out: list[_Record] = []
    for offset, line in lines:
        if not line.strip():
            continue
        try:
            out.append(parse_one(line, tz=tz, offset=offset))
        except RecordFormatError:
            if report is not None:
                report.skip(line)
            continue
        if report is not None:
            report.read += 1
    return out


def parse_queue_log(
    lines: list[tuple[int, str]], *, tz: tzinfo = UTC, report: ParseReport | None = None
) -> list[QueueLogEntry]:
    """(offset, line) pairs to queue log entries; bad lines are counted in `report` and skipped."""
    return _parse_all(lines, parse_queue_log_line, tz=tz, report=report)


def parse_cdr(
    lines: list[tuple[int, str]], *, tz: tzinfo = UTC, report: ParseReport | None = None
) -> list[CdrRow]:
    """(offset, line) pairs to CDR rows; bad lines are counted in `report` and skipped."""
    return _parse_all(lines, parse_cdr_line, tz=tz, report=report)
