"""The running system: builds every component from settings and starts / stops them in order.

Nothing is created at import time; `Runtime(settings)` only records what to build (`_plan`), and
`start()` builds and starts it inside the running event loop (panoramisk and asyncio objects need
one). Each package builds its own part from its settings section (`store.storage`, `store.parts`,
`ivr.part`, `seats.part`, `asr.speech`, `pbx.sim.part`, `pbx.parts`, `callbacks.part`); the runtime
keeps their order, hands each what the parts before it built, and the references the app reads.
"""

from __future__ import annotations

from functools import cached_property

from app.seed import DEMO_DISTRICTS, DEMO_SEATS, seed_demo
from app.settings import DEMO_ADMIN_PASSWORD, Settings
from asr.part import SpeechPart
from asr.speech import LiveTranscriptTap
from callbacks.part import CallbacksPart
from callbacks.service import CallbackService
from console_web.auth import AuthService, Passwords
from console_web.hub import WebsocketHub
from console_web.internal_api import internal_token
from console_web.mirror import TelephonyMirror
from console_web.process_health import ProcessHealth
from console_web.routes import recheck_sockets
from core.access import Principal, Scope, Scopes
from core.blocking import offload
from core.bus import EventBus
from core.call_view import CallViews
from core.calls import CallRecord
from core.clock import Clock, SystemClock
from core.components import Component, ComponentSet
from core.lifecycle import start_process, stop_process
from core.loopwatch import LoopWatch
from core.ports import SmsSender
from ivr.part import IvrPart, RoutingPart
from pbx.ami_bridge import AmiBridge
from pbx.parts import AmiPart, RecordsPart
from pbx.sim.part import SimulatorPart
from pbx.sim.simulator import Simulator
from routing.appointments import LoggingSmsSender
from seats.board import SeatBoard
from seats.part import SeatsPart
from store.appointments import subscribe_appointments
from store.ivr_outcomes import IvrOutcomes
from store.parts import FanoutPart, RecorderPart, RecordingsPart, record_stores, seat_stores
from store.post_call import PostCallTranscriptStore
from store.redis_mailbox import RedisMailbox
from store.repositories import Repositories
from store.services import callback_service
from store.storage import Storage


class Runtime:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        s = self.settings = settings
        self.role, web, talks = s.role, s.role == "web", s.role in ("all", "telephony")
        self.clock = clock or SystemClock()
        self.bus = EventBus()
        self.hub = WebsocketHub(
            self.bus, recheck=lambda sessions: recheck_sockets(self.auth, self.scope_of, sessions)
        )
        self.components = ComponentSet()
        self.passwords = Passwords()
        # The database and the journal behind its writers (nothing lost).
        self.storage = Storage(
            s.database,
            s.journal,
            # A web process never changes the schema nor seeds: the telephony process does, once.
            migrate=talks and (s.demo or s.database.auto_migrate),
            seed=self._seed_demo if s.demo and talks else None,
        )
        self.journals = self.storage.journals
        self.fanout = FanoutPart(s.redis, self.bus, self.clock)
        self.trail = RecorderPart(self.storage, self.bus)
        self.recordings = RecordingsPart(s.recordings, self.storage, self.bus, self.clock)
        # Demo service hours: in service at any hour of the viewer's day (at none: --after-hours).
        self.routes = RoutingPart(DEMO_DISTRICTS if s.demo else None, after_hours=s.sim.after_hours)
        self.calendar, self.rules = self.routes.calendar, self.routes.rules
        self.call_views = CallViews(bus=self.bus)  # the calls as the consoles read them (core.call_view)
        self.seats = SeatsPart(
            self.bus,
            self.clock,
            self.rules,
            stores=lambda: seat_stores(self.repos),
            wrap_up_s=s.seats.wrap_up_s,
            after_call_work_s=s.seats.after_call_work_s,
            mirror=web,
        )
        # Speech: here, or in speech processes reached through Redis (asr.part, asr.remote).
        url, asks = s.redis.url or "", s.role == "speech" or (s.asr.remote and not web)
        box = RedisMailbox(url, prefix=f"{s.redis.channel}:asr") if url and asks else None
        self.speech_part = SpeechPart(
            self.bus, s.asr, s.audiosocket, self.clock, role=s.role, mailbox=box,
            jobs=lambda: PostCallTranscriptStore(self.repos.db, s.recordings.folder()),
            settle_s=s.recordings.settle_s + 1.0,
        )  # fmt: skip
        self.speech = self.speech_part.speech
        demo_ids = {sid for sid, *_ in DEMO_SEATS}  # the seats with a simulated phone
        self.sim = SimulatorPart(
            s.sim,
            s.ami,
            agi_host=s.agi.host,
            queues=self.rules.all_queues(),
            wrapuptime=s.seats.wrap_up_s,
            seats=lambda: [seat for seat in self.repos.seats.all() if seat.id in demo_ids],
            agi_port=lambda: self.ivr.port,
            recordings_dir=s.recordings.pbx_dir,
        )
        self.ami = AmiPart(s.ami, simulator=self.sim, seats=self.seats, bus=self.bus, clock=self.clock)
        self.tracker = self.ami.tracker
        self.ivr = IvrPart(
            s.agi,
            self.routes,
            audiosocket_address=f"{s.audiosocket.host}:{s.audiosocket.port}",
            tracker=self.tracker,
            board=lambda: self.board,
            capture=lambda grammar: self.speech.capture(grammar, fallback=self.sim.scripted),
            bus=self.bus,
            clock=self.clock,
            voicemail=s.voicemail,
        )
        # The reconciliation with Asterisk's records.
        self.records = RecordsPart(
            s.asterisk_records,
            stores=lambda c: record_stores(self.repos.db, c.database_url, c.queue_log_table, c.queue_log_tz),
            simulator=self.sim,
            ami_connected=self.ami.connected,
            live=self.tracker,
            bus=self.bus,
            clock=self.clock,
        )
        self.reconciliation = self.records.reconciliation
        guard, tick_s = self.journals.guard, s.callbacks.tick_s
        self.callback_part = CallbacksPart(self.bus, build=self._callback_service, tick_s=tick_s, guard=guard)
        self.sms: SmsSender = LoggingSmsSender()
        # Who sees what (core.access): one Scope per principal, for lists, reads and pushes alike.
        self.scopes = Scopes(lambda: (self.repos.teams.all(), self.repos.seats.all()))
        # How long the event loop was kept from running (nothing may block it: core.blocking).
        self.loopwatch = watch = LoopWatch()
        # This process's own health for /api/admin: its journals, reconciliation, sockets and loop.
        self.health = ProcessHealth(self.role, self.journals, self.reconciliation.last, self.hub, watch)
        self._plan()

    # --- accessors ---------------------------------------------------------------------------

    @property
    def repos(self) -> Repositories:
        if self.storage.repos is None:
            raise RuntimeError("runtime not started")
        return self.storage.repos

    @cached_property
    def auth(self) -> AuthService:
        r, pw = self.repos, self.passwords  # built once, after the database opened
        return AuthService(users=r.users, sessions=r.sessions, audit=r.audit, clock=self.clock, passwords=pw)

    @property
    def board(self) -> SeatBoard | None:
        return self.seats.board

    @property
    def simulator(self) -> Simulator | None:
        return self.sim.simulator

    @property
    def bridge(self) -> AmiBridge | None:
        return self.ami.bridge

    # --- ConsoleBackend ----------------------------------------------------------------------

    async def components_now(self) -> list[dict[str, object]]:
        """console_web.routes.ConsoleBackend: the database's round trip on a worker thread; every
        other probe reads what the loop owns (the AMI link, the reconciler, the ASR server): here."""
        database = await offload(self.storage.probe)
        return self.components.status({"database": database})

    def scope_of(self, principal: Principal) -> Scope:
        return self.scopes.of(principal)

    def recent_calls(self, limit: int) -> list[CallRecord]:
        return self.repos.calls.recent(limit=limit)

    # --- lifecycle ---------------------------------------------------------------------------

    def _plan(self) -> None:
        s, add, store = self.settings, self.components.add, self.storage
        add(Component("bus", "事件总线", self.bus.start, self.bus.stop))
        add(Component("database", "数据库", store.open, store.close, probe=store.probe))
        # A web process: the telephony process's events through Redis (required), its board and
        # calls mirrored (`console_web.mirror`), routing's lookups for the screen pop; nothing
        # recorded, dialled or reconciled here.
        web = self.role == "web"
        if self.role == "speech":  # the transcripts it makes: recorded there, published to all
            add(Component.of("recorder", "转写留痕", self.trail))
            add(Component.of("redis", "Redis 事件分发", self.fanout, probe=self.fanout.probe))
            return self.components.extend(self.speech_part.components())
        if not web:
            add(Component.of("recorder", "通话留痕", self.trail))
            rec = self.recordings  # optional: a recording folder in trouble is an alert, calls go on
            add(Component.of("recordings", "通话录音", rec, probe=rec.probe, required=False))
        if web or s.redis.url:
            add(Component.of("redis", "Redis 事件分发", self.fanout, probe=self.fanout.probe, required=web))
        add(Component.of("routing", "地址与队列路由", self.routes, probe=self.routes.probe))
        add(Component.of("seats", "坐席状态（镜像）" if web else "坐席状态", self.seats))
        if web:
            trail, url = lambda call_id: self.repos.calls.trail(call_id), self.settings.web.telephony_url
            mirror = TelephonyMirror(url, self.internal_token, lambda: self.board, self.call_views, trail)
            add(Component.of("mirror", "电话进程实时状态", mirror))
            return
        if self.speech_part.enabled:
            self.components.extend(self.speech_part.components())
        if s.agi.enabled:
            add(Component.of("agi", "语音导航（FastAGI）", self.ivr))
        if s.sim.enabled:
            add(Component.of("simulator", "PBX 模拟器", self.sim))
        records = s.asterisk_records
        if s.ami.enabled or records.queue_log or records.cdr_csv or records.database_url:
            # Before the AMI link, to hear its first snapshot (that closes calls a restart left open).
            label = "话单与队列日志核对"
            add(Component.of("records", label, self.records, probe=self.records.probe, required=False))
        if s.ami.enabled:
            ami, probe = self.ami, self.ami.probe
            add(Component.of("ami", "AMI 桥接", ami, probe=probe, required=False, announces_itself=True))
            add(Component.of("callbacks", "回拨工单", self.callback_part))
            if self.speech_part.enabled:
                add(Component.once("tap", "实时转写接入", self._start_tap, required=False))
        add(Component.once("ivr-outcomes", "满意度与回拨请求", self._start_ivr_outcomes))
        add(Component.once("appointments", "预约与短信", self._start_appointments))
        if s.sim.enabled and s.sim.auto_login_seats:
            add(Component.once("demo-seats", "演示坐席自动签入", self._start_demo_seats, required=False))

    @property
    def internal_token(self) -> str:
        return internal_token(self.settings.web.session_secret.get_secret_value())

    async def start(self) -> None:
        await start_process(self.components, self.loopwatch, self.bus.publish, self.clock)

    async def stop(self) -> None:
        await stop_process(self.components, self.loopwatch)

    # --- what one part hands the next --------------------------------------------------------

    def _seed_demo(self, repos: Repositories) -> None:
        seed_demo(repos, self.passwords.hash(DEMO_ADMIN_PASSWORD))

    def _callback_service(self) -> CallbackService:
        board, control, days = self.board, self.ami.control, self.settings.callbacks.follow_up_days
        assert board is not None and control is not None
        return callback_service(self.repos, board, control, self.bus, self.clock, self.calendar, days)

    async def _start_tap(self) -> None:
        assert self.ami.control is not None
        streams = self.speech.tap_streams()
        LiveTranscriptTap(
            bus=self.bus, control=self.ami.control, tracker=self.tracker, streams=streams
        ).subscribe()

    async def _start_appointments(self) -> None:
        registry, db = self.routes.office_registry, self.repos.db
        subscribe_appointments(
            self.bus, db, registry=registry, calendar=self.calendar, sms=self.sms, clock=self.clock
        )

    async def _start_ivr_outcomes(self) -> None:
        callbacks = self.callback_part.service
        handle = self.journals.guard("ivr-outcomes", IvrOutcomes(self.repos, callbacks).handle)
        self.bus.subscribe("ivr-outcomes", handle, types=IvrOutcomes.EVENT_TYPES)

    async def _start_demo_seats(self) -> None:
        await self.seats.staff_demo(sid for sid, *_ in DEMO_SEATS)
