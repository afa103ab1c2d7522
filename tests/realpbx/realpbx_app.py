"""The application side of the real-Asterisk tests: how the system is composed and observed.

`Hotline` bundles one test's Asterisk, our application (built by `app.main.build_app`, as
`hotline serve` builds it), the database it writes, and the test's SIP phones.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from realpbx_asterisk import (
    ASTERISK_ENV,
    CARRIER_USER,
    PASSWORDS,
    RealAsterisk,
    free_udp_port,
    free_udp_range,
)
from realpbx_link import AmiLink
from realpbx_phones import SipPhone
from sqlalchemy import select

from app.seed import seed_demo
from app.settings import Settings, load_settings
from console_web.auth import Passwords
from core.clock import CHINA_TZ
from core.ids import CallId, SeatId
from core.recordings import Recording
from routing.calendar import load_holidays
from seats.state import SeatStatus
from store.db import Database
from store.migrate import upgrade
from store.models import CallEventRow, CallLegRow, CallRow, WorkOrderCallRow, WorkOrderRow
from store.recordings import RecordingRepository
from store.repositories import Repositories
from tests.support.polling import until  # re-exported: the realpbx tests import it from here


def asterisk_binary() -> Path:
    value = os.environ.get(ASTERISK_ENV, "")
    if not value:
        pytest.skip(f"no real Asterisk: set {ASTERISK_ENV}=/path/to/asterisk (an Asterisk 22, see README)")
    path = Path(value)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{ASTERISK_ENV}={value} is not an executable file")
    return path


class WorkingMorningClock:
    """The real clock moved to the next working-day 10:00 in Shanghai (now, if that is already
    a working day between 09:30 and 15:30): seconds still pass at the real rate."""

    def __init__(self) -> None:
        calendar = load_holidays()
        real = datetime.now(UTC)
        local = real.astimezone(CHINA_TZ)
        if calendar.is_working_day(local.date()) and time(9, 30) <= local.time() <= time(15, 30):
            self._offset = timedelta(0)
            return
        day = local.date() if local.time() < time(9, 30) else local.date() + timedelta(days=1)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        self._offset = datetime.combine(day, time(10, 0), tzinfo=CHINA_TZ) - real

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class WorkingEveningClock(WorkingMorningClock):
    """The real clock moved to a working day's 22:00 in Shanghai: after hours."""

    def __init__(self) -> None:
        super().__init__()
        morning = self.now().astimezone(CHINA_TZ)
        self._offset += datetime.combine(morning.date(), time(22, 0), tzinfo=CHINA_TZ) - morning


@dataclass
class Hotline:
    pbx: RealAsterisk
    app: Any
    db: Database
    ami_link: AmiLink
    phones: dict[str, SipPhone] = field(default_factory=dict)

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def seat_console(self) -> Any:
        return self.app.state.seat_console

    async def phone(self, user: str) -> SipPhone:
        """A phone for `user` (the caller, a seat: registered; the carrier: at the trunk's
        contact), started once."""
        if user not in self.phones:
            carrier = user == CARRIER_USER
            phone = SipPhone(
                user=user,
                password=PASSWORDS[user],
                server_port=self.pbx.ports.sip,
                sip_port=self.pbx.ports.carrier if carrier else free_udp_port(),
                rtp_ports=free_udp_range(10),
                register=not carrier,
            )
            await asyncio.to_thread(phone.start)
            self.phones[user] = phone
            if not carrier:
                await until(lambda: self._registered(user), 10, f"{user} to register")
        return self.phones[user]

    def _registered(self, user: str) -> bool:
        try:
            out = self.pbx.cli(f"pjsip show aor {user}")
        except Exception:
            return False
        return "contact" in out.lower() and f"{user}/sip:" in out

    async def login(self, seat: str) -> None:
        await self.phone(seat)
        await self.seat_console.login(SeatId(seat))
        await until(
            lambda: self.runtime.board.state(SeatId(seat)).status is SeatStatus.AVAILABLE,
            10,
            f"seat {seat} to be available",
        )

    def seat_status(self, seat: str) -> SeatStatus:
        status: SeatStatus = self.runtime.board.state(SeatId(seat)).status
        return status

    def calls(self) -> list[CallRow]:
        with self.db.session() as s:
            return list(s.scalars(select(CallRow).order_by(CallRow.offered_at)))

    def trail(self, call_id: str) -> list[CallEventRow]:
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(CallEventRow).where(CallEventRow.call_id == call_id).order_by(CallEventRow.id)
                )
            )

    def recordings(self, call_id: str) -> list[Recording]:
        """The call's recorded segments as the app keeps them (录音)."""
        return RecordingRepository(self.db).for_call(CallId(call_id))

    def legs(self, call_id: str) -> list[CallLegRow]:
        with self.db.session() as s:
            return list(
                s.scalars(
                    select(CallLegRow).where(CallLegRow.call_id == call_id).order_by(CallLegRow.answered_at)
                )
            )

    def work_orders(self) -> list[WorkOrderRow]:
        with self.db.session() as s:
            return list(s.scalars(select(WorkOrderRow)))

    def missed_calls(self) -> list[WorkOrderCallRow]:
        with self.db.session() as s:
            return list(s.scalars(select(WorkOrderCallRow)))

    def call_status(self, status: str) -> list[CallRow]:
        return [c for c in self.calls() if c.status == status]

    def all_ended(self) -> bool:
        rows = self.calls()
        return bool(rows) and all(r.ended_at is not None for r in rows)


def settings_for(db_url: str, pbx: RealAsterisk, ami_port: int, **overrides: Any) -> Settings:
    """Production settings (demo off): the same checks `hotline serve` applies. AMI goes to
    `ami_port` (the test's `AmiLink` in front of Asterisk's manager port); the reconciler reads
    the test Asterisk's queue_log and Master.csv."""
    ports = pbx.ports
    sections: dict[str, Any] = dict(
        database={"url": db_url, "auto_migrate": True},
        ami={"host": "127.0.0.1", "port": ami_port, "secret": pbx.ami_secret, "action_timeout_s": 5.0},
        asterisk_records={
            "queue_log": str(pbx.queue_log_file),
            "cdr_csv": str(pbx.cdr_file),
            # The application's clock runs ahead of Asterisk's (WorkingMorningClock, up to days):
            # a settle time longer than that, so calls in progress never count as settled.
            "settle_s": 30 * 86400.0,
            # Passes run at start and at every AMI login; a test runs the others itself.
            "interval_s": 3600.0,
        },
        agi={"host": "127.0.0.1", "port": ports.agi},
        audiosocket={"host": "127.0.0.1", "port": ports.audiosocket},
        asr={"model_path": None},
        web={"session_secret": secrets.token_hex(16)},
        seats={"wrap_up_s": 1.0},
        # No tick: no automatic assignment or retry interferes with a test's own steps.
        callbacks={"tick_s": 3600.0},
        voicemail={"pbx_dir": str(pbx.voicemail_dir)},
        recordings={"pbx_dir": str(pbx.recordings_dir), "settle_s": 0.5},
    )
    return load_settings(**{**sections, **overrides})


def seed(db_url: str) -> None:
    """What an administrator sets up before going live: teams, seats and accounts."""
    db = Database(db_url)
    try:
        upgrade(db.url, engine=db.engine)
        seed_demo(Repositories(db), Passwords().hash(secrets.token_hex(8)))
    finally:
        db.dispose()
