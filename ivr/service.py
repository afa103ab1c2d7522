"""The caller's first minute: greeting, service hours, menus, address lookup, routing.

Written against `ivr.ports.AgiChannel` only, so it runs the same over FastAGI and in memory.
The outcome goes back to Asterisk as channel variables (`ivr.variables.ChannelVar`) and to the
bus as `IvrRouted`; a caller who hangs up produces `IvrAbandoned` naming the step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from core import dialplan
from core.bus import EventPublisher
from core.clock import Clock
from core.ids import CallId, OfficeId
from core.ivr_events import (
    AppointmentRequested,
    CallbackReason,
    CallbackRequested,
    IvrAbandoned,
    IvrOutcome,
    IvrReason,
    IvrRouted,
    VoicemailLeft,
)
from ivr.errors import AgiError, CallerHungUp
from ivr.menu import MAIN_MENU, Action, MenuBook
from ivr.ports import (
    AddressChoice,
    AddressLookup,
    AddressVerdict,
    AgiChannel,
    QueueRouter,
    QueueWaitEstimator,
    ServiceHours,
    SpeechCapture,
    SpeechSynth,
)
from ivr.settings import VoicemailSettings
from ivr.variables import LINKEDID, ChannelVar
from routing.districts import DISTRICTS
from routing.nearest import AddressCandidate

log = logging.getLogger(__name__)

ALL_DIGITS = "0123456789*#"
# routing.address.AddressOutcome's values, as AddressVerdict carries them
FOUND = "found"
OUTSIDE = "outside"
AMBIGUOUS = "ambiguous"
NO_ADDRESS = "no_address"
BEEP = "beep"  # a tone, not a text: `ivr.prompts.TONES`


class _SpeechTimedOut(Exception):
    """`_hear` got no transcript within `speech_timeout_s` of the stream's end."""


_CODES = list(DISTRICTS)
DISTRICT_PAGES: tuple[dict[str, str], ...] = (
    {str(i): code for i, code in enumerate(_CODES[:8], 1)},
    {str(i): code for i, code in enumerate(_CODES[8:], 1)},
)
"""The keypad district menu (按键选择区) when recognition is too slow: Shanghai's 16 districts on
two pages of 8 (one key each, as the prompts district_menu_1 / district_menu_2 read them); 9 on
the first page turns to the second, * goes back, 0 asks for a person."""
NEXT_PAGE, PREVIOUS_PAGE, HUMAN_KEY = "9", "*", "0"


def _menu_keys(page: int) -> str:
    """`HOTLINE_DISTRICT_KEYS` of a keypad district page: what its prompt reads, key by key."""
    turn = (NEXT_PAGE, dialplan.KEYS_MORE) if page == 0 else (PREVIOUS_PAGE, dialplan.KEYS_BACK)
    return dialplan.district_keys([*DISTRICT_PAGES[page].items(), turn])


@dataclass
class _Session:
    call_id: CallId
    caller: str
    started: datetime
    where: str = "start"
    path: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    district: str | None = None
    office: OfficeId | None = None
    spoken_address: str = ""  # what the caller said at the address step (recognised text)
    address_outcome: str = ""  # what the lookup made of it, the last time (AddressVerdict)
    address_note: str = ""

    def chose(self, step: str, label: str) -> None:
        """The caller took a step of the menus: `step` for the path, `label` for people."""
        self.path.append(step)
        self.labels.append(label)

    def about(self, at: datetime) -> _CallerFacts:
        """What every IVR event says of the call it is about."""
        return {"at": at, "call_id": self.call_id, "caller_number": self.caller}


class _CallerFacts(TypedDict):
    at: datetime
    call_id: CallId
    caller_number: str


@dataclass(frozen=True, slots=True)
class _Decision:
    outcome: IvrOutcome
    reason: IvrReason
    why: str
    queue: str | None = None
    category: str | None = None


async def call_id_of(channel: AgiChannel) -> CallId:
    """Linkedid of the caller's channel; agi_uniqueid when Asterisk does not say."""
    return CallId(await channel.get_variable(LINKEDID) or channel.env.uniqueid)


class IvrService:
    """Runs one FastAGI `ivr` session."""

    def __init__(
        self,
        book: MenuBook,
        *,
        router: QueueRouter,
        hours: ServiceHours,
        waits: QueueWaitEstimator,
        lookup: AddressLookup,
        capture: SpeechCapture,
        synth: SpeechSynth,
        publisher: EventPublisher,
        clock: Clock,
        audiosocket_address: str = "127.0.0.1:9092",
        voicemail: VoicemailSettings | None = None,
    ) -> None:
        self._book = book
        self._cfg = book.settings
        self._router = router
        self._hours = hours
        self._waits = waits
        self._lookup = lookup
        self._capture = capture
        self._synth = synth
        self._publisher = publisher
        self._clock = clock
        self._audiosocket = audiosocket_address
        self._voicemail = voicemail or VoicemailSettings()

    async def run(self, ch: AgiChannel) -> None:
        s = _Session(call_id=CallId(ch.env.uniqueid), caller=ch.env.callerid, started=self._clock.now())
        try:
            s.call_id = await call_id_of(ch)
            await ch.answer()
            s.where = "greeting"
            barged = await ch.stream_file(self._p("greeting"), ALL_DIGITS)
            if self._hours.is_open(self._clock.now()):
                decision = await self._menus(ch, s, barged)
            else:
                decision = await self._after_hours(ch, s)
            s.where = "routing"
            await self._finish(ch, s, decision)
        except CallerHungUp:
            log.info("caller %s hung up in the IVR at %s", s.call_id, s.where)
            await self._publisher.publish(
                IvrAbandoned(
                    **s.about(self._clock.now()),
                    where=s.where,
                    path=tuple(s.path),
                    ivr_seconds=self._elapsed(s),
                    path_labels=tuple(s.labels),
                    address_note=s.address_note,
                )
            )

    # -- steps -------------------------------------------------------------------------------

    async def _menus(self, ch: AgiChannel, s: _Session, pending: str | None) -> _Decision:
        name = MAIN_MENU
        failures = 0
        while True:
            menu = self._book.menus[name]
            s.where = f"menu:{name}"
            if pending is not None:
                key, pending = pending, None
            else:
                key = await ch.get_data(self._p(menu.prompt), self._cfg.digit_timeout_s, 1)
            option = menu.options.get(key) if key else None
            if option is None:
                failures += 1
                reason = IvrReason.NO_INPUT if not key else IvrReason.INVALID_INPUT
                if failures >= self._cfg.max_tries:
                    return await self._human(ch, s, reason)
                await ch.stream_file(self._p("no_input" if not key else "invalid"))
                continue
            if option.action is Action.REPEAT:
                continue
            s.chose(f"{name}:{key}", option.label)
            if option.action is Action.HUMAN:
                return await self._human(ch, s, IvrReason.CALLER_ASKED_HUMAN)
            if option.action in (Action.MENU, Action.BACK):
                name = option.target if option.action is Action.MENU and option.target else MAIN_MENU
                failures = 0
                continue
            if option.action is Action.ADDRESS:
                return await self._address(ch, s)
            assert option.category is not None  # checked by the menu loader
            if option.announce:
                await ch.stream_file(self._p(option.announce))
            return await self._to_queue(ch, s, option.category, IvrReason.MENU_CHOICE)

    async def _human(self, ch: AgiChannel, s: _Session, reason: IvrReason) -> _Decision:
        await ch.stream_file(self._p("to_human"))
        return await self._to_queue(ch, s, self._cfg.human_category, reason)

    async def _to_queue(self, ch: AgiChannel, s: _Session, category: str, reason: IvrReason) -> _Decision:
        queue, why = self._router.choose(s.district, category, self._clock.now())
        estimate = await self._waits.estimate(queue)
        too_long = estimate.seconds is not None and estimate.seconds > self._cfg.long_wait_limit_s
        if estimate.full or too_long:
            s.where = "long_wait"
            key = await ch.get_data(self._p("long_wait_offer"), self._cfg.digit_timeout_s, 1)
            if key == "1":
                s.chose("long_wait:1", "预约回拨")
                return await self._callback(ch, s, CallbackReason.LONG_WAIT, queue, category)
        return _Decision(IvrOutcome.QUEUE, reason, why, queue, category)

    async def _after_hours(self, ch: AgiChannel, s: _Session) -> _Decision:
        s.where = "after_hours"
        key = await ch.get_data(self._p("after_hours"), self._cfg.digit_timeout_s, 1)
        if key == "1":
            s.chose("after_hours:1", "预约回拨")
            return await self._callback(ch, s, CallbackReason.AFTER_HOURS, None, None)
        if key == "2":
            s.chose("after_hours:2", "留言")
            return await self._leave_message(ch, s)
        queue = self._cfg.after_hours_queue
        return _Decision(IvrOutcome.QUEUE, IvrReason.AFTER_HOURS, "非工作时间，进入值班队列", queue, None)

    async def _callback(
        self, ch: AgiChannel, s: _Session, reason: CallbackReason, queue: str | None, category: str | None
    ) -> _Decision:
        # Published before the goodbye: the caller pressed 1, hanging up now must not lose it.
        await self._publisher.publish(
            CallbackRequested(
                **s.about(self._clock.now()),
                reason=reason,
                queue=queue,
                category=category,
                district_code=s.district,
                path=tuple(s.path),
            )
        )
        s.where = "callback_done"
        await ch.stream_file(self._p("callback_done"))
        why = "非工作时间预约回拨" if reason is CallbackReason.AFTER_HOURS else "等待时间过长，预约回拨"
        return _Decision(IvrOutcome.CALLBACK, IvrReason(reason.value), why, queue, category)

    async def _leave_message(self, ch: AgiChannel, s: _Session) -> _Decision:
        """Prompt, beep, then app_record's Record() into the voicemail folder: `#` or silence ends
        it, and so does hanging up (option k keeps what was said). Whatever happens, the message
        (or the fact that it could not be saved) is published before the caller can be lost."""
        vm = self._voicemail
        s.where = "voicemail"
        await ch.stream_file(self._p("voicemail_ask"))
        await ch.stream_file(self._p(BEEP))
        recording = vm.folder().recording_for(s.call_id)
        try:
            # q: the beep is ours (above); k: keep the file when the caller hangs up.
            code = await ch.exec("Record", f"{recording},{vm.silence_s},{vm.max_s},qk")
            status = await ch.get_variable("RECORD_STATUS") or ("ERROR" if code < 0 else "")
        except CallerHungUp:
            await self._message_left(s, recording, "HANGUP")
            raise
        except AgiError:
            log.exception("Record() failed for call %s", s.call_id)
            status = "ERROR"
        left = await self._message_left(s, recording, status or "ERROR")
        s.where = "voicemail_done"
        await ch.stream_file(self._p("voicemail_done" if left.saved else "voicemail_failed"))
        why = "非工作时间留言" if left.saved else "非工作时间留言（未能保存）"
        return _Decision(IvrOutcome.CALLBACK, IvrReason.VOICEMAIL, why)

    async def _message_left(self, s: _Session, recording: str, status: str) -> VoicemailLeft:
        event = VoicemailLeft(
            **s.about(self._clock.now()),
            recording=recording if status != "ERROR" else "",
            status=status,
            district_code=s.district,
            path=tuple(s.path),
        )
        await self._publisher.publish(event)
        return event

    async def _address(self, ch: AgiChannel, s: _Session) -> _Decision:
        reason = IvrReason.ADDRESS_NOT_RECOGNISED
        attempt = 0
        unusable = refused = False  # the last try gave no text or no place; the caller said no (2)
        while attempt < self._cfg.address_max_tries:
            attempt += 1
            unusable = refused = False
            s.where = "address:speak"
            await ch.stream_file(self._p("address_ask"))
            try:
                text = await self._hear(ch)
            except _SpeechTimedOut:
                return await self._district_keypad(ch, s)
            if not text:
                reason = IvrReason.ADDRESS_NOT_RECOGNISED
                unusable = True
                await ch.stream_file(self._p("address_not_heard"))
                continue
            s.spoken_address = text
            candidates = self._lookup.lookup(text)
            verdict = self._lookup.verdict(text)
            s.address_outcome, s.address_note = verdict.outcome, verdict.note
            if verdict.outcome == OUTSIDE:
                # Told plainly, never sent to a Shanghai place: 2 says it again (a misheard city),
                # anything else waits for a seat.
                reason = IvrReason.ADDRESS_UNKNOWN
                if await self._outside(ch, s, verdict) == "2" and attempt < self._cfg.address_max_tries:
                    continue
                return await self._human(ch, s, reason)
            if verdict.choices and self._synth.speaks_text:
                picked = await self._choose(ch, s, verdict.choices)
                if picked is None:  # 0, nothing or a wrong key: say it again, then a seat
                    reason = IvrReason.ADDRESS_UNKNOWN
                    continue
                # The caller settled it: the seat sees the place chosen, and the others it was among.
                others = "、".join(c.place for c in verdict.choices if c is not picked)
                s.address_outcome = FOUND
                s.address_note = f"来电人按键选定：{picked.place}（另有可能：{others}）"
                chosen = picked.office
                s.district = chosen.district_code
                s.office = chosen.office_id
                await ch.stream_file(await self._synth.prompt_for(self._readback(chosen)))
                return await self._appointment(ch, s, chosen, text)
            if not candidates:
                reason = IvrReason.ADDRESS_UNKNOWN
                unusable = verdict.outcome != AMBIGUOUS  # several places: a seat sees them all
                await ch.stream_file(self._p("address_unknown"))
                continue
            if verdict.outcome == AMBIGUOUS and not verdict.choices and self._synth.speaks_text:
                # More equal places than a keypad menu holds (五个果园村): no guess read back;
                # asked again with the street or town, then a seat who sees them all.
                reason = IvrReason.ADDRESS_UNKNOWN
                await ch.stream_file(self._p("address_ambiguous"))
                continue
            best = max(candidates, key=lambda c: c.confidence)
            choice = await self._confirm(ch, s, best)
            if choice == "1":
                s.chose("address:1", best.office_name)
                s.district = best.district_code
                s.office = best.office_id
                return await self._appointment(ch, s, best, text)
            if choice == "2":
                reason = IvrReason.ADDRESS_NOT_RECOGNISED
                refused = True
                continue
            return await self._human(
                ch, s, IvrReason.CALLER_ASKED_HUMAN if choice == "0" else IvrReason.NO_INPUT
            )
        if unusable or refused:
            # Asked again and still nothing usable (no text, or no place in it), or the caller
            # refused the office read back again: the keypad district menu rather than straight
            # to a seat (a robotic or accented voice, a noisy line, a place heard as another).
            return await self._district_keypad(ch, s, timed_out=False, failed=reason)
        return await self._human(ch, s, reason)

    async def _hear(self, ch: AgiChannel) -> str | None:
        """Stream the caller's voice to the ASR server and wait for its text: None when nothing
        was recognised; `_SpeechTimedOut` when no result came within `speech_timeout_s` of the
        stream's end (the caller stopped speaking; a slow decoder or a long decode queue)."""
        stream_id = str(uuid.uuid4())
        # Registered before the EXEC: the ASR server may finish before EXEC even returns.
        waiter = asyncio.ensure_future(self._capture.expect(stream_id))
        try:
            # Returns when the ASR server closes the stream (endpointing); AudioSocket then
            # reports -1, which is why exec() does not treat -1 as a hangup.
            await ch.exec("AudioSocket", f"{stream_id},{self._audiosocket}")
            try:
                text = await asyncio.wait_for(waiter, self._cfg.speech_timeout_s)
            except TimeoutError:
                log.warning("no transcript for AudioSocket stream %s in time", stream_id)
                raise _SpeechTimedOut(stream_id) from None
            return text.strip() if text else None
        finally:
            if not waiter.done():
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter

    async def _district_keypad(
        self, ch: AgiChannel, s: _Session, *, timed_out: bool = True, failed: IvrReason = IvrReason.NO_INPUT
    ) -> _Decision:
        """Recognition gave no text within `speech_timeout_s` (`timed_out`), or the address was
        asked again and still nothing usable was recognised (no text, or no place in it): the
        caller picks the district by key (two pages of 8, `DISTRICT_PAGES`) and the call goes to
        that district's queue. After `max_tries` wrong or missing keys the call goes to the
        city-wide queue (a seat), with `failed` as the reason. The step is on the path before the
        menu plays, so a caller who hangs up in it leaves that trace."""
        why = "语音识别超时" if timed_out else "未能识别地址"
        if timed_out:
            s.chose("address:asr_timeout", "语音识别超时，改为按键选区")
            s.address_outcome = "timeout"
        else:
            s.chose("address:unrecognised", "未能识别地址，改为按键选区")
            s.address_outcome = NO_ADDRESS
        s.address_note = f"{why}，来电人改用按键选择所在区"
        s.where = "address:district"
        await ch.stream_file(self._p("district_keypad_intro" if timed_out else "district_keypad_unheard"))
        page, failures = 0, 0
        while failures < self._cfg.max_tries:
            s.where = f"address:district:{page + 1}"
            await ch.set_variable(ChannelVar.DISTRICT_KEYS, _menu_keys(page))
            key = await ch.get_data(self._p(f"district_menu_{page + 1}"), self._cfg.digit_timeout_s, 1)
            if key == NEXT_PAGE and page == 0:
                page = 1
                continue
            if key == PREVIOUS_PAGE and page == 1:
                page = 0
                continue
            if key == HUMAN_KEY:
                s.chose("address:district:0", "人工服务")
                return await self._human(ch, s, IvrReason.CALLER_ASKED_HUMAN)
            code = DISTRICT_PAGES[page].get(key) if key else None
            if code is None:
                failures += 1
                await ch.stream_file(self._p("no_input" if not key else "invalid"))
                continue
            name = DISTRICTS[code]
            s.chose(f"address:district:{page + 1}:{key}", name)
            s.district = code
            s.address_note = f"{why}，来电人按键选择：{name}"
            await ch.stream_file(self._p("to_seat"))
            return await self._to_queue(ch, s, self._cfg.human_category, IvrReason.DISTRICT_KEYPAD)
        s.address_note = f"{why}，按键选区未成功，转全市人工"
        return await self._human(ch, s, failed)

    async def _choose(
        self, ch: AgiChannel, s: _Session, choices: tuple[AddressChoice, ...]
    ) -> AddressChoice | None:
        """Several named places fit what was said: read them (您说的地址可能是：按1，A；按2，B…；都不是
        请按0) and take the caller's key. The chosen place; None for 0, no key or a key that names
        no place (the caller is then asked for the address again)."""
        templates = self._book.templates
        items = "；".join(
            templates["address_choice_item"].format(key=i, place=c.place) for i, c in enumerate(choices, 1)
        )
        listing = await self._synth.prompt_for(templates["address_choices"].format(choices=items))
        keys = "0" + "".join(str(i) for i in range(1, len(choices) + 1))
        pairs = dialplan.district_keys((str(i), c.office.district_code) for i, c in enumerate(choices, 1))
        await ch.set_variable(ChannelVar.DISTRICT_KEYS, pairs)
        s.where = "address:choose"
        key = await ch.stream_file(listing, keys)
        if key is None:
            key = await ch.get_data(self._p("address_choose"), self._cfg.digit_timeout_s, 1)
        if key and key != "0" and key in keys:
            chosen = choices[int(key) - 1]
            s.chose(f"address:choice:{key}", chosen.place)
            return chosen
        if key != "0":
            await ch.stream_file(self._p("no_input" if not key else "invalid"))
        return None

    async def _outside(self, ch: AgiChannel, s: _Session, verdict: AddressVerdict) -> str:
        """Tell the caller the address is not in Shanghai (naming it where the synth speaks text):
        they may dial 12348 where they are, say the address again (2) or wait for a seat."""
        s.where = "address:outside"
        if verdict.elsewhere and self._synth.speaks_text:
            text = self._book.templates["address_outside_place"].format(place=verdict.elsewhere)
            prompt = await self._synth.prompt_for(text)
        else:
            prompt = self._p("address_outside")
        key = await ch.stream_file(prompt, "12")
        if key is None:
            key = await ch.get_data(self._p("address_outside_keys"), self._cfg.digit_timeout_s, 1)
        return key or ""

    def _readback(self, office: AddressCandidate) -> str:
        return self._book.templates["office_readback"].format(
            name=office.office_name, address=office.office_address, hours=office.opening_hours
        )

    async def _confirm(self, ch: AgiChannel, s: _Session, best: AddressCandidate) -> str:
        """Read the office back and ask 1 correct / 2 say again / 0 human; "" after max tries."""
        readback = await self._synth.prompt_for(self._readback(best))
        await ch.set_variable(ChannelVar.READBACK_DISTRICT, best.district_code)
        for _ in range(self._cfg.max_tries):
            s.where = "address:confirm"
            key = await ch.stream_file(readback, "012")
            if key is None:
                key = await ch.get_data(self._p("address_confirm"), self._cfg.digit_timeout_s, 1)
            if key in ("0", "1", "2"):
                return key
            await ch.stream_file(self._p("no_input" if not key else "invalid"))
        return ""

    async def _appointment(
        self, ch: AgiChannel, s: _Session, office: AddressCandidate, text: str
    ) -> _Decision:
        for _ in range(self._cfg.max_tries):
            s.where = "address:appointment"
            key = await ch.get_data(self._p("appointment_offer"), self._cfg.digit_timeout_s, 1)
            if key == "1":
                s.chose("appointment:1", "预约现场办理")
                await self._publisher.publish(
                    AppointmentRequested(
                        **s.about(self._clock.now()),
                        office_id=office.office_id,
                        office_name=office.office_name,
                        district_code=office.district_code,
                        spoken_address=text,
                    )
                )
                s.where = "appointment_done"
                await ch.stream_file(self._p("appointment_done"))
                return _Decision(IvrOutcome.HANGUP, IvrReason.APPOINTMENT, f"预约到 {office.office_name}")
            if key == "2":
                s.chose("appointment:2", "不预约")
                break
            if key == "0":
                return await self._human(ch, s, IvrReason.CALLER_ASKED_HUMAN)
            if key:
                await ch.stream_file(self._p("invalid"))
        s.where = "goodbye"
        await ch.stream_file(self._p("goodbye"))
        return _Decision(IvrOutcome.HANGUP, IvrReason.OFFICE_FOUND, f"已告知服务点 {office.office_name}")

    async def _finish(self, ch: AgiChannel, s: _Session, d: _Decision) -> None:
        values = {
            ChannelVar.NEXT: d.outcome.value,
            ChannelVar.REASON: d.reason.value,
            ChannelVar.QUEUE: d.queue or "",
            ChannelVar.CATEGORY: d.category or "",
            ChannelVar.DISTRICT: s.district or "",
            ChannelVar.OFFICE: s.office or "",
            ChannelVar.IVR_PATH: "/".join(s.path),
            ChannelVar.CALLBACK: "1" if d.outcome is IvrOutcome.CALLBACK else "",
        }
        # All of them, empty ones too: a channel that comes back into the IVR (a transfer) must
        # not keep the previous pass's queue.
        for name, value in values.items():
            await ch.set_variable(name, value)
        await self._publisher.publish(
            IvrRouted(
                **s.about(self._clock.now()),
                outcome=d.outcome,
                reason=d.reason,
                why=d.why,
                path=tuple(s.path),
                path_labels=tuple(s.labels),
                queue=d.queue,
                category=d.category,
                district_code=s.district,
                office_id=s.office,
                spoken_address=s.spoken_address,
                address_outcome=s.address_outcome,
                address_note=s.address_note,
                ivr_seconds=self._elapsed(s),
            )
        )

    def _p(self, name: str) -> str:
        return self._book.prompt(name)

    def _elapsed(self, s: _Session) -> float:
        return max(0.0, (self._clock.now() - s.started).total_seconds())
