"""Reports kept on disk (报表归档): the XLSX of each day, week and month, written once it has ended.

`archive_ended(backend, ended, directory, districts)` writes the workbooks of the periods that end
with the China day `ended`: the day always, the week on a Sunday, the month on its last day; for
the whole city and for each district given (a district's scope is that of its supervisor). The
files are `<directory>/<period>/<file_name>` (`report_xlsx.file_name`: scope and period in the
name); one already there is left alone, so a run repeated after a restart writes nothing twice.
`run_report_archive` does it at once when started (the day before, in case the process was down
at midnight: a file already there is not written again), then shortly after each China midnight,
for the day just ended.

`ReportArchive` is what the composition root builds (wiring: `app/main.py`), with the directory
from settings (`WebSettings.report_archive_dir`; empty: no archive): it starts and stops the task, and
lists and serves the files a principal may read. Who reads which file follows `core.access.Scope`:
a city-wide principal (city supervisor, admin) every file; a district supervisor the files of
their district (not the city's: those hold the other districts' figures); anyone else none. A file
is found only among those listed (the name is compared, never joined into a path), so a name
with `..` or `/` is simply not found.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from console_web.report_xlsx import file_name, report_workbook
from console_web.settings import WebSettings
from core.access import Principal, Role, Scope
from core.blocking import offload
from core.clock import CHINA_TZ, Clock
from core.errors import NotFound
from core.ids import UserId
from core.ticker import cancel_and_wait
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
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_bytes(body)
    partial.replace(path)  # a reader never sees half a workbook


def team_districts(backend: SupervisionService) -> list[str]:
    """The districts that have a team (a district with none has no supervisor to read its file)."""
    return sorted({t.district_code for t in backend.directory.teams() if t.district_code})


async def archive_day(
    backend: SupervisionService, ended: date, directory: Path, districts: Iterable[str] | None = None
) -> list[Path]:
    """One check: the periods ending with `ended`, for the city and each district (`None`: those
    with a team, read now). A failure is logged, never raised: the next check tries again."""
    try:
        codes = list(districts) if districts is not None else await offload(team_districts, backend)
        files = await archive_ended(backend, ended, directory, codes)
    except Exception:
        log.exception("report archive failed")
        return []
    log.info("report archive: %d workbooks written", len(files))
    return files


async def run_report_archive(
    backend: SupervisionService, clock: Clock, directory: Path, districts: Iterable[str] | None = None
) -> None:
    """For ever: at once the day before today (a night the process was down), then shortly after
    each China midnight the day (week, month) just ended."""
    codes = list(districts) if districts is not None else None
    await archive_day(backend, clock.now().astimezone(CHINA_TZ).date() - timedelta(days=1), directory, codes)
    while True:
        now = clock.now().astimezone(CHINA_TZ)
        next_run = datetime.combine(now.date() + timedelta(days=1), time(0), CHINA_TZ) + AFTER_MIDNIGHT
        await asyncio.sleep((next_run - now).total_seconds())
        await archive_day(backend, next_run.date() - timedelta(days=1), directory, codes)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchivedFile:
    period: Period
    name: str
    size: int
    modified: datetime


def scope_of_name(name: str) -> str:
    """The scope in a file name `12348报表-<scope>-<period>-<days>.xlsx` ("" when not such a name)."""
    parts = name.split("-")
    return parts[1] if len(parts) >= 4 and parts[0] == "12348报表" and name.endswith(".xlsx") else ""


def may_read(scope: Scope, name: str) -> bool:
    """A city-wide scope reads every file; a district's supervisor the files of their district."""
    if scope.citywide:
        return True
    return scope.district is not None and scope_of_name(name) == scope.label


def _first_day(name: str) -> str:
    found = _DAY.search(name)
    return found.group(0) if found else ""


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class ReportArchive:
    """The archive's folder (`None`: not kept), its task, and the files each principal may read."""

    def __init__(self, directory: Path | None, scope_of: Callable[[Principal], Scope]) -> None:
        self.directory = directory
        self._scope_of = scope_of
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def started(cls, settings: WebSettings, backend: SupervisionService) -> ReportArchive:
        """The archive in `settings.report_archive_dir` over the board's service (its clock, its
        teams and seats for the scopes), its task started (inside the running loop: yesterday's
        files at once, then after each midnight); no task when no folder is set."""
        directory = backend.directory
        archive = cls(
            settings.report_archive_folder(), lambda p: Scope.of(p, directory.teams(), directory.seats())
        )
        if archive.directory is not None:
            archive._task = asyncio.create_task(run_report_archive(backend, backend.clock, archive.directory))
        return archive

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    def _all(self) -> list[ArchivedFile]:
        if self.directory is None:
            return []
        out = []
        for period in Period:
            folder = self.directory / period.value
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.is_file() and not path.is_symlink() and scope_of_name(path.name):
                    st = path.stat()
                    modified = datetime.fromtimestamp(st.st_mtime, CHINA_TZ)
                    out.append(
                        ArchivedFile(period=period, name=path.name, size=st.st_size, modified=modified)
                    )
        return sorted(out, key=lambda f: (_first_day(f.name), f.period is Period.DAY, f.name), reverse=True)

    def files(self, principal: Principal) -> list[ArchivedFile]:
        """The files `principal` may read, the latest period first (blocking: offload it)."""
        scope = self._scope_of(principal)
        return [f for f in self._all() if may_read(scope, f.name)]

    def read(self, principal: Principal, period: str, name: str) -> bytes:
        """One file's bytes; `NotFound` when not archived or not the principal's (blocking)."""
        for f in self.files(principal):
            if f.period.value == period and f.name == name and self.directory is not None:
                return (self.directory / f.period.value / f.name).read_bytes()
        raise NotFound("归档报表不存在或无权查看", period=period, name=name)
