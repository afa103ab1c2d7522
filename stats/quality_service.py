"""The quality inspection use cases (质检): filling the queue, the inspector's queue and scoring, the
seat's scores and appeals, the form and rule an admin sets, and the QC report per seat and team.

Who may do what (the routes check the roles, this service the scope, `core.access.Scope`):
* inspectors (质检员) and supervisors read the queue of their scope; inspectors score;
* a seat reads its own scored inspections and may appeal each once, with a reason;
* an inspector, a supervisor (of the seat's scope) or an admin decides an appeal: upheld, the
  score is changed (on the form the inspection was scored with), the first score is kept; never
  the one who scored it (a 403: another inspector, a supervisor or an admin reviews it);
* a seat flags its own call for QC, a supervisor or inspector any call of their scope (a complaint);
* admins set the sampling rule, the scoring form (a new version per edit) and the phrase lists of
  the automatic transcript check (服务禁语, 规范开头语和结束语).

Every method is synchronous and may block (database reads and writes): async callers go through
`core.blocking.offload`; the routes are plain `def`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from core.access import Principal, Role, Scope, call_keys
from core.asr_events import PostCallTranscriptReady
from core.blocking import offload
from core.call_events import CallEnded
from core.calls import AnsweredCall, CallRecord, TranscriptLine
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.events import DomainEvent, StateResynced
from core.ids import CallId
from core.ivr_events import SurveyAnswered
from stats.models import Satisfaction
from stats.ports import CallHistory, Directory, SurveyHistory
from stats.quality import (
    EVERY_QC_ITEM,
    QC_TARGET_PERCENT,
    SCORED_STATUSES,
    FormItem,
    QcFilter,
    QcForm,
    QcItem,
    QcPhrases,
    QcReason,
    QcRule,
    QcStatus,
    answered,
    checked_items,
    draw,
    transcript_marks,
    week_start,
)
from stats.reports import china_day_start

NOTE_MAX = 500
SWEEP_SPACING = 10.0
"""Sweeps are this many times as long apart as the last one took, at the least (`follow`)."""

log = logging.getLogger(__name__)


class QcStore(Protocol):
    """The QC queue, forms and rule (`store.quality.QualityRepository`)."""

    def find(self, call_id: CallId) -> QcItem | None: ...

    def reasons_since(self, start: datetime) -> dict[str, tuple[QcReason, ...]]:
        """The reasons of every call in the queue offered at `start` or later."""
        ...

    def enqueue(self, item: QcItem) -> QcItem:
        """Add `item`, or, for a call already queued, add its reasons (and flag note) to the entry."""
        ...

    def save(self, item: QcItem) -> None: ...

    def search(self, wanted: QcFilter = EVERY_QC_ITEM) -> list[QcItem]: ...

    def form(self, version: int | None = None) -> QcForm:
        """The form of that version (None: the current one); the default form is version 1."""
        ...

    def add_form(self, items: Sequence[FormItem], *, by: str, at: datetime) -> QcForm: ...

    def rule(self) -> QcRule: ...

    def set_rule(self, rule: QcRule, *, by: str, at: datetime) -> None: ...

    def phrases(self) -> QcPhrases:
        """The transcript check's phrase lists an admin set (the defaults until then)."""
        ...

    def set_phrases(self, phrases: QcPhrases, *, by: str, at: datetime) -> None: ...


class CallArchive(CallHistory, Protocol):
    def find(self, call_id: CallId) -> CallRecord | None: ...
    def answered_between(self, start: datetime, end: datetime) -> list[AnsweredCall]: ...


class Transcripts(Protocol):
    def for_call(self, call_id: CallId) -> Sequence[TranscriptLine]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class QcDetail:
    item: QcItem
    call: CallRecord | None
    transcript: Sequence[TranscriptLine]
    form: QcForm
    seat_name: str
    team_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QcListed:
    item: QcItem
    seat_name: str
    team_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QcQueue:
    items: list[QcListed]
    teams: dict[str, str]  # the scope's teams and seats (id: name), for the filters
    seats: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class QcReportRow:
    key: str
    label: str
    answered: int
    sampled: int
    inspected: int
    coverage: float | None  # inspected / answered
    average_score: float | None  # the mean of scores as a share of their form's maximum
    meets_target: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class QcReport:
    scope: str
    first: date
    last: date
    target: float
    seats: list[QcReportRow]
    teams: list[QcReportRow]
    total: QcReportRow


def _row(key: str, label: str, answered_n: int, items: Sequence[QcItem]) -> QcReportRow:
    scored = [i for i in items if i.status in SCORED_STATUSES and i.percent is not None]
    coverage = len(scored) / answered_n if answered_n else None
    return QcReportRow(
        key=key,
        label=label,
        answered=answered_n,
        sampled=len(items),
        inspected=len(scored),
        coverage=coverage,
        average_score=sum(i.percent or 0.0 for i in scored) / len(scored) if scored else None,
        meets_target=answered_n == 0 or (coverage or 0.0) * 100 >= QC_TARGET_PERCENT,
    )


def _note(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput(f"请填写{what}")
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"{what}不能超过 {NOTE_MAX} 字")
    return text


@dataclass
class QualityService:
    store: QcStore
    calls: CallArchive
    surveys: SurveyHistory
    transcripts: Transcripts
    directory: Directory
    clock: Clock
    settle_s: float = 5.0  # a sweep waits this long after the call event that asked for it
    _pending: asyncio.Task[None] | None = field(default=None, init=False)
    _ended: set[str] = field(default_factory=set, init=False)  # calls ended since the last sweep
    _running: bool = field(default=False, init=False)
    _again: bool = field(default=False, init=False)  # asked for while a sweep ran: one more after it
    _cost_s: float = field(default=0.0, init=False)  # how long the last sweep took

    # --- filling the queue ------------------------------------------------------------------------

    def sweep(self, now: datetime | None = None) -> int:
        """Draw this week's and last week's calls into the queue; the number of entries added to."""
        now = now or self.clock.now()
        start = china_day_start(week_start(now) - timedelta(days=7))
        end = china_day_start(week_start(now) + timedelta(days=7))  # the week's end: a faster PBX clock too
        calls = self.calls.answered_between(start, end)
        unhappy = [
            a.call_id for a in self.surveys.between(start, end) if a.score is Satisfaction.DISSATISFIED
        ]
        due = draw(self.store.rule(), calls, dissatisfied=unhappy, queued=self.store.reasons_since(start))
        by_id = {c.id: c for c in calls}
        teams = self._seat_teams()
        for call_id, reasons in due.items():
            self.store.enqueue(self._entry(by_id[call_id], reasons, teams, now))
        return len(due)

    async def follow(self, event: DomainEvent) -> None:
        """Bus handler: a call ended, a survey answered or the PBX resynced (a start) asks for a sweep,
        `settle_s` later (the recorder writes the call meanwhile); the events of those seconds share
        one sweep, and one asked for while a sweep runs is made after it, never beside it. Sweeps
        are spaced `SWEEP_SPACING` times as long as the last one took at the least: two weeks of a
        province's calls cost a worker thread about a tenth of its time, however busy the lines
        (bench/qc_sweep.py). A sweep left pending when the loop closes is cancelled with it."""
        if isinstance(event, CallEnded | PostCallTranscriptReady):
            # A post-call transcript (录音转写) comes after the call's end: its lines are checked then.
            self._ended.add(event.call_id)
        if not isinstance(event, CallEnded | SurveyAnswered | StateResynced | PostCallTranscriptReady):
            return
        if self._pending is not None:
            self._again = self._again or self._running
            return
        self._pending = asyncio.create_task(self._sweeps(), name="qc-sweep")

    async def _sweeps(self) -> None:
        try:
            while True:
                await asyncio.sleep(max(self.settle_s, SWEEP_SPACING * self._cost_s))
                self._again, self._running = False, True
                ended, self._ended = self._ended, set()
                started = time.monotonic()
                try:
                    await offload(self.sweep)
                    await offload(self.check_transcripts, ended)
                except Exception:  # the database down, say: the next sweep checks these calls' transcripts
                    self._ended |= ended
                    log.exception("QC sweep failed")
                finally:
                    self._running, self._cost_s = False, time.monotonic() - started
                if not self._again:
                    return
        finally:
            self._pending = None

    def check_transcripts(self, call_ids: Iterable[str]) -> int:
        """The automatic check of each call's transcript (`transcript_marks`, on the phrase lists
        stored now): a call with marks enters the queue with them (the places in its recording).
        The number of calls marked."""
        marked = 0
        teams: dict[str, str] | None = None
        phrases: QcPhrases | None = None
        for call_id in call_ids:
            phrases = phrases if phrases is not None else self.store.phrases()
            marks = transcript_marks(self.transcripts.for_call(CallId(call_id)), phrases)
            call = self.calls.find(CallId(call_id)) if marks else None
            if call is None or call.answered_at is None or call.seat_id is None:
                continue
            teams = teams if teams is not None else self._seat_teams()
            entry = self._entry(call, {QcReason.TRANSCRIPT}, teams, self.clock.now())
            self.store.enqueue(replace(entry, marks=tuple(marks)))
            marked += 1
        return marked

    def flag(self, principal: Principal, call_id: CallId, note: str) -> QcItem:
        """Put a call in the queue on a complaint: the seat's own call, or one of the scope's."""
        text = _note(note, "送检原因")
        call = self.calls.find(call_id)
        if call is None or not self._sees(principal, call.queue, call.seat_id, call.district_code):
            raise NotFound("通话不存在", call_id=call_id)
        if call.answered_at is None or call.seat_id is None:
            raise InvalidInput("只有坐席接听过的通话可以送检", call_id=call_id)
        entry = self._entry(call, {QcReason.FLAGGED}, self._seat_teams(), self.clock.now())
        return self.store.enqueue(replace(entry, flag_note=text))

    def _entry(
        self,
        call: CallRecord | AnsweredCall,
        reasons: Iterable[QcReason],
        teams: Mapping[str, str],
        now: datetime,
    ) -> QcItem:
        seat = call.seat_id or ""
        return QcItem(
            call_id=call.id,
            seat_id=seat,
            team_id=teams.get(seat),
            queue=call.queue,
            district_code=call.district_code,
            call_at=call.offered_at,
            talk_seconds=call.talk_seconds,
            reasons=tuple(sorted(reasons, key=list(QcReason).index)),
            created_at=now,
        )

    # --- reading ----------------------------------------------------------------------------------

    def _seat_teams(self) -> dict[str, str]:
        return {s.id: s.team_id for s in self.directory.seats()}

    def _scope(self, principal: Principal) -> Scope:
        return Scope.of(principal, self.directory.teams(), self.directory.seats())

    def _sees(self, principal: Principal, queue: str | None, seat: str | None, district: str | None) -> bool:
        if principal.role is Role.SEAT:
            return seat is not None and seat == principal.seat_id
        return self._scope(principal).sees_keys(call_keys(queue, seat, district))

    def _visible(self, principal: Principal, call_id: CallId) -> QcItem:
        item = self.store.find(call_id)
        if item is None or not self._sees(principal, item.queue, item.seat_id, item.district_code):
            raise NotFound("质检记录不存在", call_id=call_id)
        if principal.role is Role.SEAT and item.status not in SCORED_STATUSES:
            raise NotFound("质检记录不存在", call_id=call_id)
        return item

    def _names(self) -> tuple[dict[str, str], dict[str, str]]:
        return {s.id: s.name for s in self.directory.seats()}, {t.id: t.name for t in self.directory.teams()}

    def _listed(self, items: Iterable[QcItem]) -> list[QcListed]:
        seats, teams = self._names()
        return [
            QcListed(
                item=i, seat_name=seats.get(i.seat_id, i.seat_id), team_name=teams.get(i.team_id or "", "")
            )
            for i in items
        ]

    def queue(
        self,
        principal: Principal,
        *,
        team_id: str | None = None,
        seat_id: str | None = None,
        reason: QcReason | None = None,
        status: QcStatus | None = None,
        limit: int = 500,
    ) -> QcQueue:
        scope = self._scope(principal)
        if team_id is not None and not scope.sees_team(team_id):
            raise NotFound("团队不存在或不在您的范围内", team_id=team_id)
        found = self.store.search(QcFilter(seat_id=seat_id, team_id=team_id, status=status, limit=10_000))
        mine = [
            i
            for i in found
            if (reason is None or reason in i.reasons)
            and scope.sees_keys(call_keys(i.queue, i.seat_id, i.district_code))
        ]
        seats, teams = self._names()
        return QcQueue(
            items=self._listed(mine[:limit]),
            teams={t: n for t, n in teams.items() if scope.citywide or t in scope.team_ids},
            seats={s: n for s, n in seats.items() if scope.citywide or s in scope.seat_ids},
        )

    def mine(self, principal: Principal) -> list[QcListed]:
        """A seat's scored inspections, newest first."""
        if principal.seat_id is None:
            return []
        found = self.store.search(QcFilter(seat_id=principal.seat_id, limit=10_000))
        return self._listed(i for i in found if i.status in SCORED_STATUSES)

    def detail(self, principal: Principal, call_id: CallId) -> QcDetail:
        item = self._visible(principal, call_id)
        seats, teams = self._names()
        return QcDetail(
            item=item,
            call=self.calls.find(call_id),
            transcript=self.transcripts.for_call(call_id),
            form=self.store.form(item.form_version),
            seat_name=seats.get(item.seat_id, item.seat_id),
            team_name=teams.get(item.team_id or "", ""),
        )

    # --- scoring and appeals ----------------------------------------------------------------------

    def score(self, principal: Principal, call_id: CallId, scores: Mapping[str, int], comment: str) -> QcItem:
        item = self._visible(principal, call_id)
        if item.status is not QcStatus.PENDING:
            raise Conflict("该通话已评分；修改分数须经申诉复核", call_id=call_id)
        form = self.store.form()
        total = form.total(scores)
        scored = replace(
            item,
            status=QcStatus.SCORED,
            form_version=form.version,
            scores=dict(scores),
            total=total,
            max_total=form.max_total,
            comment=comment.strip()[:NOTE_MAX],
            inspector=principal.user_id,
            scored_at=self.clock.now(),
        )
        self.store.save(scored)
        return scored

    def appeal(self, principal: Principal, call_id: CallId, reason: str) -> QcItem:
        item = self._visible(principal, call_id)
        if item.appealed_at is not None:
            raise Conflict("每次质检只能申诉一次", call_id=call_id)
        text = _note(reason, "申诉理由")
        appealed = replace(item, status=QcStatus.APPEALED, appeal_reason=text, appealed_at=self.clock.now())
        self.store.save(appealed)
        return appealed

    def decide(
        self,
        principal: Principal,
        call_id: CallId,
        *,
        upheld: bool,
        note: str,
        scores: Mapping[str, int] | None = None,
    ) -> QcItem:
        item = self._visible(principal, call_id)
        if item.status is not QcStatus.APPEALED:
            raise Conflict("该质检没有待处理的申诉", call_id=call_id)
        if item.inspector is not None and item.inspector == principal.user_id:
            raise PermissionDenied(
                "不能复核自己评分的申诉，请由其他质检员、班长或管理员处理", call_id=call_id
            )
        text = _note(note, "复核意见")
        decided = replace(item, decision_note=text, decided_by=principal.user_id, decided_at=self.clock.now())
        if not upheld:
            decided = replace(decided, status=QcStatus.REJECTED)
        else:
            if scores is None:
                raise InvalidInput("申诉成立时请填写复核后的分数")
            total = self.store.form(item.form_version).total(scores)
            decided = replace(
                decided, status=QcStatus.UPHELD, scores=dict(scores), total=total, original_total=item.total
            )
        self.store.save(decided)
        return decided

    # --- the form and the rule --------------------------------------------------------------------

    def form(self) -> QcForm:
        return self.store.form()

    def set_form(self, principal: Principal, items: Sequence[FormItem]) -> QcForm:
        return self.store.add_form(checked_items(items), by=principal.user_id, at=self.clock.now())

    def rule(self) -> QcRule:
        return self.store.rule()

    def set_rule(self, principal: Principal, rule: QcRule) -> QcRule:
        self.store.set_rule(rule.checked(), by=principal.user_id, at=self.clock.now())
        return rule

    def phrases(self) -> QcPhrases:
        return self.store.phrases()

    def set_phrases(self, principal: Principal, phrases: QcPhrases) -> tuple[QcPhrases, QcPhrases]:
        """Store the checked lists; (before, after) for the audit. Calls checked from now on use them."""
        checked = phrases.checked()
        before = self.store.phrases()
        self.store.set_phrases(checked, by=principal.user_id, at=self.clock.now())
        return before, checked

    # --- the report -------------------------------------------------------------------------------

    def report(self, principal: Principal, first: date, last: date) -> QcReport:
        if last < first:
            raise InvalidInput("结束日期不能早于开始日期")
        if (last - first).days > 366:
            raise InvalidInput("报表时段不能超过一年")
        scope = self._scope(principal)
        start, end = china_day_start(first), china_day_start(last + timedelta(days=1))
        calls = [c for c in self.calls.between(start, end) if answered(c) and scope.sees_call(c)]
        items = [
            i
            for i in self.store.search(QcFilter(start=start, end=end, limit=1_000_000))
            if scope.sees_keys(call_keys(i.queue, i.seat_id, i.district_code))
        ]
        seat_names, team_names = self._names()
        seat_team = self._seat_teams()
        answered_by: dict[str, int] = defaultdict(int)
        for call in calls:
            answered_by[call.seat_id or ""] += 1
        items_by: dict[str, list[QcItem]] = defaultdict(list)
        for item in items:
            items_by[item.seat_id].append(item)
        seat_ids = sorted(set(answered_by) | set(items_by))
        seats = [_row(s, seat_names.get(s, s), answered_by[s], items_by[s]) for s in seat_ids]
        team_ids = sorted({seat_team.get(s, "") for s in seat_ids})
        teams = [
            _row(
                t,
                team_names.get(t, "（未分组）"),
                sum(answered_by[s] for s in seat_ids if seat_team.get(s, "") == t),
                [i for s in seat_ids if seat_team.get(s, "") == t for i in items_by[s]],
            )
            for t in team_ids
        ]
        total = _row("", "合计", len(calls), items)
        return QcReport(
            scope=scope.label, first=first, last=last, target=QC_TARGET_PERCENT / 100,
            seats=seats, teams=teams, total=total,
        )  # fmt: skip
