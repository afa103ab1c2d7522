"""Quality inspection (质检): what enters the inspectors' queue, the scoring form, scores and appeals
(pure: no I/O; `stats.quality_service` runs it over the store).

The sampling rule (`QcRule`, set by an admin): every week (Monday to Sunday, China time) at least
`sample_percent` % of each seat's answered calls are drawn at random, plus every call with a
dissatisfied survey answer, every call a seat or supervisor flagged (a complaint) and every call of
unusual length (talk shorter than `short_talk_s`, or longer than `long_talk_factor` times the seat's
median talk of that week once it has `median_min_calls` calls). The draw is deterministic: the
candidates are taken in the order of a hash of their call id, so drawing again over the same calls
draws nothing new, and a growing week only adds the next ones. A call enters the queue once; a
further reason is added to its entry.

The scoring form (`QcForm`) is versioned: an edit makes a new version, and a scored inspection
keeps the version it was scored with.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.calls import AnsweredCall, CallRecord, TranscriptLine
from core.errors import InvalidInput
from core.ids import CallId
from core.labels import LabelledEnum
from stats.reports import china_day

QC_TARGET_PERCENT = 5.0


class QcReason(LabelledEnum):
    RANDOM = "random", "随机抽检"
    DISSATISFIED = "dissatisfied", "不满意评价"
    FLAGGED = "flagged", "投诉或标记"
    SHORT_TALK = "short_talk", "通话过短"
    LONG_TALK = "long_talk", "通话过长"
    TRANSCRIPT = "transcript", "转写自动提示"


class QcStatus(LabelledEnum):
    PENDING = "pending", "待质检"
    SCORED = "scored", "已评分"
    APPEALED = "appealed", "申诉中"
    UPHELD = "upheld", "申诉成立"
    REJECTED = "rejected", "申诉驳回"


SCORED_STATUSES = frozenset({QcStatus.SCORED, QcStatus.APPEALED, QcStatus.UPHELD, QcStatus.REJECTED})


@dataclass(frozen=True, slots=True, kw_only=True)
class QcRule:
    sample_percent: float = QC_TARGET_PERCENT
    short_talk_s: float = 20.0
    long_talk_factor: float = 3.0
    median_min_calls: int = 5

    def checked(self) -> QcRule:
        if not QC_TARGET_PERCENT <= self.sample_percent <= 100:
            raise InvalidInput(
                f"随机抽检比例应在 {QC_TARGET_PERCENT:g}% 到 100% 之间", value=self.sample_percent
            )
        if not 0 <= self.short_talk_s <= 600:
            raise InvalidInput("通话过短的界限应在 0 到 600 秒之间", value=self.short_talk_s)
        if not 1.5 <= self.long_talk_factor <= 20:
            raise InvalidInput("通话过长的倍数应在 1.5 到 20 之间", value=self.long_talk_factor)
        if not 1 <= self.median_min_calls <= 1000:
            raise InvalidInput("计算中位数所需的最少通话数应在 1 到 1000 之间", value=self.median_min_calls)
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class FormItem:
    key: str
    label: str
    max_score: int
    description: str = ""


DEFAULT_FORM_ITEMS: tuple[FormItem, ...] = (
    FormItem(key="greeting", label="开头语/问候", max_score=10, description="使用规范开头语，主动报工号、问候来电人"),
    FormItem(key="standard_phrases", label="规范用语", max_score=20, description="使用服务规范用语，语气亲切、表达清楚"),
    FormItem(key="legal_accuracy", label="法律解答准确", max_score=40, description="法律依据正确，解答完整，指引恰当"),
    FormItem(key="forbidden_phrases", label="服务禁语", max_score=20, description="未使用服务禁语；每出现一次扣分"),
    FormItem(key="closing", label="结束语", max_score=10, description="使用规范结束语，确认来电人无其他问题"),
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class QcForm:
    version: int
    items: tuple[FormItem, ...]
    created_at: datetime | None = None
    created_by: str = ""

    @property
    def max_total(self) -> int:
        return sum(i.max_score for i in self.items)

    def total(self, scores: Mapping[str, int]) -> int:
        """The sum of `scores`, one per item of this form, each from 0 to its item's maximum."""
        keys = {i.key for i in self.items}
        unknown = sorted(set(scores) - keys)
        if unknown:
            raise InvalidInput("评分项不属于该质检表", items=unknown)
        for item in self.items:
            if item.key not in scores:
                raise InvalidInput(f"请为“{item.label}”评分", item=item.key)
            value = scores[item.key]
            if not 0 <= value <= item.max_score:
                raise InvalidInput(f"“{item.label}”的得分应在 0 到 {item.max_score} 之间", item=item.key)
        return sum(scores.values())


DEFAULT_FORM = QcForm(version=1, items=DEFAULT_FORM_ITEMS)


FORM_MAX_ITEMS = 30
_ITEM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def checked_items(items: Sequence[FormItem]) -> tuple[FormItem, ...]:
    """A new form's items: 1 to 30, unique keys of lower-case letters, digits and `_`, labels of up
    to 40 characters, descriptions of up to 200, maxima from 1 to 100."""
    if not items:
        raise InvalidInput("质检表至少需要一个评分项")
    if len(items) > FORM_MAX_ITEMS:
        raise InvalidInput(f"质检表最多 {FORM_MAX_ITEMS} 个评分项")
    if len({i.key for i in items}) != len(items):
        raise InvalidInput("评分项编号不能重复")
    for item in items:
        if not _ITEM_KEY.match(item.key):
            raise InvalidInput(
                "评分项编号应以小写字母开头，只含小写字母、数字和下划线，最长 40 个字符", item=item.key
            )
        if not item.label.strip() or len(item.label) > 40:
            raise InvalidInput("评分项名称不能为空，最长 40 个字", item=item.key)
        if len(item.description) > 200:
            raise InvalidInput(f"“{item.label}”的说明最长 200 字", item=item.key)
        if not 1 <= item.max_score <= 100:
            raise InvalidInput(f"“{item.label}”的满分应在 1 到 100 之间", item=item.key)
    return tuple(items)


class MarkKind(LabelledEnum):
    FORBIDDEN = "forbidden", "服务禁语"
    NO_GREETING = "no_greeting", "缺少开头语"
    NO_CLOSING = "no_closing", "缺少结束语"
    SILENCE = "silence", "长时间静默"


@dataclass(frozen=True, slots=True, kw_only=True)
class QcMark:
    """What the automatic check of a call's transcript found, and where: `at_s` seconds into the
    call's audio (the transcript's clock, the recording's too)."""

    kind: MarkKind
    at_s: float
    text: str = ""


# The automatic transcript check (issue 15, item 4): phrases after DB32/T 3837-2020's lists of
# standard and forbidden phrases (服务规范用语和服务禁语). These are the default lists: an admin
# edits them (`QcPhrases`, stored by `stats.quality_service.QcStore`; migration 0021 seeds these).
FORBIDDEN_PHRASES = ("不知道", "不归我们管", "我也没办法", "你自己看着办", "听不懂吗", "有完没完", "不清楚")
GREETINGS = ("您好", "你好")
CLOSINGS = ("再见", "感谢您的来电", "感谢来电", "还有其他问题", "还有什么问题")
GREETING_WITHIN_S = 20.0
CLOSING_LAST_LINES = 3
SILENCE_S = 15.0
PHRASE_MAX_CHARS = 20
PHRASES_MAX = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class QcPhrases:
    """The phrase lists of the automatic transcript check: the forbidden phrases (服务禁语) and the
    standard greetings and closings (服务规范用语)."""

    forbidden: tuple[str, ...] = FORBIDDEN_PHRASES
    greetings: tuple[str, ...] = GREETINGS
    closings: tuple[str, ...] = CLOSINGS

    def checked(self) -> QcPhrases:
        """The lists with each phrase trimmed: each list of 1 to `PHRASES_MAX` phrases, none empty,
        none longer than `PHRASE_MAX_CHARS`, none twice in its list."""
        return QcPhrases(
            forbidden=_checked_phrases(self.forbidden, "服务禁语"),
            greetings=_checked_phrases(self.greetings, "开头语"),
            closings=_checked_phrases(self.closings, "结束语"),
        )


def _checked_phrases(phrases: Sequence[str], what: str) -> tuple[str, ...]:
    trimmed = tuple(p.strip() for p in phrases)
    if not trimmed:
        raise InvalidInput(f"{what}列表至少需要一条")
    if len(trimmed) > PHRASES_MAX:
        raise InvalidInput(f"{what}列表最多 {PHRASES_MAX} 条")
    for phrase in trimmed:
        if not phrase:
            raise InvalidInput(f"{what}不能为空")
        if len(phrase) > PHRASE_MAX_CHARS:
            raise InvalidInput(f"{what}“{phrase}”过长：每条最多 {PHRASE_MAX_CHARS} 个字", phrase=phrase)
    repeated = sorted({p for p in trimmed if trimmed.count(p) > 1})
    if repeated:
        raise InvalidInput(f"{what}重复：{'、'.join(repeated)}", phrases=repeated)
    return trimmed


DEFAULT_PHRASES = QcPhrases()


def transcript_marks(lines: Sequence[TranscriptLine], phrases: QcPhrases = DEFAULT_PHRASES) -> list[QcMark]:
    """The marks of one call's final transcript: each forbidden phrase the seat said, a greeting
    missing from the seat's first `GREETING_WITHIN_S` seconds, a closing missing from its last
    lines, and every silence of `SILENCE_S` seconds or more on both legs (`phrases`: the lists an
    admin set). Nothing without the seat's speech (no transcript to judge).

    Without a live transcript of the seat, the post-call transcript of the recording (leg `mixed`,
    issue 18) is judged instead: it holds both voices, so a forbidden phrase may be the caller's;
    the marks are prompts for the inspector, who listens to the recording before scoring."""
    finals = sorted((line for line in lines if line.final), key=lambda line: line.start_s)
    seat = [line for line in finals if line.leg == "seat"]
    if not seat:
        seat = [line for line in finals if line.leg == "mixed"]
        finals = seat  # the live caller lines (if any) and the recording's would count silences twice
    if not seat:
        return []
    marks = [
        QcMark(kind=MarkKind.FORBIDDEN, at_s=line.start_s, text=phrase)
        for line in seat
        for phrase in phrases.forbidden
        if phrase in line.text
    ]
    opening = [line for line in seat if line.start_s <= seat[0].start_s + GREETING_WITHIN_S]
    if not any(g in line.text for line in opening for g in phrases.greetings):
        marks.append(QcMark(kind=MarkKind.NO_GREETING, at_s=seat[0].start_s))
    if not any(c in line.text for line in seat[-CLOSING_LAST_LINES:] for c in phrases.closings):
        marks.append(QcMark(kind=MarkKind.NO_CLOSING, at_s=seat[-1].start_s))
    heard_until = finals[0].end_s
    for line in finals[1:]:
        if line.start_s - heard_until >= SILENCE_S:
            marks.append(
                QcMark(kind=MarkKind.SILENCE, at_s=heard_until, text=f"{line.start_s - heard_until:.0f} 秒")
            )
        heard_until = max(heard_until, line.end_s)
    return sorted(marks, key=lambda m: m.at_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class QcFilter:
    """Which QC entries a search finds (every one: the defaults): of `seat_id`, of `team_id`, in
    `status`, of calls offered from `start` to before `end`; `limit` of them, newest call first."""

    seat_id: str | None = None
    team_id: str | None = None
    status: QcStatus | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 500


EVERY_QC_ITEM = QcFilter()


@dataclass(frozen=True, slots=True, kw_only=True)
class QcItem:
    """One call in the QC queue, its score and its appeal. Keyed by the call id (the recording and
    the transcript are the call's)."""

    call_id: CallId
    seat_id: str
    team_id: str | None
    queue: str | None
    district_code: str | None
    call_at: datetime  # when the call was offered: the week and the report period it counts in
    talk_seconds: float | None
    reasons: tuple[QcReason, ...]
    flag_note: str = ""
    marks: tuple[QcMark, ...] = ()
    created_at: datetime
    status: QcStatus = QcStatus.PENDING
    form_version: int | None = None
    scores: Mapping[str, int] = field(default_factory=dict)
    total: int | None = None
    max_total: int | None = None
    comment: str = ""
    inspector: str | None = None
    scored_at: datetime | None = None
    original_total: int | None = None  # before an upheld appeal changed it
    appeal_reason: str = ""
    appealed_at: datetime | None = None
    decision_note: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def percent(self) -> float | None:
        """The score as a share of its form's maximum (forms of different versions compare)."""
        if self.total is None or not self.max_total:
            return None
        return self.total / self.max_total


def week_start(at: datetime) -> date:
    """The Monday (China time) of the week holding `at`."""
    day = china_day(at)
    return day - timedelta(days=day.weekday())


def draw_rank(call_id: str) -> str:
    """The order in which a week's calls are drawn at random: fixed per call id."""
    return hashlib.sha256(call_id.encode()).hexdigest()


def answered(call: CallRecord) -> bool:
    """An inbound call a seat answered, now over: what is sampled."""
    return AnsweredCall.of(call) is not None


def answered_calls(calls: Iterable[CallRecord]) -> list[AnsweredCall]:
    """The calls of `calls` that are sampled, as sampling reads them."""
    return [a for a in map(AnsweredCall.of, calls) if a is not None]


def draw(
    rule: QcRule,
    calls: Iterable[AnsweredCall],
    *,
    dissatisfied: Iterable[str],
    queued: Mapping[str, Iterable[QcReason]],
) -> dict[CallId, set[QcReason]]:
    """The reasons each call should now be in the queue for, beyond those it has (`queued`: the
    calls in the queue and their reasons). `calls`: every answered call of the weeks to draw from."""
    unhappy = set(dissatisfied)
    weeks: dict[tuple[str, date], list[AnsweredCall]] = defaultdict(list)
    for call in calls:
        weeks[(call.seat_id, week_start(call.offered_at))].append(call)
    new: dict[CallId, set[QcReason]] = defaultdict(set)
    for week in weeks.values():
        talks = [c.talk_seconds for c in week if c.talk_seconds is not None]
        median = statistics.median(talks) if len(talks) >= rule.median_min_calls else None
        for call in week:
            have = set(queued.get(call.id, ()))
            due: set[QcReason] = set()
            if call.id in unhappy:
                due.add(QcReason.DISSATISFIED)
            talk = call.talk_seconds
            if talk is not None and talk < rule.short_talk_s:
                due.add(QcReason.SHORT_TALK)
            if talk is not None and median is not None and talk > rule.long_talk_factor * median:
                due.add(QcReason.LONG_TALK)
            if due - have:
                new[call.id] |= due - have
        needed = math.ceil(rule.sample_percent / 100 * len(week))
        drawn = sum(1 for c in week if QcReason.RANDOM in set(queued.get(c.id, ())))
        for call in sorted(week, key=lambda c: draw_rank(c.id)):
            if drawn >= needed:
                break
            if QcReason.RANDOM not in set(queued.get(call.id, ())):
                new[call.id].add(QcReason.RANDOM)
                drawn += 1
    return dict(new)
