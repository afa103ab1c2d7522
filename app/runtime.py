"""The running system: builds every component from settings and starts / stops them in order.

Nothing is created at import time; `Runtime(settings)` only records what to build, and `start()`
builds and starts it inside the running event loop (panoramisk and asyncio objects need one).
"""

from __future__ import annotations

import asyncio
import gc
import logging

from app.adapters import AppointmentBooker, CallbackSeats, IvrOutcomes, LoggingSmsSender
from app.components import Component, ComponentSet
from app.reliability import DatabaseProbe, Journals, Reconciliation
from app.seed import DEMO_SEATS, seed_demo
from app.settings import DEMO_ADMIN_PASSWORD, Settings
from app.speech import AsrSpeechCapture, LiveTranscriptTap
from app.telephony import Routing, Ticker, build_ivr, build_routing, publish_all, start_simulator
from asr.audiosocket import AudioSocketServer
from asr.vosk_engine import VoskRecognizer
from callbacks.service import CallbackService
from callbacks.sla import SlaPolicy
from callbacks.subscriber import subscribe_callbacks
from console_web.auth import AuthService, Passwords
from console_web.hub import WebsocketHub
from core.blocking import offload
from core.bus import EventBus
from core.calls import CallRecord
from core.clock import Clock, SystemClock
from core.errors import ConfigurationError, HotlineError
from core.events import ComponentStatusChanged, DomainEvent, StateResynced
from core.ids import SeatId
from core.ivr_events import AppointmentRequested, CallbackRequested, SurveyAnswered
from core.loopwatch import LoopWatch
from core.ports import SmsSender
from ivr.agi_server import AgiServer
from pbx.ami_bridge import AmiBridge
from pbx.ami_control import AmiCallControl
from pbx.sim.simulator import Simulator
from pbx.tracker import CallTracker
from routing.calendar import load_holidays
from routing.offices import OfficeRegistry
from routing.queues import load_queue_rules
from seats.after_call import AfterCallWork
from seats.board import SeatBoard
from seats.presence import SeatRestorer
from seats.service import SeatService
from store.appointments import AppointmentRepository
from store.callback_repo_extras import CallbackLedgerRepository
from store.db import Database
from store.migrate import is_up_to_date, upgrade
from store.presence import SeatPresenceRepository
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
        self.calendar = load_holidays()
        self.rules = load_queue_rules(self.calendar)
        self.routing: Routing | None = None
        # The tracker's defaults are core.dialplan's names (plus those of the older recorded traces).
        self.tracker = CallTracker()
        self.board: SeatBoard | None = None
        self.agi: AgiServer | None = None
        self.simulator: Simulator | None = None
        self.bridge: AmiBridge | None = None
        self.control: AmiCallControl | None = None
        self.seat_service: SeatService | None = None
        self._restoring: asyncio.Task[None] | None = None
        self.after_call: AfterCallWork | None = None
        self._side_tasks: set[asyncio.Task[None]] = set()
        self.callbacks: CallbackService | None = None
        self._tickers: list[Ticker] = []
        self.sms: SmsSender = LoggingSmsSender()
        self.asr_server: AudioSocketServer | None = None
        self._asr_detail = ""
        # Nothing lost: the journal behind the database writers, the reconciliation with
        # Asterisk's records, the database's real health (app/reliability.py).
        self.journals = Journals(settings)
        self.reconciliation = Reconciliation()
        self._probe_db = DatabaseProbe(lambda: self._db)
        # How long the event loop was kept from running (nothing may block it: core.blocking).
        self.loopwatch = LoopWatch()
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

    def use_office_registry(self, registry: OfficeRegistry) -> None:
        """The office registry was edited: routing (IVR and console lookups) uses it from now on."""
        if self.routing is not None:
            self.routing.lookup.use_registry(registry)

    def component_status(self) -> list[dict[str, object]]:
        """Blocking (the database probe's round trip): from async code, `components_now`."""
        return self.components.status()

    async def components_now(self) -> list[dict[str, object]]:
        """console_web.routes.ConsoleBackend: the database's round trip on a worker thread; every
        other probe reads what the loop owns (the AMI link, the reconciler, the ASR server): here."""
        database = await offload(self._probe_db)
        return self.components.status({"database": database})

    def _probe_ami(self) -> tuple[bool, str]:
        if self.bridge is None:
            return False, "未启动"
        return self.bridge.health()

    def _probe_redis(self) -> tuple[bool, str]:
        return self.fanout.health() if self.fanout is not None else (False, "未启动")

    def dead_letters(self, limit: int) -> list[dict[str, object]]:
        """console_web.reliability_api.ReliabilityBackend."""
        return self.journals.dead_letters(limit)

    async def reliability(self) -> dict[str, object]:
        # The dead letters are read on a worker thread; the backlog and the last reconciliation
        # belong to the event loop and are read here.
        dead = await offload(self.journals.dead_letters, 10_000)
        return {
            "journal_backlog": self.journals.backlog(),
            "dead_letters": len(dead),
            "last_reconciliation": self.reconciliation.last(),
            "loop_lag": self.loopwatch.summary().as_dict(),
        }

    def recent_calls(self, limit: int) -> list[CallRecord]:
        return self.repos.calls.recent(limit=limit)

    # --- lifecycle ---------------------------------------------------------------------------

    def _plan(self) -> None:
        s = self.settings
        self.components.add(Component("bus", "事件总线", self.bus.start, self.bus.stop))
        self.components.add(
            Component("database", "数据库", self._start_db, self._stop_db, probe=self._probe_db)
        )
        self.components.add(Component("recorder", "通话留痕", self._start_recorder, self._stop_recorder))
        if s.redis.url:
            self.components.add(
                Component(
                    "redis",
                    "Redis 事件分发",
                    self._start_fanout,
                    self._stop_fanout,
                    probe=self._probe_redis,
                    required=False,
                )
            )
        self.components.add(Component("routing", "地址与队列路由", self._start_routing, self._noop))
        self.components.add(Component("seats", "坐席状态", self._start_seats, self._stop_tickers))
        if s.audiosocket.enabled:
            self.components.add(
                Component(
                    "asr",
                    "语音识别（AudioSocket + Vosk）",
                    self._start_asr,
                    self._stop_asr,
                    probe=self._probe_asr,
                    required=False,
                )
            )
        if s.agi.enabled:
            self.components.add(Component("agi", "语音导航（FastAGI）", self._start_agi, self._stop_agi))
        if s.sim.enabled:
            self.components.add(Component("simulator", "PBX 模拟器", self._start_sim, self._stop_sim))
        if s.ami.enabled:
            self.components.add(
                Component(
                    "ami",
                    "AMI 桥接",
                    self._start_ami,
                    self._stop_ami,
                    probe=self._probe_ami,
                    required=False,
                    announces_itself=True,
                )
            )
            self.components.add(Component("callbacks", "回拨工单", self._start_callbacks, self._noop))
            if s.audiosocket.enabled:
                self.components.add(
                    Component("tap", "实时转写接入", self._start_tap, self._noop, required=False)
                )
        self.components.add(
            Component("ivr-outcomes", "满意度与回拨请求", self._start_ivr_outcomes, self._noop)
        )
        self.components.add(Component("appointments", "预约与短信", self._start_appointments, self._noop))
        records = s.asterisk_records
        if s.ami.enabled or records.queue_log or records.cdr_csv or records.database_url:
            self.components.add(
                Component(
                    "records",
                    "话单与队列日志核对",
                    self._start_records,
                    self.reconciliation.stop,
                    probe=self.reconciliation.probe,
                    required=False,
                )
            )
        if s.sim.enabled and s.sim.auto_login_seats:
            self.components.add(
                Component(
                    "demo-seats", "演示坐席自动签入", self._start_demo_seats, self._noop, required=False
                )
            )

    async def start(self) -> None:
        await self.loopwatch.start()
        try:
            await self.components.start_all()
        except BaseException:
            await self.loopwatch.stop()
            raise
        # What start-up built (routing's pinyin indexes, the seed, imported modules) lives as long
        # as the process: out of the collector's sight, so that a full collection, which holds
        # the loop for as long as it scans, stays short (120-250 ms each before, under
        # bench/loop_lag.py's traffic).
        gc.collect()  # start-up's own garbage first: what is frozen is never collected
        gc.freeze()
        for c, st in zip(self.components.items, self.components.status(), strict=True):
            if not c.announces_itself:
                await self.bus.publish(
                    ComponentStatusChanged(
                        at=self.clock.now(), component=c.name, up=bool(st["up"]), detail=str(st["detail"])
                    )
                )

    async def stop(self) -> None:
        await self.components.stop_all()
        await self.loopwatch.stop()

    async def _start_db(self) -> None:
        # Migrations, the check and the demo seed are blocking database work: on a worker thread.
        await offload(self._open_db)

    def _open_db(self) -> None:
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
            await offload(self._db.dispose)

    async def _start_recorder(self) -> None:
        self.recorder = TrailRecorder(
            self.bus, self.repos.calls, self.repos.transcripts, guard=self.journals.guard
        )
        await self.recorder.start()

    async def _stop_recorder(self) -> None:
        if self.recorder is not None:
            await self.recorder.stop()
        await self.journals.stop()

    async def _noop(self) -> None:
        return None

    async def _stop_tickers(self) -> None:
        for t in self._tickers:
            await t.stop()
        self._tickers.clear()

    async def _start_routing(self) -> None:
        # Building the pinyin indexes takes a second or two: off the event loop.
        self.routing = await offload(build_routing, self.calendar, self.rules)

    async def _start_seats(self) -> None:
        board = self.board = SeatBoard(
            await offload(self.repos.seats.all), wrap_up_seconds=self.settings.seats.wrap_up_s
        )

        async def follow(event: DomainEvent) -> None:
            changes = board.apply(event)
            await publish_all(self.bus, list(changes))
            if self.after_call is not None:
                for change in changes:
                    # Off the bus: the board must not wait for an AMI round trip.
                    task = asyncio.create_task(self.after_call.on_change(change))
                    self._side_tasks.add(task)
                    task.add_done_callback(self._side_tasks.discard)
            if isinstance(event, StateResynced):
                # The board now holds the new snapshot's members: put back the seats the PBX lost.
                self._restore_seats()

        async def tick() -> None:
            now = self.clock.now()
            if self.after_call is not None:
                await self.after_call.tick(now)
            await publish_all(self.bus, list(board.tick(now)))

        self.bus.subscribe("seat-board", follow)
        ticker = Ticker("wrap-up", 1.0, tick)
        await ticker.start()
        self._tickers.append(ticker)

    def _restore_seats(self) -> None:
        """After each AMI snapshot: re-add every seat we believe logged in to the queues the PBX
        lacks (a PBX restart forgets dynamic members). One restore at a time, off the bus."""
        if self.seat_service is None or self.board is None:
            return
        if self._restoring is not None and not self._restoring.done():
            return
        restorer = SeatRestorer(self.seat_service.presence, self.seat_service)
        queues = {sid: set(qs) for sid, qs in self.board.queues.items()}

        async def run() -> None:
            outcome = await restorer.restore(queues)
            if outcome.restored or outcome.failed:
                log.warning(
                    "PBX lacked logged-in seats: %d put back, %d failed %s",
                    len(outcome.restored),
                    len(outcome.failed),
                    outcome.failed or "",
                )

        self._restoring = asyncio.create_task(run(), name="seat-restore")

    async def _start_asr(self) -> None:
        cfg, sock = self.settings.asr, self.settings.audiosocket
        recognizer = None
        try:
            recognizer = await VoskRecognizer.aload(cfg.model_path)
            self._asr_detail = ""
        except ConfigurationError as exc:
            # Calls go on without transcripts; the status page says why.
            self._asr_detail = exc.message
            log.error("ASR is down: %s", exc.message)
        self.asr_server = AudioSocketServer(
            self.bus,
            recognizer,
            host=sock.host,
            port=sock.port,
            max_streams=cfg.max_streams,
            idle_timeout_s=cfg.idle_timeout_s,
            max_stream_s=cfg.max_stream_s,
            clock=self.clock,
        )
        await self.asr_server.start()

    async def _stop_asr(self) -> None:
        if self.asr_server is not None:
            await self.asr_server.stop()

    def _probe_asr(self) -> tuple[bool, str]:
        if self.asr_server is None or self.asr_server.recognizer is None:
            return False, self._asr_detail or "未启动"
        return True, f"{self.asr_server.active_streams} 路转写中"

    async def _start_tap(self) -> None:
        assert self.control is not None and self.asr_server is not None
        sock = self.settings.audiosocket
        LiveTranscriptTap(
            bus=self.bus,
            control=self.control,
            tracker=self.tracker,
            server=self.asr_server,
            address=f"{sock.host}:{self.asr_server.port}",
        ).subscribe()

    async def _start_agi(self) -> None:
        assert self.routing is not None
        capture = (
            AsrSpeechCapture(self.asr_server, self.routing.grammar) if self.asr_server is not None else None
        )
        self.agi = build_ivr(
            self.settings,
            self.routing,
            tracker=self.tracker,
            board=self.board,
            bus=self.bus,
            clock=self.clock,
            capture=capture,
        )
        await self.agi.start(self.settings.agi.host, self.settings.agi.port)

    async def _stop_agi(self) -> None:
        if self.agi is not None:
            await self.agi.stop()

    async def _start_sim(self) -> None:
        demo_ids = {sid for sid, *_ in DEMO_SEATS}
        seats = [s for s in await offload(self.repos.seats.all) if s.id in demo_ids]
        agi_port = self.agi.port if self.agi is not None else None
        self.simulator = await start_simulator(
            self.settings, self.rules, seats, agi_port=agi_port, ami_port=self.settings.ami.port
        )

    async def _stop_sim(self) -> None:
        if self.simulator is not None:
            await self.simulator.stop()

    async def _start_ami(self) -> None:
        a = self.settings.ami
        port = self.simulator.port if self.simulator is not None else a.port
        self.bridge = AmiBridge(
            host=a.host,
            port=port,
            username=a.username,
            secret=a.secret.get_secret_value(),
            tracker=self.tracker,
            bus=self.bus,
            clock=self.clock,
        )
        self.control = AmiCallControl(self.bridge, timeout=a.action_timeout_s)
        assert self.board is not None
        assert self._db is not None
        self.seat_service = SeatService(
            self.control,
            self.repos.seats,
            self.repos.teams,
            self.rules,
            self.board,
            presence=SeatPresenceRepository(self._db),
            clock=self.clock,
        )
        if self.settings.seats.after_call_work_s > 0:
            self.after_call = AfterCallWork(
                self.control,
                self.repos.seats,
                self.board,
                seconds=self.settings.seats.after_call_work_s,
                clock=self.clock,
            )
        await self.bridge.start()

    async def _stop_ami(self) -> None:
        if self._restoring is not None:
            self._restoring.cancel()
            await asyncio.gather(self._restoring, return_exceptions=True)
        if self.bridge is not None:
            await self.bridge.stop()

    async def _start_callbacks(self) -> None:
        assert self.control is not None and self.board is not None and self._db is not None
        service = self.callbacks = CallbackService(
            store=self.repos.work_orders,
            ledger=CallbackLedgerRepository(self._db),
            calls=self.control,
            bus=self.bus,
            clock=self.clock,
            seats=CallbackSeats(self.repos, self.board),
            sla=SlaPolicy(calendar=self.calendar),
        )
        subscribe_callbacks(self.bus, service, guard=self.journals.guard)

        async def tick() -> None:
            await service.tick()

        ticker = Ticker("callbacks", self.settings.callbacks.tick_s, tick)
        await ticker.start()
        self._tickers.append(ticker)

    async def _start_appointments(self) -> None:
        assert self._db is not None and self.routing is not None
        routing = self.routing
        booker = AppointmentBooker(
            repo=AppointmentRepository(self._db),
            registry=lambda: routing.lookup.registry,
            calendar=self.calendar,
            sms=self.sms,
            clock=self.clock,
        )
        self.bus.subscribe("appointments", booker.handle, types=(AppointmentRequested,))

    async def _start_ivr_outcomes(self) -> None:
        outcomes = IvrOutcomes(self.repos, self.callbacks)
        self.bus.subscribe(
            "ivr-outcomes",
            self.journals.guard("ivr-outcomes", outcomes.handle),
            types=(CallbackRequested, SurveyAnswered),
        )

    async def _start_records(self) -> None:
        """Reconcile with Asterisk's records at start, after every AMI (re)login and periodically."""
        assert self._db is not None
        settings = self.settings
        records = settings.asterisk_records
        if self.simulator is not None and not (records.queue_log or records.cdr_csv or records.database_url):
            # The embedded simulator writes Asterisk's queue log and CDR: reconcile against them,
            # exactly as against a real Asterisk's files.
            records = records.model_copy(
                update={
                    "queue_log": str(self.simulator.queue_log_path),
                    "cdr_csv": str(self.simulator.cdr_path),
                }
            )
            settings = settings.model_copy(update={"asterisk_records": records})
        await self.reconciliation.start(
            settings,
            self._db,
            tracker=self.tracker,
            bus=self.bus,
            clock=self.clock,
            ami_connected=lambda: self.bridge is not None and self.bridge.status.connected,
        )

    async def _start_demo_seats(self) -> None:
        """Demo only: log the demo seats in once the AMI link is up, so simulated calls get answered."""
        done = asyncio.Event()

        async def on_resync(event: DomainEvent) -> None:
            # The bridge publishes StateResynced after each login's snapshot: the link is up and
            # the board knows who is already in which queue.
            if done.is_set() or not isinstance(event, StateResynced) or self.seat_service is None:
                return
            done.set()
            for sid, *_ in DEMO_SEATS:
                recorded = await offload(self.seat_service.presence.get, SeatId(sid))
                if recorded is not None and recorded.logged_in:
                    continue  # logged in before this start: the seat restorer puts it back
                try:
                    await self.seat_service.login(SeatId(sid))
                except HotlineError as exc:
                    log.warning("demo seat %s could not log in: %s", sid, exc.message)

        self.bus.subscribe("demo-seats", on_resync, types=(StateResynced,))

    async def _start_fanout(self) -> None:
        assert self.settings.redis.url
        self.fanout = RedisFanout(
            self.bus, self.settings.redis.url, channel=self.settings.redis.channel, clock=self.clock
        )
        await self.fanout.start()

    async def _stop_fanout(self) -> None:
        if self.fanout is not None:
            await self.fanout.stop()
