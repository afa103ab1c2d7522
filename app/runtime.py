"""The running system: builds every component from settings and starts / stops them in order.

Nothing is created at import time; `Runtime(settings)` only records what to build (`_plan`), and
`start()` builds and starts it inside the running event loop (panoramisk and asyncio objects need
one). Each adapter package builds its own part from its settings section; the runtime keeps the
order, the dependencies between the parts and the references the rest of the app reads.
"""

from __future__ import annotations

import gc
from zoneinfo import ZoneInfo

from app.seed import DEMO_DISTRICTS, DEMO_SEATS, seed_demo
from app.settings import DEMO_ADMIN_PASSWORD, Settings
from asr.audiosocket import AudioSocketServer
from asr.speech import SpeechServer
from callbacks.service import CallbackService
from callbacks.subscriber import subscribe_callbacks
from console_web.auth import AuthService, Passwords
from console_web.hub import WebsocketHub
from core.access import Principal, Scope, Scopes
from core.blocking import offload
from core.bus import EventBus
from core.call_view import CallViews
from core.calls import CallRecord
from core.clock import Clock, SystemClock
from core.components import Component, ComponentSet
from core.loopwatch import LoopWatch
from core.ports import SmsSender
from core.ticker import Ticker
from ivr.agi_server import AgiServer
from ivr.assembly import Routing, build_ivr, build_routing
from pbx.ami_bridge import AmiBridge
from pbx.ami_control import AmiCallControl
from pbx.link import ami_link
from pbx.reconciliation import Reconciliation, build_reconciler
from pbx.sim.config import AgiTarget
from pbx.sim.demo import ScriptedAddressCapture, start_demo_simulator
from pbx.sim.simulator import Simulator
from pbx.tracker import CallTracker
from routing.appointments import LoggingSmsSender
from routing.calendar import load_holidays
from routing.hours_text import service_hours_text
from routing.offices import OfficeRegistry
from routing.queues import QueueRules, around_the_clock, load_queue_rules
from seats.after_call import AfterCallWork
from seats.board import SeatBoard
from seats.feed import BoardFeed
from seats.models import Seat
from seats.service import SeatService
from store.appointments import subscribe_appointments
from store.db import Database
from store.ivr_outcomes import IvrOutcomes
from store.presence import SeatPresenceRepository
from store.record_tables import QueueLogTable
from store.recorder import TrailRecorder
from store.records import KnownCallsRepository, RecordCheckpointRepository
from store.repositories import Repositories
from store.services import callback_service
from store.storage import Storage


async def start_simulator(
    settings: Settings, rules: QueueRules, seats: list[Seat], *, agi_port: int | None, ami_port: int
) -> Simulator:
    """The embedded PBX simulator as the settings describe it, with a phone for each seat."""
    agi = AgiTarget(settings.agi.host, agi_port, "ivr") if agi_port is not None else None
    return await start_demo_simulator(
        settings.sim,
        settings.ami,
        ami_port=ami_port,
        agi=agi,
        queues=rules.all_queues(),
        wrapuptime=settings.seats.wrap_up_s,
        seats=seats,
    )


class Runtime:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.bus = EventBus()
        self.hub = WebsocketHub(self.bus)
        self.components = ComponentSet()
        self.passwords = Passwords()
        # The database, the journal behind its writers (nothing lost), the Redis fan-out.
        self.storage = Storage(
            settings.database,
            settings.journal,
            settings.redis,
            bus=self.bus,
            clock=self.clock,
            migrate=settings.demo or settings.database.auto_migrate,
            seed=self._seed_demo if settings.demo else None,
        )
        self.journals = self.storage.journals
        self.recorder: TrailRecorder | None = None
        self._auth: AuthService | None = None
        self.calendar = load_holidays()
        self.rules = load_queue_rules(self.calendar)
        if settings.demo:  # demo service hours: in service at any hour of the viewer's day
            self.rules = around_the_clock(self.rules, DEMO_DISTRICTS)
        self.routing: Routing | None = None
        # The tracker's defaults are core.dialplan's names (plus those of the older recorded traces).
        self.tracker = CallTracker()
        self.call_views = CallViews(bus=self.bus)  # the calls as the consoles read them (core.call_view)
        self.board: SeatBoard | None = None
        self._feed: BoardFeed | None = None
        self.agi: AgiServer | None = None
        self.simulator: Simulator | None = None
        # With no recogniser, the simulated callers' scripted addresses stand in for the ASR's text.
        self.scripted = ScriptedAddressCapture() if settings.sim.enabled else None
        self.bridge: AmiBridge | None = None
        self.control: AmiCallControl | None = None
        self.seat_service: SeatService | None = None
        self.after_call: AfterCallWork | None = None
        self.callbacks: CallbackService | None = None
        self._callback_ticker: Ticker | None = None
        self.sms: SmsSender = LoggingSmsSender()
        self.speech = SpeechServer(self.bus, settings.asr, settings.audiosocket, self.clock)
        # The reconciliation with Asterisk's records.
        self.reconciliation = Reconciliation()
        # Who sees what (core.access): one Scope per principal, for lists, reads and pushes alike.
        self.scopes = Scopes(lambda: (self.repos.teams.all(), self.repos.seats.all()))
        # How long the event loop was kept from running (nothing may block it: core.blocking).
        self.loopwatch = LoopWatch()
        self._plan()

    # --- accessors ---------------------------------------------------------------------------

    @property
    def repos(self) -> Repositories:
        if self.storage.repos is None:
            raise RuntimeError("runtime not started")
        return self.storage.repos

    @property
    def auth(self) -> AuthService:
        if self._auth is None:
            repos = self.repos
            self._auth = AuthService(
                users=repos.users,
                sessions=repos.sessions,
                audit=repos.audit,
                clock=self.clock,
                passwords=self.passwords,
            )
        return self._auth

    @property
    def asr_server(self) -> AudioSocketServer | None:
        return self.speech.server

    # --- ConsoleBackend ----------------------------------------------------------------------

    def use_office_registry(self, registry: OfficeRegistry) -> None:
        """The office registry was edited: routing (IVR and console lookups) uses it from now on.
        On the event loop (routing is the loop's): from a worker thread, `core.blocking.on_loop`."""
        if self.routing is not None:
            self.routing.lookup.use_registry(registry)

    def component_status(self) -> list[dict[str, object]]:
        """Blocking (the database probe's round trip): from async code, `components_now`."""
        return self.components.status()

    async def components_now(self) -> list[dict[str, object]]:
        """console_web.routes.ConsoleBackend: the database's round trip on a worker thread; every
        other probe reads what the loop owns (the AMI link, the reconciler, the ASR server): here."""
        database = await offload(self.storage.probe)
        return self.components.status({"database": database})

    def _probe_ami(self) -> tuple[bool, str]:
        return self.bridge.health() if self.bridge is not None else (False, "未启动")

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

    def scope_of(self, principal: Principal) -> Scope:
        return self.scopes.of(principal)

    def recent_calls(self, limit: int) -> list[CallRecord]:
        return self.repos.calls.recent(limit=limit)

    # --- lifecycle ---------------------------------------------------------------------------

    def _plan(self) -> None:
        s, add, store = self.settings, self.components.add, self.storage
        add(Component("bus", "事件总线", self.bus.start, self.bus.stop))
        add(Component("database", "数据库", store.open, store.close, probe=store.probe))
        add(Component("recorder", "通话留痕", self._start_recorder, self._stop_recorder))
        if s.redis.url:
            add(
                Component(
                    "redis",
                    "Redis 事件分发",
                    store.start_fanout,
                    store.stop_fanout,
                    probe=store.probe_fanout,
                    required=False,
                )
            )
        hours = lambda: (True, f"服务时间：{service_hours_text(self.rules)}")  # noqa: E731
        add(Component.once("routing", "地址与队列路由", self._start_routing, probe=hours))
        add(Component("seats", "坐席状态", self._start_seats, self._stop_seats))
        if s.audiosocket.enabled:
            speech, label = self.speech, "语音识别（AudioSocket + Vosk）"
            add(Component.of("asr", label, speech, probe=speech.probe, required=False))
        if s.agi.enabled:
            add(Component("agi", "语音导航（FastAGI）", self._start_agi, self._stop_agi))
        if s.sim.enabled:
            add(Component("simulator", "PBX 模拟器", self._start_sim, self._stop_sim))
        records, rec = s.asterisk_records, self.reconciliation
        if s.ami.enabled or records.queue_log or records.cdr_csv or records.database_url:
            # Before the AMI link, to hear its first snapshot (that closes calls a restart left open).
            add(
                Component(
                    "records",
                    "话单与队列日志核对",
                    self._start_records,
                    rec.stop,
                    probe=rec.probe,
                    required=False,
                )
            )
        if s.ami.enabled:
            add(
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
            add(Component("callbacks", "回拨工单", self._start_callbacks, self._stop_callbacks))
            if s.audiosocket.enabled:
                add(Component.once("tap", "实时转写接入", self._start_tap, required=False))
        add(Component.once("ivr-outcomes", "满意度与回拨请求", self._start_ivr_outcomes))
        add(Component.once("appointments", "预约与短信", self._start_appointments))
        if s.sim.enabled and s.sim.auto_login_seats:
            add(Component.once("demo-seats", "演示坐席自动签入", self._start_demo_seats, required=False))

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
        await self.components.announce(self.bus.publish, self.clock)

    async def stop(self) -> None:
        await self.components.stop_all()
        await self.loopwatch.stop()

    def _seed_demo(self, repos: Repositories) -> None:
        seed_demo(repos, self.passwords.hash(DEMO_ADMIN_PASSWORD))

    async def _start_recorder(self) -> None:
        repos = self.repos
        self.recorder = TrailRecorder(self.bus, repos.calls, repos.transcripts, guard=self.journals.guard)
        await self.recorder.start()

    async def _stop_recorder(self) -> None:
        if self.recorder is not None:
            await self.recorder.stop()
        await self.journals.stop()

    async def _start_routing(self) -> None:
        # Building the pinyin indexes takes a second or two: off the event loop.
        self.routing = await offload(build_routing, self.calendar, self.rules)

    async def _start_seats(self) -> None:
        self.board = SeatBoard(
            await offload(self.repos.seats.all), wrap_up_seconds=self.settings.seats.wrap_up_s
        )
        self._feed = BoardFeed(self.bus, self.board, self.clock)
        await self._feed.start()

    async def _stop_seats(self) -> None:
        if self._feed is not None:
            await self._feed.stop()

    async def _start_tap(self) -> None:
        assert self.control is not None
        self.speech.tap(self.control, self.tracker).subscribe()

    async def _start_agi(self) -> None:
        assert self.routing is not None
        sock = self.settings.audiosocket
        self.agi = build_ivr(
            self.routing,
            audiosocket_address=f"{sock.host}:{sock.port}",
            tracker=self.tracker,
            board=self.board,
            bus=self.bus,
            clock=self.clock,
            capture=self.speech.capture(self.routing.grammar) or self.scripted,
            voicemail=self.settings.voicemail,
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
        if self.scripted is not None:
            self.simulator.pbx.address_listeners.append(self.scripted.said)

    async def _stop_sim(self) -> None:
        if self.simulator is not None:
            await self.simulator.stop()

    async def _start_ami(self) -> None:
        a, repos, feed = self.settings.ami, self.repos, self._feed
        assert feed is not None
        port = self.simulator.port if self.simulator is not None else a.port
        self.bridge, control = ami_link(a, port=port, tracker=self.tracker, bus=self.bus, clock=self.clock)
        self.control = control
        self.seat_service = feed.command_through(
            control,
            repos.seats,
            repos.teams,
            self.rules,
            presence=SeatPresenceRepository(repos.db),
            after_call_work_s=self.settings.seats.after_call_work_s,
        )
        self.after_call = feed.after_call
        await self.bridge.start()

    async def _stop_ami(self) -> None:
        if self._feed is not None:
            await self._feed.stop_restoring()
        if self.bridge is not None:
            await self.bridge.stop()

    async def _start_callbacks(self) -> None:
        assert self.control is not None and self.board is not None
        service = self.callbacks = callback_service(
            self.repos, self.board, calls=self.control, bus=self.bus, clock=self.clock, calendar=self.calendar
        )
        subscribe_callbacks(self.bus, service, guard=self.journals.guard)
        self._callback_ticker = Ticker("callbacks", self.settings.callbacks.tick_s, service.tick)
        await self._callback_ticker.start()

    async def _stop_callbacks(self) -> None:
        if self._callback_ticker is not None:
            await self._callback_ticker.stop()

    async def _start_appointments(self) -> None:
        assert self.routing is not None
        lookup = self.routing.lookup
        registry, db = (lambda: lookup.registry), self.repos.db
        subscribe_appointments(
            self.bus, db, registry=registry, calendar=self.calendar, sms=self.sms, clock=self.clock
        )

    async def _start_ivr_outcomes(self) -> None:
        handle = self.journals.guard("ivr-outcomes", IvrOutcomes(self.repos, self.callbacks).handle)
        self.bus.subscribe("ivr-outcomes", handle, types=IvrOutcomes.EVENT_TYPES)

    async def _start_records(self) -> None:
        """Reconcile with Asterisk's records at start, after every AMI (re)login and periodically."""
        cfg, db, sim = self.settings.asterisk_records, self.repos.db, self.simulator
        if sim is not None:
            cfg = cfg.or_simulated(sim.queue_log_path, sim.cdr_path)
        table = None
        if cfg.database_url:
            tz = ZoneInfo(cfg.queue_log_tz)
            table = QueueLogTable(Database(cfg.database_url), table_name=cfg.queue_log_table, tz=tz)
        reconciler = build_reconciler(
            cfg,
            queue_log_table=table,
            checkpoints=RecordCheckpointRepository(db),
            calls=KnownCallsRepository(db),
            live=lambda: tuple(self.tracker.calls),
            publish=self.bus.publish,
            clock=self.clock,
        )
        await self.reconciliation.start(
            reconciler,
            bus=self.bus,
            interval_s=cfg.interval_s,
            ami_connected=lambda: self.bridge is not None and self.bridge.status.connected,
        )

    async def _start_demo_seats(self) -> None:
        assert self._feed is not None
        self._feed.log_in_on_first_link(sid for sid, *_ in DEMO_SEATS)
