"""Asterisk's queue log kept in a database table instead of a file (`core.ports.RecordLines`).

With realtime queue logging (`extconfig.conf`: `queue_log => odbc,asterisk` or `pgsql`), app_queue
writes each event as a row: `time | callid | queuename | agent | event | data1 .. data5` (the
layout Asterisk documents; `time` as text or a timestamp, in the server's local time). This
reader renders the rows as queue log lines, so `pbx.records` parses them like the file's.

Its "offset" is a position in the table's own order: the row's time in microseconds since the
epoch (read in `tz`). Reading starts one second before the checkpoint (a time written without
fractions sorts before the same second with them), so a few rows are read twice: the reconciler
is idempotent.

The CDR can be kept in a table too (`cdr_pgsql`, `cdr_adaptive_odbc`); that reader is not written
yet: CDR rows are inserted when each CDR ends, in the order of no column of the stock schema.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import DateTime, column, inspect, select, table

from core.errors import BackendUnavailable
from core.ports import RecordCheckpoint, RecordChunk
from store.db import Database

log = logging.getLogger(__name__)

_COLUMNS = ("time", "callid", "queuename", "agent", "event", "data1", "data2", "data3", "data4", "data5")


def _row_time(value: Any, tz: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    text = str(value or "").strip()
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), UTC)
        return datetime.fromisoformat(text).replace(tzinfo=tz)
    except ValueError:
        return None


class QueueLogTable:
    """The `queue_log` table of Asterisk's database, read past a checkpoint."""

    def __init__(
        self, db: Database, *, table_name: str = "queue_log", tz: tzinfo = UTC, batch: int = 50_000
    ) -> None:
        self._db = db
        self._table = table(table_name, *(column(c) for c in _COLUMNS))
        self._tz = tz
        self._batch = batch
        self._table_name = table_name
        self._timestamp: bool | None = None  # is `time` a timestamp column (else text)?

    @property
    def source(self) -> str:
        return "queue_log"

    def _exists(self) -> bool:
        try:
            return bool(inspect(self._db.engine).has_table(self._table_name))
        except Exception as exc:
            raise BackendUnavailable("无法读取 Asterisk 数据库", reason=type(exc).__name__) from exc

    def _time_is_timestamp(self) -> bool:
        if self._timestamp is None:
            try:
                cols = inspect(self._db.engine).get_columns(self._table_name)
            except Exception:
                return False
            kind = next((c["type"] for c in cols if c["name"] == "time"), None)
            self._timestamp = isinstance(kind, DateTime)
        return self._timestamp

    def read_since(self, checkpoint: RecordCheckpoint | None) -> RecordChunk:
        t = self._table
        q = select(*(t.c[c] for c in _COLUMNS)).order_by(t.c.time).limit(self._batch)
        start = 0
        if checkpoint is not None and checkpoint.offset > 0:
            start = checkpoint.offset
            since = datetime.fromtimestamp(start / 1e6 - 1, UTC).astimezone(self._tz)
            bound: datetime | str = since.strftime("%Y-%m-%d %H:%M:%S")
            if self._time_is_timestamp():
                bound = since.replace(tzinfo=None)
            q = q.where(t.c.time >= bound)
        if not self._exists():
            log.warning("table %s not found: is the realtime queue log set up?", self._table_name)
            keep = checkpoint or RecordCheckpoint(self.source, 0, 0)
            return RecordChunk(lines=[], end=keep, missing=True)
        with self._db.session() as s:
            rows = list(s.execute(q))
        lines: list[tuple[int, str]] = []
        end = start
        for row in rows:
            at = _row_time(row[0], self._tz)
            if at is None:
                lines.append((end, "|".join(str(v or "") for v in row)))  # counted as garbage
                continue
            position = int(at.timestamp() * 1_000_000)
            stamp = f"{at.timestamp():.6f}"  # rendered as epoch seconds: no zone to guess
            fields = [stamp, *(str(v) if v is not None else "" for v in row[1:])]
            while len(fields) > 6 and fields[-1] == "":
                fields.pop()
            lines.append((position, "|".join(fields)))
            end = max(end, position + 1)
        last_at = checkpoint.last_at if checkpoint is not None else None
        return RecordChunk(lines=lines, end=RecordCheckpoint(self.source, 0, end, last_at))
