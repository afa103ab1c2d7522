"""The running system: builds every component from settings and starts / stops them in order.

Nothing is created at import time; `Runtime(settings)` only records what to build, and `start()`
builds and starts it inside the running event loop (panoramisk and asyncio objects need one).
"""

from __future__ import annotations

import logging

from app.components import Component, ComponentSet
from app.seed import seed_demo
from app.settings import DEMO_ADMIN_PASSWORD, Settings
from console_web.auth import AuthService, Passwords
from console_web.hub import WebsocketHub
from core.bus import EventBus
from core.calls import CallRecord
from core.clock import Clock, SystemClock
from core.errors import ConfigurationError
from core.events import ComponentStatusChanged
from store.db import Database
from store.migrate import is_up_to_date, upgrade
from store.recorder import TrailRecorder
from store.redis_fanout import RedisFanout
from store.repositories import Repositories

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.bus = EventBus()
        self.hub = WebsocketHub(self.bus)
        self.components = ComponentSet()
        self._db: Database | None = None
        self._repos: Repositories | None = None
        self.fanout: RedisFanout | None = None
        self.recorder: TrailRecorder | None = None
        self.passwords = Passwords()
        self._auth: AuthService | None = None
        self._plan()

    # --- accessors ---------------------------------------------------------------------------

    @property
    def repos(self) -> Repositories:
        if self._repos is None:
            raise RuntimeError("runtime not started")
        return self._repos

    @property
    def auth(self) -> AuthService:
        if self._auth is None:
            raise RuntimeError("runtime not started")
        return self._auth

    # --- ConsoleBackend ----------------------------------------------------------------------

    def component_status(self) -> list[dict[str, object]]:
        return [
            {**s, "required": c.required}
            for s, c in zip(self.components.status(), self.components.items, strict=True)
        ]

    def recent_calls(self, limit: int) -> list[CallRecord]:
        return self.repos.calls.recent(limit=limit)

    # --- lifecycle ---------------------------------------------------------------------------

    def _plan(self) -> None:
        s = self.settings
        self.components.add(Component("bus", "事件总线", self.bus.start, self.bus.stop))
        self.components.add(Component("database", "数据库", self._start_db, self._stop_db))
        self.components.add(Component("recorder", "通话留痕", self._start_recorder, self._stop_recorder))
        if s.redis.url:
            self.components.add(
                Component("redis", "Redis 事件分发", self._start_fanout, self._stop_fanout, required=False)
            )

    async def start(self) -> None:
        await self.components.start_all()
        for c in self.components.items:
            await self.bus.publish(
                ComponentStatusChanged(at=self.clock.now(), component=c.name, up=c.up, detail=c.detail)
            )

    async def stop(self) -> None:
        await self.components.stop_all()

    async def _start_db(self) -> None:
        cfg = self.settings.database
        db = Database(cfg.url)
        try:
            if self.settings.demo or cfg.auto_migrate:
                upgrade(db.url, engine=db.engine)
            elif not is_up_to_date(db.engine):
                raise ConfigurationError("数据库结构不是最新版本，请先运行：hotline db upgrade")
        except Exception:
            db.dispose()
            raise
        self._db = db
        self._repos = repos = Repositories(db)
        self._auth = AuthService(
            users=repos.users,
            sessions=repos.sessions,
            audit=repos.audit,
            clock=self.clock,
            passwords=self.passwords,
        )
        if self.settings.demo:
            seed_demo(repos, self.passwords.hash(DEMO_ADMIN_PASSWORD))

    async def _stop_db(self) -> None:
        if self._db is not None:
            self._db.dispose()

    async def _start_recorder(self) -> None:
        self.recorder = TrailRecorder(self.bus, self.repos.calls)
        await self.recorder.start()

    async def _stop_recorder(self) -> None:
        if self.recorder is not None:
            await self.recorder.stop()

    async def _start_fanout(self) -> None:
        assert self.settings.redis.url
        self.fanout = RedisFanout(self.bus, self.settings.redis.url, channel=self.settings.redis.channel)
        await self.fanout.start()

    async def _stop_fanout(self) -> None:
        if self.fanout is not None:
            await self.fanout.stop()
