"""Reports kept on disk (报表归档): the XLSX of each day, week and month, written once it has ended.

`archive_ended(backend, ended, directory, districts)` writes the workbooks of the periods that end
with the China day `ended`: the day always, the week on a Sunday, the month on its last day; for
the whole city and for each district given (a district's scope is that of its supervisor). The
files are `<directory>/<period>/<file_name>` (`report_xlsx.file_name`: scope and period in the
name); one already there is left alone, so a run repeated after a restart writes nothing twice.
`run_report_archive` does it shortly after each China midnight, for the day just ended.

The composition root starts `run_report_archive` as a background task next to the board (wiring:
`app/`), with the directory from settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from console_web.report_xlsx import file_name, report_workbook
from core.access import Principal, Role
from core.blocking import offload
from core.clock import CHINA_TZ, Clock
from core.ids import UserId
from stats.reports import Period
from stats.supervision import SupervisionService

log = logging.getLogger(__name__)

AFTER_MIDNIGHT = timedelta(minutes=5)  # late calls of the day are stored by then


def ended_periods(ended: date) -> list[Period]:
    """The periods that end with the day `ended`."""
    periods = [Period.DAY]
    if ended.weekday() == 6:
        periods.append(Period.WEEK)
    if (ended + timedelta(days=1)).day == 1:
        periods.append(Period.MONTH)
    return periods


def archivist(district: str | None = None) -> Principal:
    """The system account the archive reads as: city-wide, or one district's supervisor."""
    return Principal(
        user_id=UserId("system-report-archive"),
        username="system-report-archive",
        display_name="报表归档",
        role=Role.SUPERVISOR,
        scope_district_code=district,
    )


async def archive_ended(
    backend: SupervisionService, ended: date, directory: Path, districts: Iterable[str] = ()
) -> list[Path]:
    """Write the ended periods' workbooks not yet on disk; returns the files written."""
    written = []
    for period in ended_periods(ended):
        for district in [None, *districts]:
            breakdown = await backend.breakdown(archivist(district), period, ended)
            path = directory / period.value / file_name(breakdown)
            if path.exists():
                continue
            body = await offload(report_workbook, breakdown, backend.clock.now().astimezone(CHINA_TZ))
            await offload(_write, path, body)
            written.append(path)
    return written


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(body)
    partial.replace(path)  # a reader never sees half a workbook


async def run_report_archive(
    backend: SupervisionService, clock: Clock, directory: Path, districts: Iterable[str] = ()
) -> None:
    """For ever: shortly after each China midnight, archive the day (week, month) just ended."""
    codes = list(districts)
    while True:
        now = clock.now().astimezone(CHINA_TZ)
        next_run = datetime.combine(now.date() + timedelta(days=1), time(0), CHINA_TZ) + AFTER_MIDNIGHT
        await asyncio.sleep((next_run - now).total_seconds())
        try:
            files = await archive_ended(backend, next_run.date() - timedelta(days=1), directory, codes)
            log.info("report archive: %d workbooks written", len(files))
        except Exception:  # a failed night must not end the task: the next night tries again
            log.exception("report archive failed")
