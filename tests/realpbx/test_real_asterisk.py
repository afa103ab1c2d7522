"""The whole system against a REAL Asterisk 22 running our rendered configuration.

SIP phones (pyVoIP, fixed in realpbx_phones.py) play the citizen, seats 1001 / 1002 and the
carrier behind the trunk; the application is composed as `hotline serve` composes it. Each test
says what a citizen and a seat do, then checks what our system recorded against what happened
on the phones and in Asterisk's own queue_log.

Skipped unless HOTLINE_TEST_ASTERISK names an asterisk binary (README.md in this folder).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import socket
import struct
import wave
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from realpbx_app import Hotline, until
from realpbx_asterisk import CALLER, CARRIER_USER, PASSWORDS, SUPERVISOR_PHONE, RealAsterisk
from realpbx_phones import CallState, DtmfCall, wait_state
from realpbx_trace import AmiRecorder
from sqlalchemy import select

from asterisk_conf import render
from callbacks.events import AttemptOutcome, CallbackAttemptFinished
from console_web.seat_api import TransferKind
from core.calls import CallStatus
from core.dialplan import HOLD_MUSIC_PROMPT, TRUNK_ENDPOINT
from core.events import DomainEvent
from core.ids import CallId, SeatId, WorkOrderId
from core.recordings import RecordingStatus
from pbx.reconcile import CDR, QUEUE_LOG, CallFromRecords, ReconcileReport, summarise
from pbx.record_files import RecordFile
from pbx.records import parse_cdr, parse_queue_log
from seats.monitor import MonitorMode
from seats.state import SeatStatus
from store.models import VoicemailRow
from store.repositories import AuditRepository, Repositories

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    # pyVoIP resets the warning filters and warns from its own threads about SDP it skips.
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

HOTLINE = "12348"
LABOR_KEYS = ("1", "2")  # main menu 1 法律咨询, consult menu 2 劳动争议
LABOR_QUEUE = "q-city-labor"  # no district known (no ASR): the city pool of the category


async def call_through_ivr(h: Hotline, keys: tuple[str, ...] = LABOR_KEYS) -> DtmfCall:
    """The citizen dials 12348 and keys `keys` into the IVR (each during the menu's GET DATA:
    the greeting and each prompt last half a second, the IVR then waits 6 s for a key)."""
    caller = await h.phone(CALLER)
    call = await asyncio.to_thread(caller.dial, HOTLINE)
    for key in keys:
        await asyncio.sleep(2.0)
        call.press(key)
        await asyncio.to_thread(call.wait_keys_sent)
    return call


async def answered_by(h: Hotline, seat: str) -> tuple[DtmfCall, CallId]:
    phone = await h.phone(seat)
    seat_call = await asyncio.to_thread(phone.answer_next, 40)
    await until(lambda: h.seat_status(seat) is SeatStatus.TALKING, 15, f"seat {seat} talking")
    call_id = h.runtime.board.state(SeatId(seat)).call_id
    assert call_id is not None
    return seat_call, CallId(call_id)


async def hang_up(call: DtmfCall) -> None:
    await asyncio.to_thread(call.hangup)


def queue_log_events(h: Hotline, call_id: str) -> list[list[str]]:
    """Asterisk's queue_log lines of the call: time|callid|queue|agent|event|data..."""
    return [line for line in h.pbx.queue_log() if len(line) > 4 and line[1] == call_id]


def talk_from_queue_log(h: Hotline, call_id: str) -> float:
    done = [e for e in queue_log_events(h, call_id) if e[4] in ("COMPLETECALLER", "COMPLETEAGENT")]
    assert len(done) == 1, queue_log_events(h, call_id)
    return float(done[0][6])  # COMPLETE*: holdtime|calltime|origposition


def cdr_rows_of(h: Hotline, call_id: str) -> list[list[str]]:
    """Master.csv rows of the call (the caller channel's uniqueid, column 16, is the call id)."""
    return [r for r in h.pbx.cdr_rows() if len(r) > 16 and r[16] == call_id]


def utc(at: datetime) -> datetime:
    """A time read back from the database (SQLite keeps no zone: UTC) as an aware UTC time."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def cdr_end(h: Hotline, call_id: str) -> datetime:
    """When Asterisk says the call ended: the last `end` of its CDR rows (GMT, cdr.conf usegmtime)."""
    rows = cdr_rows_of(h, call_id)
    assert rows, f"no CDR row for {call_id}"
    return max(datetime.fromisoformat(r[11]).replace(tzinfo=UTC) for r in rows)


def near_cdr(at: datetime, cdr_at: datetime) -> bool:
    """`at` is the moment a CDR time names: CDR times are whole seconds (cut, not rounded)."""
    return -0.25 <= (at - cdr_at).total_seconds() <= 1.25


def records_view(h: Hotline, call_id: str) -> CallFromRecords:
    """The call as the reconciler reads it from this Asterisk's queue_log and Master.csv."""
    queue_log = RecordFile(QUEUE_LOG, h.pbx.queue_log_file).read_since(None).lines
    cdr = RecordFile(CDR, h.pbx.cdr_file).read_since(None).lines
    calls = summarise(parse_queue_log(queue_log), parse_cdr(cdr), cdr_expected=True, now=datetime.now(UTC))
    assert CallId(call_id) in calls, sorted(calls)
    return calls[CallId(call_id)]


async def reconcile(h: Hotline, call_id: str) -> ReconcileReport:
    """A reconciliation pass once Asterisk has written the call's CDR; its events applied."""
    await until(lambda: bool(cdr_rows_of(h, call_id)), 10, "the call's CDR row")
    reconciler = h.runtime.reconciliation.reconciler
    report: ReconcileReport = await reconciler.run("测试核对", snapshot_fresh=True)
    await h.runtime.bus.drain()
    return report


def stored(h: Hotline) -> tuple[object, ...]:
    """What the database holds of calls and missed-call work orders (to compare before/after)."""
    calls = [
        (r.id, r.status, r.seat_id, r.queue, r.ended_at, r.talk_seconds, r.hung_up_by, r.wait_seconds)
        for r in h.calls()
    ]
    orders = sorted((o.id, o.caller_number, o.misses, o.status) for o in h.work_orders())
    missed = sorted((m.call_id, m.order_id) for m in h.missed_calls())
    return calls, orders, missed


async def assert_records_agree(h: Hotline, call_id: str, *, survey_counted: bool = False) -> None:
    """Asterisk's records say what the live view recorded, and a reconciliation changes nothing
    (no second call, no second work order, no corrected end). `survey_counted`: app_queue's talk
    time runs on to the caller's hang-up after the survey (a take-over the supervisor ended: the
    queue's member had gone already, so app_queue completes the call only when the caller goes)."""
    (row,) = [r for r in h.calls() if r.id == call_id]
    rec = records_view(h, call_id)
    assert rec.complete and rec.status == row.status and rec.queue == row.queue, (rec, row.status)
    assert rec.seat_id == row.seat_id and rec.hung_up_by == row.hung_up_by
    assert row.ended_at is not None and rec.ended_at is not None
    assert near_cdr(utc(row.ended_at), rec.ended_at), (row.ended_at, rec.ended_at)
    if rec.talk_seconds is not None and survey_counted:
        assert row.talk_seconds is not None and row.talk_seconds <= rec.talk_seconds + 1.0
    elif rec.talk_seconds is not None:
        assert row.talk_seconds is not None and abs(row.talk_seconds - rec.talk_seconds) <= 1.5
    before = stored(h)
    report = await reconcile(h, call_id)
    assert report.missing == [] and report.skipped == {QUEUE_LOG: 0, CDR: 0}, report.summary()
    assert (report.created, report.closed, report.corrected, report.misses) == (0, 0, 0, 0), report.summary()
    assert stored(h) == before


_BRIDGE_LINE = re.compile(
    r"^\[(?P<at>[0-9-]+ [0-9:.]+)\] VERBOSE\[[^\]]*\](?:\[[^\]]*\])? bridge_channel\.c: "
    r"Channel (?P<channel>\S+) (?P<what>joined|left) '"
)


def bridged_seconds(h: Hotline, channel_prefix: str) -> list[float]:
    """How long each channel named `channel_prefix...` was bridged, by Asterisk's full log
    (`Channel X joined` / `left`, to the millisecond): a party's own talk time."""
    joined: dict[str, datetime] = {}
    out: list[float] = []
    for line in h.pbx.full_log().splitlines():
        m = _BRIDGE_LINE.match(line)
        if m is None or not m["channel"].startswith(channel_prefix):
            continue
        at = datetime.strptime(m["at"], "%Y-%m-%d %H:%M:%S.%f")
        if m["what"] == "joined":
            joined.setdefault(m["channel"], at)
        elif m["channel"] in joined:
            out.append((at - joined.pop(m["channel"])).total_seconds())
    return out


def assert_legs(h: Hotline, call_id: str, expected: list[tuple[str, str, str]]) -> None:
    """The call's legs are `expected` (kind, party, channel prefix), in order, each ended with
    its own talk time: what Asterisk's log says that party was bridged with the caller."""
    legs = h.legs(call_id)
    assert [(leg.kind, leg.party) for leg in legs] == [(k, p) for k, p, _ in expected], [
        (leg.kind, leg.party, leg.talk_seconds) for leg in legs
    ]
    seen: dict[str, int] = {}
    for leg, (_, _, prefix) in zip(legs, expected, strict=True):
        index = seen[prefix] = seen.get(prefix, -1) + 1
        reference = bridged_seconds(h, prefix)
        assert len(reference) > index, (prefix, reference)
        assert not leg.inferred and leg.ended_at is not None and leg.talk_seconds is not None, leg.party
        assert abs(leg.talk_seconds - reference[index]) <= 0.5, (leg.party, leg.talk_seconds, reference)
    (row,) = [r for r in h.calls() if r.id == call_id]
    assert row.talk_seconds is not None
    # A one-leg call's talk time is app_queue's AgentComplete TalkTime: whole seconds, counted from
    # time() stamps, so up to (not including) 1 s from the legs' millisecond bridge times.
    # A three-way call's third party talks while the seat does: no talk of the call's own.
    parties = [leg for leg in legs if leg.kind != "third_party"]
    assert abs(row.talk_seconds - sum(leg.talk_seconds or 0.0 for leg in parties)) < 1.0


def tone_hz(audio: bytes) -> float | None:
    """The frequency of what was heard (zero crossings over the 20 ms frames that are not
    silence); None when at most 0.2 s of it was not silence. Bytes 0 are no audio (gaps between
    RTP timestamps that pyVoIP's buffer fills with zeros)."""
    crossings = frames = 0
    for start in range(0, len(audio) - 159, 160):
        frame = [b - 128 for b in audio[start : start + 160]]
        if 0 in audio[start : start + 160] or max(abs(x) for x in frame) < 8:
            continue
        frames += 1
        signs = [x > 0 for x in frame if abs(x) > 1]
        crossings += sum(1 for a, b in itertools.pairwise(signs) if a != b)
    return crossings / 2 / (frames * 0.02) if frames > 10 else None


def trail_types(h: Hotline, call_id: str) -> list[str]:
    return [e.event_type for e in h.trail(call_id)]


def trail_seats(h: Hotline, call_id: str, event_type: str) -> list[str]:
    return [str(e.data.get("seat_id")) for e in h.trail(call_id) if e.event_type == event_type]


# modules.conf loads exactly these (`autoload = no`): every one must be running.
REQUIRED_MODULES = set(render.MODULES)


async def test_the_asterisk_runs_every_module_the_dialplan_needs(pbx: RealAsterisk) -> None:
    loaded = set(pbx.loaded_modules())
    assert REQUIRED_MODULES - loaded == set()
    dialplan = pbx.cli("dialplan show hotline-incoming")
    assert "AGI(agi://127.0.0.1:" in dialplan and f"{pbx.ports.agi}/ivr" in dialplan
    # The hold audio of callers waiting in a queue (without a class, res_musiconhold disables itself).
    assert "Class: default" in pbx.cli("moh show classes")


async def test_answered_call_is_recorded_with_its_seat_and_talk_time(hotline: Hotline) -> None:
    h = hotline
    await h.login("1001")
    call = await call_through_ivr(h)
    _seat_call, call_id = await answered_by(h, "1001")
    await asyncio.sleep(3.0)
    await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")

    # Asterisk took our ACK (no 200 OK retransmitted, 9+ s after the answer): the harness's ACK
    # fix holds, so no call of these tests is cut at 32 s.
    assert h.phones[CALLER].oks_received(call) == 1
    rows = h.calls()
    assert [r.id for r in rows] == [call_id]
    row = rows[0]
    assert row.caller_number == CALLER
    assert row.status == CallStatus.ANSWERED
    assert row.seat_id == "1001"
    assert row.queue == LABOR_QUEUE and row.category == "labor"
    assert row.hung_up_by == "caller"
    assert row.talk_seconds is not None
    # Asterisk's own measure of the conversation (queue_log COMPLETECALLER) is the reference.
    assert abs(row.talk_seconds - talk_from_queue_log(h, call_id)) <= 1.5
    events = [e[4] for e in queue_log_events(h, call_id)]
    assert events[:1] == ["ENTERQUEUE"] and "CONNECT" in events and "COMPLETECALLER" in events
    (leg,) = h.legs(call_id)
    assert leg.seat_id == "1001" and leg.talk_seconds is not None
    assert abs(leg.talk_seconds - row.talk_seconds) <= 0.5
    await assert_records_agree(h, call_id)


def tone_share(pcm16: bytes, hz: float) -> float:
    """The share of a 16-bit recording's energy at `hz` (Goertzel over 20 ms windows): about 1
    for that tone alone, 1/n for one of n equally loud tones, near 0 when it is not there."""
    samples = struct.unpack(f"<{len(pcm16) // 2}h", pcm16[: len(pcm16) // 2 * 2])
    coeff = 2 * math.cos(2 * math.pi * hz / 8000)
    at_hz = total = 0.0
    for start in range(0, len(samples) - 159, 160):
        window = samples[start : start + 160]
        s1 = s2 = 0.0
        for x in window:
            s1, s2 = x + coeff * s1 - s2, s1
        at_hz += (s1 * s1 + s2 * s2 - coeff * s1 * s2) * 2 / 160
        total += sum(x * x for x in window)
    return at_hz / total if total else 0.0


def recording_of(h: Hotline, call_id: str) -> bytes:
    """The samples of the call's recording as MixMonitor wrote it (8 kHz mono 16-bit WAV)."""
    path = h.pbx.recordings_dir / f"{call_id}.wav"
    assert path.exists(), sorted(p.name for p in h.pbx.recordings_dir.glob("*"))
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return w.readframes(w.getnframes())


def assert_one_recording_with(h: Hotline, call_id: str, *tones: float) -> None:
    """The call's one recording file holds each of `tones` (and no 2500 Hz)."""
    assert sorted(p.name for p in h.pbx.recordings_dir.iterdir()) == [f"{call_id}.wav"]
    audio = recording_of(h, call_id)
    shares = {hz: round(tone_share(audio, hz), 3) for hz in (*tones, 2500.0)}
    assert all(shares[hz] > 0.03 for hz in tones) and shares[2500.0] < 0.02, shares


async def test_answered_call_is_recorded_with_both_parties_while_bridged(hotline: Hotline) -> None:
    # Issue 15: MixMonitor on the caller's channel (option b): both voices, only once bridged.
    h = hotline
    ami = await AmiEventLog.open(h)
    await h.login("1001")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.to_thread(seat_leg.write_audio, pcm_tone(1000.0, 40.0))
    await asyncio.to_thread(call.write_audio, pcm_tone(1500.0, 40.0))
    await asyncio.sleep(4.0)
    await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")
    await asyncio.sleep(1.0)  # the recording thread closes the file after the hangup
    await ami.close()
    ami.keep(h, "recording.ami.jsonl")

    audio = recording_of(h, call_id)
    (row,) = h.calls()
    # Only the bridged conversation: nothing of the IVR before it.
    assert row.talk_seconds is not None
    assert abs(len(audio) / 16000 - row.talk_seconds) < 1.5, (len(audio) / 16000, row.talk_seconds)
    assert tone_share(audio, 1000.0) > 0.1 and tone_share(audio, 1500.0) > 0.1, (
        tone_share(audio, 1000.0),
        tone_share(audio, 1500.0),
    )
    assert tone_share(audio, 2500.0) < 0.02
    caller = row_caller_channel(ami, call_id)
    names = [(e["Event"], e.get("Variable", "")) for e in ami.events if e.get("Channel") == caller]
    start = names.index(("VarSet", "MIXMONITOR_FILENAME"))
    assert ("MixMonitorStart", "") in names[start:], names
    (filename,) = {e["Value"] for e in ami.of("VarSet") if e["Variable"] == "MIXMONITOR_FILENAME"}
    assert filename == str(h.pbx.recordings_dir / f"{call_id}.wav")
    types = trail_types(h, call_id)
    assert "CallRecordingStarted" in types and "CallRecordingStopped" in types, types
    # Kept by the app with the file's size and checksum, as Asterisk wrote it.
    await until(lambda: bool(h.recordings(call_id)), 10, "the recording kept")
    (rec,) = h.recordings(call_id)
    data = (h.pbx.recordings_dir / f"{call_id}.wav").read_bytes()
    assert (rec.status.value, rec.size, rec.sha256) == ("ok", len(data), hashlib.sha256(data).hexdigest())


async def test_a_recordings_folder_that_cannot_be_written_loses_the_recording_not_the_call(
    hotline: Hotline,
) -> None:
    # Issue 15, faults: MixMonitor cannot open its file ("Cannot open"), the call goes on; the app
    # keeps the segment as missing and says so, with the folder's trouble, on its status line.
    h = hotline
    folder = h.pbx.recordings_dir
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_text("a file where the recordings folder should be", encoding="utf-8")
    await h.login("1001")
    call = await call_through_ivr(h)
    _seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.sleep(3.0)
    await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")

    (row,) = h.calls()
    assert row.status == CallStatus.ANSWERED and row.talk_seconds and row.talk_seconds > 2
    await until(lambda: bool(h.recordings(call_id)), 10, "the missing recording kept")
    (rec,) = h.recordings(call_id)
    assert rec.status.value == "missing" and rec.size is None
    assert "Cannot open" in h.pbx.full_log()
    keeper = h.runtime.recordings.keeper
    assert keeper is not None
    await keeper.check()
    up, detail = h.runtime.recordings.probe()
    assert not up and "无法写入" in detail and "录音文件缺失" in detail and call_id in detail, detail


async def abandon_in_queue(h: Hotline) -> str:
    call = await call_through_ivr(h)
    await until(lambda: bool(h.call_status(CallStatus.QUEUED)), 30, "the caller to wait in the queue")
    await asyncio.sleep(2.0)
    await hang_up(call)
    await until(lambda: h.all_ended() and len(h.work_orders()) == 1, 20, "the missed call's work order")
    (row,) = h.calls()
    return row.id


async def test_caller_who_gives_up_in_the_queue_gets_exactly_one_work_order(hotline: Hotline) -> None:
    h = hotline
    call_id = await abandon_in_queue(h)
    await asyncio.sleep(1.0)  # anything late (a duplicate) would land now

    (row,) = h.calls()
    assert row.status == CallStatus.ABANDONED and row.queue == LABOR_QUEUE
    assert [m.call_id for m in h.missed_calls()] == [call_id]
    (order,) = h.work_orders()
    assert order.caller_number == CALLER and order.misses == 1 and order.status == "pool"
    assert "ABANDON" in [e[4] for e in queue_log_events(h, call_id)]
    # The caller heard the hold audio while waiting (not silence).
    assert "no musiconhold loaded" not in h.pbx.full_log()
    await assert_records_agree(h, call_id)
    assert len(h.work_orders()) == 1 and len(h.missed_calls()) == 1


async def test_callback_rings_the_seat_first_then_the_citizen_and_is_recorded(hotline: Hotline) -> None:
    h = hotline
    missed_id = await abandon_in_queue(h)
    (order,) = h.work_orders()
    await h.login("1001")
    seat_phone, citizen_phone = await h.phone("1001"), await h.phone(CALLER)
    finished: list[CallbackAttemptFinished] = []

    async def on_finished(event: DomainEvent) -> None:
        assert isinstance(event, CallbackAttemptFinished)
        finished.append(event)

    h.runtime.bus.subscribe("test-callback", on_finished, types=(CallbackAttemptFinished,))
    service = h.runtime.callback_part.service
    await service.assign(WorkOrderId(order.id), SeatId("1001"), by="u-city", any_team=True)
    await service.start_callback(WorkOrderId(order.id), SeatId("1001"))

    seat_call = await asyncio.to_thread(seat_phone.answer_next, 20)
    citizen_call = await asyncio.to_thread(citizen_phone.answer_next, 20)
    # Asterisk dials the citizen only once the seat has answered.
    assert seat_phone.invites_at[-1] < citizen_phone.invites_at[-1]
    await asyncio.to_thread(seat_call.write_audio, pcm_tone(1000.0, 20.0))
    await asyncio.to_thread(citizen_call.write_audio, pcm_tone(1500.0, 20.0))
    await asyncio.sleep(3.0)
    await hang_up(seat_call)
    await asyncio.to_thread(wait_state, citizen_call, CallState.ENDED, 10, "citizen's leg to end")
    await until(lambda: bool(finished), 20, "the callback attempt's outcome")

    assert finished[0].outcome is AttemptOutcome.REACHED
    # The hangup (`h`) extension must not fall into the callback's catch-all pattern.
    assert h.pbx.dial_targets() == ["PJSIP/13900139000"]
    await until(lambda: len(h.calls()) == 2 and h.all_ended(), 20, "the callback call in the call records")
    (callback_row,) = [r for r in h.calls() if r.id != missed_id]
    assert callback_row.seat_id == "1001"
    assert callback_row.answered_at is not None
    assert callback_row.caller_number == CALLER
    # 录音: the callback recorded on the seat's channel (its call id), both parties in it; the
    # missed call, never bridged, left no recording (its empty file removed).
    await until(lambda: bool(h.recordings(callback_row.id)), 10, "the callback's recording kept")
    (rec,) = h.recordings(callback_row.id)
    assert rec.status.value == "ok" and rec.answered and rec.path.endswith(f"/{callback_row.id}.wav")
    audio = recording_of(h, callback_row.id)
    assert tone_share(audio, 1000.0) > 0.1 and tone_share(audio, 1500.0) > 0.1
    assert h.recordings(missed_id) == [] and not (h.pbx.recordings_dir / f"{missed_id}.wav").exists()


async def test_seat_to_seat_transfer_records_both_seats(hotline: Hotline) -> None:
    h = hotline
    await h.login("1001")
    call = await call_through_ivr(h)
    first_leg, call_id = await answered_by(h, "1001")
    # Each party speaks a tone of its own: the recording must hold all three.
    await asyncio.to_thread(call.write_audio, pcm_tone(1500.0, 40.0))
    await asyncio.to_thread(first_leg.write_audio, pcm_tone(1000.0, 40.0))
    await h.login("1002")
    await asyncio.sleep(3.0)
    await h.seat_console.transfer(SeatId("1001"), call_id, TransferKind.SEAT, "1002")
    second_phone = await h.phone("1002")
    second_leg = await asyncio.to_thread(second_phone.answer_next, 20)
    await asyncio.to_thread(second_leg.write_audio, pcm_tone(700.0, 40.0))
    # Asterisk hangs up the first seat's leg once the caller has been redirected.
    await asyncio.to_thread(wait_state, first_leg, CallState.ENDED, 10, "seat 1001's leg to end")
    await asyncio.sleep(5.0)
    await hang_up(call)
    await asyncio.to_thread(wait_state, second_leg, CallState.ENDED, 10, "seat 1002's leg to end")
    await until(h.all_ended, 20, "the call to be recorded as ended")

    # One recording across the transfer (MixMonitor on the caller's channel): both seats in it.
    await asyncio.sleep(1.0)
    assert sorted(p.name for p in h.pbx.recordings_dir.iterdir()) == [f"{call_id}.wav"]
    audio = recording_of(h, call_id)
    shares = {hz: round(tone_share(audio, hz), 3) for hz in (1500.0, 1000.0, 700.0, 2500.0)}
    assert shares[1500.0] > 0.05 and shares[1000.0] > 0.05 and shares[700.0] > 0.05, shares
    assert shares[2500.0] < 0.02, shares

    assert [r.id for r in h.calls()] == [call_id]
    # Queue() rang 1001 (no Dial); the transfer dialled 1002, and nothing else: the hangup (`h`)
    # extension must not fall into the seat context's catch-all pattern.
    assert h.pbx.dial_targets() == ["PJSIP/1002"]
    types = trail_types(h, call_id)
    transfers = [e for e in h.trail(call_id) if e.event_type == "CallTransferred"]
    assert [(t.data.get("exten"), t.data.get("seat_id")) for t in transfers] == [("1002", "1001")], types
    assert "1001" in trail_seats(h, call_id, "CallAnswered")
    assert "1002" in trail_seats(h, call_id, "CallAnswered"), types
    assert_legs(h, call_id, [("seat", "1001", "PJSIP/1001-"), ("seat", "1002", "PJSIP/1002-")])
    await until(
        lambda: h.seat_status("1002") not in (SeatStatus.RINGING, SeatStatus.TALKING),
        10,
        "seat 1002 to be free again on the board",
    )


async def test_queue_transfer_reaches_the_other_queue_and_records_its_seat(hotline: Hotline) -> None:
    h = hotline
    target = "q-city-property"  # 1002 handles property matters, 1001 does not (app/seed.py)
    service = h.runtime.seats.service
    assert target in service.queues_of(SeatId("1002")) and target not in service.queues_of(SeatId("1001"))
    await h.login("1001")
    call = await call_through_ivr(h)
    first_leg, call_id = await answered_by(h, "1001")
    await h.login("1002")
    await asyncio.sleep(3.0)
    await h.seat_console.transfer(SeatId("1001"), call_id, TransferKind.QUEUE, target)
    second_phone = await h.phone("1002")
    second_leg = await asyncio.to_thread(second_phone.answer_next, 30)
    await asyncio.to_thread(wait_state, first_leg, CallState.ENDED, 10, "seat 1001's leg to end")
    await asyncio.sleep(5.0)
    await hang_up(call)
    await asyncio.to_thread(wait_state, second_leg, CallState.ENDED, 10, "seat 1002's leg to end")
    await until(h.all_ended, 20, "the call to be recorded as ended")

    assert [r.id for r in h.calls()] == [call_id]
    transfers = [e for e in h.trail(call_id) if e.event_type == "CallTransferred"]
    # A transfer names where the call went (exten) and where it came from (seat, queue).
    assert [(t.data.get("exten"), t.data.get("seat_id")) for t in transfers] == [(target, "1001")]
    assert "1002" in trail_seats(h, call_id, "CallAnswered"), trail_types(h, call_id)
    assert "CONNECT" in [e[4] for e in queue_log_events(h, call_id) if e[2] == target]
    assert_legs(h, call_id, [("seat", "1001", "PJSIP/1001-"), ("seat", "1002", "PJSIP/1002-")])
    await until(
        lambda: h.seat_status("1002") not in (SeatStatus.RINGING, SeatStatus.TALKING),
        10,
        "seat 1002 to be free again on the board",
    )


async def test_transfer_to_12345_leaves_through_the_trunk(hotline: Hotline) -> None:
    h = hotline
    carrier = await h.phone(CARRIER_USER)
    await h.login("1001")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.sleep(3.0)
    await h.seat_console.transfer(SeatId("1001"), call_id, TransferKind.EXTERNAL, "12345")
    carrier_leg = await asyncio.to_thread(carrier.wait_ringing, 20)
    assert carrier_leg.request.headers["To"]["number"] == "12345"
    # While the carrier's phone rings (180) the caller hears ringback (China's 450 Hz), not
    # silence: the IVR's prompts, the hold audio and the phones here are all silent.
    await asyncio.sleep(3.0)
    hz = tone_hz(call.received_audio())
    assert hz is not None and 400 <= hz <= 500, hz
    await asyncio.to_thread(carrier_leg.answer)
    await asyncio.to_thread(wait_state, seat_leg, CallState.ENDED, 10, "the seat's leg to end")
    await asyncio.sleep(5.0)
    await hang_up(call)
    await asyncio.to_thread(wait_state, carrier_leg, CallState.ENDED, 10, "the trunk leg to end")
    await until(h.all_ended, 20, "the call to be recorded as ended")

    (row,) = h.calls()
    assert row.status == CallStatus.TRANSFERRED
    transfers = [e for e in h.trail(call_id) if e.event_type == "CallTransferred"]
    assert [(t.data.get("exten"), t.data.get("seat_id")) for t in transfers] == [("12345", "1001")]
    assert row.transfer_status == "ok", row.transfers
    assert_legs(
        h, call_id, [("seat", "1001", "PJSIP/1001-"), ("external", "12345", f"PJSIP/{CARRIER_USER}-")]
    )


async def test_ami_connection_killed_mid_call_records_the_call_once(hotline: Hotline) -> None:
    h = hotline
    bridge = h.runtime.bridge
    await h.login("1001")
    call = await call_through_ivr(h)
    _seat_leg, call_id = await answered_by(h, "1001")
    resyncs = bridge.status.resyncs
    # Kill the TCP connection under the bridge (as `ss -K` would): the socket is shut down.
    transport = bridge._transport
    assert transport is not None
    transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
    await until(
        lambda: bridge.status.reconnects >= 1 and bridge.status.resyncs > resyncs,
        30,
        "the bridge to log in again and resync",
    )
    await asyncio.sleep(2.0)
    await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")

    (row,) = h.calls()
    assert row.id == call_id and row.status == CallStatus.ANSWERED and row.seat_id == "1001"
    assert row.talk_seconds is not None
    assert abs(row.talk_seconds - talk_from_queue_log(h, call_id)) <= 1.5
    types = trail_types(h, call_id)
    assert types.count("CallAnswered") == 1 and types.count("CallEnded") == 1, types


async def test_caller_who_hangs_up_during_an_ami_outage_gets_the_end_and_talk_of_asterisks_records(
    hotline: Hotline,
) -> None:
    h = hotline
    bridge = h.runtime.bridge
    await h.login("1001")
    call = await call_through_ivr(h)
    _seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.sleep(2.0)
    # The network to the AMI goes down and stays down: the bridge cannot log in again.
    await h.ami_link.cut()
    await until(lambda: not bridge.status.connected, 15, "the bridge to notice the outage")
    resyncs = bridge.status.resyncs
    await hang_up(call)
    await until(lambda: bool(cdr_rows_of(h, call_id)), 10, "Asterisk's CDR of the call")
    end = cdr_end(h, call_id)
    talk = talk_from_queue_log(h, call_id)
    await asyncio.sleep(5.0)  # the outage goes on well past the real end
    assert bridge.status.resyncs == resyncs and not bridge.status.connected
    await h.ami_link.restore()
    await until(lambda: bridge.status.resyncs > resyncs, 30, "the bridge to log in again and resync")
    await until(h.all_ended, 20, "the call to be recorded as ended")

    def from_records() -> bool:
        (row,) = h.calls()
        return row.ended_at is not None and near_cdr(utc(row.ended_at), end)

    await until(from_records, 20, "the call's end to come from Asterisk's records")
    (row,) = h.calls()
    assert row.id == call_id and row.status == CallStatus.ANSWERED and row.seat_id == "1001"
    assert row.ended_at is not None and near_cdr(utc(row.ended_at), end), (row.ended_at, end)
    assert row.talk_seconds is not None and abs(row.talk_seconds - talk) <= 1.5, (row.talk_seconds, talk)
    assert row.hung_up_by == "caller"
    # The seat's leg, ended at the reconnect with no talk time, gets the records' talk as well.
    await until(lambda: not h.legs(call_id)[0].inferred, 10, "the seat's leg to be corrected")
    (leg,) = h.legs(call_id)
    assert leg.seat_id == "1001" and leg.talk_seconds is not None and leg.ended_at is not None
    assert abs(leg.talk_seconds - talk) <= 1.5 and near_cdr(utc(leg.ended_at), end), (leg.talk_seconds, talk)
    types = trail_types(h, call_id)
    # The live view could only guess the end (at the reconnect); the records corrected it.
    assert types.count("CallAnswered") == 1 and "CallReconciled" in types, types
    assert len(h.work_orders()) == 0  # answered: no missed call


async def test_failed_transfer_to_12345_returns_the_caller_to_the_queue_and_is_recorded_failed(
    hotline: Hotline,
) -> None:
    h = hotline
    # The carrier is down: nothing answers at the trunk's address (no carrier phone started).
    await h.login("1001")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.sleep(2.0)
    await h.seat_console.transfer(SeatId("1001"), call_id, TransferKind.EXTERNAL, "12345")
    await asyncio.to_thread(wait_state, seat_leg, CallState.ENDED, 10, "the seat's leg to end")
    # The Dial fails; the caller hears transfer_failed and waits in its queue again, where the
    # seat (free after its wrap-up) answers once more.
    again = await asyncio.to_thread((await h.phone("1001")).answer_next, 60)
    await until(lambda: h.seat_status("1001") is SeatStatus.TALKING, 15, "seat 1001 talking again")
    await asyncio.sleep(2.0)
    await hang_up(call)
    await asyncio.to_thread(wait_state, again, CallState.ENDED, 10, "the seat's second leg to end")
    await until(h.all_ended, 20, "the call to be recorded as ended")

    assert h.pbx.dial_targets() == [f"PJSIP/12345@{CARRIER_USER}"]
    enters = [e for e in queue_log_events(h, call_id) if e[4] == "ENTERQUEUE"]
    assert [e[2] for e in enters] == [LABOR_QUEUE, LABOR_QUEUE], queue_log_events(h, call_id)
    (row,) = h.calls()
    assert row.id == call_id and row.status == CallStatus.ANSWERED and row.seat_id == "1001"
    assert row.transfer_status == "failed", row.transfers
    assert [(t.get("target"), t.get("status")) for t in row.transfers] == [("12345", "failed")], row.transfers
    assert_legs(h, call_id, [("seat", "1001", "PJSIP/1001-"), ("seat", "1001", "PJSIP/1001-")])


def pcm_tone(hz: float, seconds: float) -> bytes:
    """A tone as pyVoIP writes audio: 8 kHz, 8-bit unsigned, silence 0x80."""
    return bytes(128 + round(60 * math.sin(2 * math.pi * hz * n / 8000)) for n in range(int(8000 * seconds)))


async def test_seat_mute_silences_the_seat_for_the_caller_until_unmuted(hotline: Hotline) -> None:
    # Issue 14: 静音 is res_mutestream's MuteAudio on what the seat's phone sends (Direction in).
    h = hotline
    await h.login("1001")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.to_thread(seat_leg.write_audio, pcm_tone(1000.0, 20.0))  # the seat speaks on

    async def heard_over(seconds: float) -> float | None:
        mark = call.audio_mark()
        await asyncio.sleep(seconds)
        return tone_hz(call.audio_since(mark))

    before = await heard_over(3.0)
    assert before is not None and 900 <= before <= 1100, before
    await h.seat_console.mute(SeatId("1001"), call_id, on=True)
    await asyncio.sleep(0.5)
    assert await heard_over(3.0) is None  # the caller hears nothing of the seat
    await h.seat_console.mute(SeatId("1001"), call_id, on=False)
    await asyncio.sleep(0.5)
    after = await heard_over(3.0)
    assert after is not None and 900 <= after <= 1100, after
    await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")
    assert [r.status for r in h.calls()] == [CallStatus.ANSWERED]


def recorded_tone(path: Path) -> tuple[float, float | None]:
    """(seconds, tone frequency) of a WAV Record() wrote (8 kHz 16-bit mono)."""
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        frames = w.readframes(w.getnframes())
        seconds = w.getnframes() / 8000
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return seconds, tone_hz(bytes(max(1, min(255, 128 + (s >> 8))) for s in samples))


async def leave_message(h: Hotline, tmp_path: Path) -> tuple[DtmfCall, AmiRecorder]:
    """After hours the citizen presses 2 (留言) and, after the prompt and the beep, speaks a
    440 Hz tone; the manager's events are recorded meanwhile."""
    recorder = AmiRecorder(h.pbx.ports.ami, "hotline", h.pbx.ami_secret, tmp_path / "voicemail.ami")
    await recorder.start()
    call = await call_through_ivr(h, ("2",))
    await asyncio.sleep(2.0)  # voicemail_ask and the beep: half a second each here
    await asyncio.to_thread(call.write_audio, pcm_tone(440.0, 3.0))
    await asyncio.sleep(3.5)
    return call, recorder


def record_steps(events: list[dict[str, str]]) -> list[tuple[str, str]]:
    """What Asterisk reported of Record() on the caller's channel, in order."""
    out: list[tuple[str, str]] = []
    for e in events:
        if e.get("Event") in ("AGIExecStart", "AGIExecEnd") and e.get("Command", "").startswith(
            "EXEC Record"
        ):
            out.append((e["Event"], e.get("Result", "")))
        elif e.get("Event") == "VarSet" and e.get("Variable") in ("RECORDED_FILE", "RECORD_STATUS"):
            out.append((e["Variable"], e["Value"]))
    return out


def voicemails(h: Hotline) -> list[VoicemailRow]:
    with h.db.session() as s:
        return list(s.scalars(select(VoicemailRow)))


async def the_message(h: Hotline) -> VoicemailRow:
    """The one message kept, once the IVR's VoicemailLeft has reached the store."""
    await until(lambda: bool(voicemails(h)), 10, "the message to reach a work order")
    (message,) = voicemails(h)
    return message


@pytest.mark.parametrize("hotline_clock", ["evening"], indirect=True)
async def test_after_hours_message_is_recorded_and_becomes_a_voicemail_work_order(
    hotline: Hotline, tmp_path: Path
) -> None:
    # Issue 14: 留言. The caller ends the message with #; the recording is on disk with the tone.
    h = hotline
    call, recorder = await leave_message(h, tmp_path)
    call.press("#")
    await asyncio.to_thread(call.wait_keys_sent)
    await asyncio.to_thread(wait_state, call, CallState.ENDED, 15, "the IVR to say goodbye and hang up")
    message = await the_message(h)
    (order,) = h.work_orders()
    assert (order.reason, order.team_id, order.id) == ("voicemail", "team-citywide", message.order_id)
    assert message.status == "DTMF" and message.caller_number == CALLER
    assert message.recording == str(h.pbx.voicemail_dir / f"{message.call_id}.wav")
    seconds, hz = recorded_tone(Path(message.recording))
    assert 2.5 <= seconds <= 5.0, seconds
    assert hz is not None and 400 <= hz <= 480, hz
    await until(h.all_ended, 10, "the call to be recorded as ended")
    assert [(r.id, r.status) for r in h.calls()] == [(message.call_id, CallStatus.ENDED)]
    steps = record_steps(await recorder.stop("voicemail_dtmf"))
    assert steps == [
        ("AGIExecStart", ""),
        ("RECORDED_FILE", message.recording.removesuffix(".wav")),
        ("RECORD_STATUS", "DTMF"),
        ("AGIExecEnd", "Success"),
    ], steps


@pytest.mark.parametrize("hotline_clock", ["evening"], indirect=True)
async def test_caller_hanging_up_while_recording_still_leaves_the_message(
    hotline: Hotline, tmp_path: Path
) -> None:
    h = hotline
    call, recorder = await leave_message(h, tmp_path)
    await hang_up(call)
    message = await the_message(h)
    assert message.status == "HANGUP" and len(h.work_orders()) == 1
    seconds, hz = recorded_tone(Path(message.recording))
    assert seconds >= 2.5 and hz is not None and 400 <= hz <= 480, (seconds, hz)
    steps = record_steps(await recorder.stop("voicemail_hangup"))
    assert [s for s in steps if s[0] == "RECORD_STATUS"] == [("RECORD_STATUS", "HANGUP")], steps


def keep_trace(h: Hotline, name: str) -> None:
    """With HOTLINE_KEEP_TRACES=<folder>: the AMI stream Asterisk sent, its queue_log, Master.csv
    and the bridge lines of its full log, kept as <folder>/<name>/ (tests/data/asterisk-traces)."""
    folder = os.environ.get("HOTLINE_KEEP_TRACES")
    if not folder:
        return
    out = Path(folder) / name
    out.mkdir(parents=True, exist_ok=True)
    (out / "ami.ami").write_bytes(bytes(h.ami_link.received))
    for src in (h.pbx.log_dir / "queue_log", h.pbx.log_dir / "cdr-csv" / "Master.csv"):
        if src.exists():
            (out / src.name).write_bytes(src.read_bytes())
    bridges = [
        re.sub(r"^(\[[^]]*\]) .*bridge_channel\.c: ", r"\1 ", line)
        for line in h.pbx.full_log().splitlines()
        if "bridge_channel.c: Channel" in line
    ]
    (out / "bridges.log").write_text("\n".join(bridges) + "\n", encoding="utf-8")


def _log_time(line: str) -> datetime:
    return datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S.%f")


def caller_on_hold_during_consultation(h: Hotline) -> bool:
    """res_musiconhold started on the caller's channel a second time: the consultation's hold."""
    started = [
        line
        for line in h.pbx.full_log().splitlines()
        if "Started music on hold, class 'default'" in line and f"PJSIP/{CALLER}-" in line
    ]
    return len(started) >= 2  # the queue's wait, then the consultation


def last_left(h: Hotline, channel_prefix: str) -> datetime:
    """When the channel named `channel_prefix...` last left a bridge (Asterisk's full log)."""
    return max(
        _log_time(line)
        for line in h.pbx.full_log().splitlines()
        if f"Channel {channel_prefix}" in line and " left " in line
    )


async def consult(h: Hotline, call_id: CallId, kind: TransferKind, target: str) -> None:
    """The seat console's 咨询转接 as the browser sends it."""
    await h.seat_console.consult(SeatId("1001"), call_id, kind, target)


async def test_attended_transfer_to_a_seat_joins_the_caller_with_it_when_completed(hotline: Hotline) -> None:
    h = hotline
    await h.login("1001")
    call = await call_through_ivr(h)
    first_leg, call_id = await answered_by(h, "1001")
    await h.login("1002")
    await asyncio.to_thread(first_leg.write_audio, pcm_tone(1000.0, 1.8))
    await asyncio.sleep(2.0)
    await consult(h, call_id, TransferKind.SEAT, "1002")
    second_phone = await h.phone("1002")
    second_leg = await asyncio.to_thread(second_phone.answer_next, 20)
    await asyncio.sleep(3.0)  # the seats talk; the caller hears the hold audio
    assert first_leg.state is CallState.ANSWERED and call.state is CallState.ANSWERED
    await h.seat_console.complete_consult(SeatId("1001"), call_id)
    await asyncio.to_thread(wait_state, first_leg, CallState.ENDED, 10, "seat 1001's leg to end")
    await asyncio.to_thread(second_leg.write_audio, pcm_tone(1400.0, 3.5))
    await asyncio.sleep(4.0)
    await hang_up(call)
    await asyncio.to_thread(wait_state, second_leg, CallState.ENDED, 10, "seat 1002's leg to end")
    await until(h.all_ended, 20, "the call to be recorded as ended")
    keep_trace(h, "atxfer_seat_completed")
    # 录音 across the attended transfer: one file on the caller's channel, seat 1001 before the
    # consultation and seat 1002 after it; the app keeps it as the call's one segment.
    await asyncio.sleep(1.0)
    assert_one_recording_with(h, call_id, 1000.0, 1400.0)
    await until(lambda: len(h.recordings(call_id)) == 1, 15, "the recording kept")

    (row,) = h.calls()
    # As after any transfer to a seat: the call was answered, and ended with the new seat.
    assert row.id == call_id and row.status == CallStatus.ANSWERED
    assert (row.seat_id, row.final_seat_id, row.transfer_status) == ("1001", "1002", "ok")
    transfers = [e.data for e in h.trail(call_id) if e.event_type == "CallTransferred"]
    assert [(t["kind"], t["target"], t["status"], t["seat_id"]) for t in transfers] == [
        ("attended", "1002", "ok", "1001")
    ]
    assert trail_seats(h, call_id, "CallAnswered") == ["1001", "1002"]
    assert caller_on_hold_during_consultation(h)
    legs = h.legs(call_id)
    assert [(leg.kind, leg.party) for leg in legs] == [("seat", "1001"), ("seat", "1002")]
    first, second = legs
    assert first.talk_seconds is not None and second.talk_seconds is not None
    # 1001: from its answer until it left, the consultation included (queue_log's calltime);
    # 1002: from the transfer until the caller hung up (Asterisk's bridge log).
    (xfer,) = [e for e in queue_log_events(h, call_id) if e[4] == "ATTENDEDTRANSFER"]
    assert abs(first.talk_seconds - int(xfer[8])) <= 1.0, (first.talk_seconds, xfer)
    talk_1002 = (last_left(h, f"PJSIP/{CALLER}-") - last_left(h, "PJSIP/1001-")).total_seconds()
    assert abs(second.talk_seconds - talk_1002) <= 0.5, (second.talk_seconds, talk_1002)
    assert row.talk_seconds is not None
    assert abs(row.talk_seconds - first.talk_seconds - second.talk_seconds) <= 0.01
    await until(
        lambda: h.seat_status("1002") not in (SeatStatus.RINGING, SeatStatus.TALKING),
        10,
        "seat 1002 to be free again on the board",
    )


async def test_attended_transfer_cancelled_brings_the_seat_back_to_the_caller(hotline: Hotline) -> None:
    h = hotline
    carrier = await h.phone(CARRIER_USER)
    await h.login("1001")
    call = await call_through_ivr(h)
    first_leg, call_id = await answered_by(h, "1001")
    await asyncio.sleep(2.0)
    await consult(h, call_id, TransferKind.EXTERNAL, "12345")
    carrier_leg = await asyncio.to_thread(carrier.wait_ringing, 20)
    assert carrier_leg.request.headers["To"]["number"] == "12345"
    await asyncio.to_thread(carrier_leg.answer)
    await asyncio.sleep(3.0)
    await h.seat_console.cancel_consult(SeatId("1001"), call_id)
    await asyncio.to_thread(wait_state, carrier_leg, CallState.ENDED, 10, "the consulted line to end")
    await asyncio.sleep(3.0)
    assert first_leg.state is CallState.ANSWERED and h.seat_status("1001") is SeatStatus.TALKING
    await hang_up(call)
    await asyncio.to_thread(wait_state, first_leg, CallState.ENDED, 10, "seat 1001's leg to end")
    await until(h.all_ended, 20, "the call to be recorded as ended")
    keep_trace(h, "atxfer_12345_cancelled")

    (row,) = h.calls()
    assert row.id == call_id and row.status == CallStatus.ANSWERED
    transfers = [e.data for e in h.trail(call_id) if e.event_type == "CallTransferred"]
    assert [(t["kind"], t["target"], t["status"], t["detail"]) for t in transfers] == [
        ("attended", "12345", "failed", "cancelled")
    ]
    assert caller_on_hold_during_consultation(h)
    (leg,) = h.legs(call_id)
    assert (leg.kind, leg.party) == ("seat", "1001")
    assert leg.talk_seconds is not None
    # The seat stayed on the call throughout: queue_log's talk time for it.
    assert abs(leg.talk_seconds - talk_from_queue_log(h, call_id)) <= 1.0
    assert row.talk_seconds is not None and abs(row.talk_seconds - leg.talk_seconds) <= 0.01


class AmiEventLog:
    """A second AMI session on the test Asterisk that keeps every event (to learn and check the
    events of a scenario); `names()` lists them in wire order."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.events: list[dict[str, str]] = []
        self._task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, h: Hotline) -> AmiEventLog:
        reader, writer = await asyncio.open_connection("127.0.0.1", h.pbx.ports.ami)
        await reader.readline()
        writer.write(
            f"Action: Login\r\nUsername: {render.AsteriskConfValues(ami_secret='x').ami_user}\r\n"
            f"Secret: {h.pbx.ami_secret}\r\nEvents: on\r\n\r\n".encode()
        )
        return cls(reader, writer)

    async def _read(self) -> None:
        current: dict[str, str] = {}
        while raw := await self.reader.readline():
            line = raw.decode(errors="replace").rstrip("\r\n")
            if line:
                key, _, value = line.partition(": ")
                current.setdefault(key, value)
            elif current:
                if "Event" in current:
                    self.events.append(current)
                current = {}

    def of(self, name: str) -> list[dict[str, str]]:
        return [e for e in self.events if e["Event"] == name]

    async def close(self) -> None:
        self._task.cancel()
        self.writer.close()

    def keep(self, h: Hotline, name: str) -> None:
        """The events, as JSON lines, beside Asterisk's logs (`tmp_path/asterisk-logs/<name>`)."""
        with (h.pbx.log_dir / name).open("w", encoding="utf-8") as out:
            for event in self.events:
                out.write(json.dumps(event, ensure_ascii=False) + "\n")


def hold_music(h: Hotline, hz: float) -> None:
    """The hold music (the prompt [hotline-hold] loops) is a tone from now on (the harness's
    own file is silence, as for every prompt)."""
    music = h.pbx.root / "var" / "lib" / "asterisk" / "sounds" / "hotline" / f"{HOLD_MUSIC_PROMPT}.wav"
    assert music.exists()  # the harness wrote every prompt of ivr.prompts, this one too
    with wave.open(str(music), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(
            b"".join(
                int(8000 * math.sin(2 * math.pi * hz * n / 8000)).to_bytes(2, "little", signed=True)
                for n in range(8000 * 10)
            )
        )


_ARRIVED: dict[int, list[bytes]] = {}


def arrivals(leg: DtmfCall) -> list[bytes]:
    """The leg's received audio in ARRIVAL order, packet by packet. `received_audio()` places
    packets by RTP timestamp, and a bridge relays the other phone's timestamps: a stream that
    goes back in time lands on audio already there and the buffer does not grow."""
    if id(leg) not in _ARRIVED:
        got = _ARRIVED[id(leg)] = []
        for client in leg.RTPClients:
            write = client.pmin.write

            def keep(offset: int, data: bytes, write: Any = write) -> None:
                got.append(data)
                write(offset, data)

            client.pmin.write = keep
    return _ARRIVED[id(leg)]


async def heard_over(leg: DtmfCall, seconds: float) -> float | None:
    got = arrivals(leg)
    start = len(got)
    await asyncio.sleep(seconds)
    return tone_hz(b"".join(got[start:]))


def near(hz: float | None, expected: float) -> bool:
    return hz is not None and abs(hz - expected) <= 0.1 * expected


async def hold_and_unhold(h: Hotline) -> tuple[DtmfCall, CallId, AmiEventLog, float | None]:
    """A call answered by 1001, both speaking (tones), held for 3 s then unheld; returns the
    caller's call, the call id, the AMI recording and what the caller heard while held."""
    hold_music(h, 600.0)
    ami = await AmiEventLog.open(h)
    await h.login("1001")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    arrivals(call), arrivals(seat_leg)
    await asyncio.to_thread(seat_leg.write_audio, pcm_tone(1000.0, 40.0))  # the seat speaks on
    await asyncio.to_thread(call.write_audio, pcm_tone(1500.0, 40.0))  # and so does the caller
    caller_heard, seat_heard = await asyncio.gather(heard_over(call, 3.0), heard_over(seat_leg, 3.0))
    assert near(caller_heard, 1000.0) and near(seat_heard, 1500.0), (caller_heard, seat_heard)
    await h.seat_console.hold(SeatId("1001"), call_id, on=True)
    await asyncio.sleep(1.0)
    held, seat_heard = await asyncio.gather(heard_over(call, 3.0), heard_over(seat_leg, 3.0))
    assert seat_heard is None and not near(held, 1000.0), (held, seat_heard)  # neither hears the other
    await h.seat_console.hold(SeatId("1001"), call_id, on=False)
    await asyncio.sleep(1.0)
    caller_heard, seat_heard = await asyncio.gather(heard_over(call, 3.0), heard_over(seat_leg, 3.0))
    assert near(caller_heard, 1000.0) and near(seat_heard, 1500.0), (caller_heard, seat_heard)
    await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")
    await ami.close()
    ami.keep(h, "hold.ami.jsonl")
    return call, call_id, ami, held


async def test_hold_silences_both_sides_and_unhold_reconnects_one_unbroken_call(hotline: Hotline) -> None:
    # Issue 14: 保持 leaves the queue's bridge alone (a Local channel whispers into the caller,
    # VOLUME(RX) silences both legs): one call, one leg, app_queue and the CDR unaware.
    h = hotline
    _call, call_id, ami, _held = await hold_and_unhold(h)
    (row,) = h.calls()
    assert row.status == CallStatus.ANSWERED and row.seat_id == "1001" and row.hung_up_by == "caller"
    # 录音: one file across the hold, both parties in it.
    await asyncio.sleep(1.0)
    assert_one_recording_with(h, call_id, 1000.0, 1500.0)
    assert_legs(h, call_id, [("seat", "1001", "PJSIP/1001-")])
    assert abs((row.talk_seconds or 0.0) - talk_from_queue_log(h, call_id)) <= 1.5
    events = [e[4] for e in queue_log_events(h, call_id)]
    assert events == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"], events
    await assert_records_agree(h, call_id)
    caller = row_caller_channel(ami, call_id)
    spies = [(e["SpyerChannel"].split("-")[0], e["SpyeeChannel"]) for e in ami.of("ChanSpyStart")]
    assert ("Local/hold", caller) in spies, spies
    hold_legs = {e["Uniqueid"] for e in ami.of("Hangup") if e["Channel"].startswith("Local/hold-")}
    assert len(hold_legs) == 2 and {u.removesuffix(";2") for u in hold_legs} == {min(hold_legs)}, hold_legs


async def test_held_caller_hears_the_hold_music(hotline: Hotline) -> None:
    # [hotline-hold] loops the hold music prompt with Playback: MusicOnHold on ;2 is never heard
    # (a Local channel passes no media between halves that both run a generator, as ChanSpy does).
    _call, _call_id, _ami, held = await hold_and_unhold(hotline)
    assert near(held, 600.0), held


def row_caller_channel(ami: AmiEventLog, call_id: str) -> str:
    return next(e["Channel"] for e in ami.of("Newchannel") if e["Uniqueid"] == call_id)


async def test_three_way_call_with_another_seat_then_the_seat_drops_it(hotline: Hotline) -> None:
    # Issue 14: 三方通话: seat 1002 is rung from [hotline-conference] and barges (ChanSpy B) into
    # seat 1001's leg: all three hear each other; 移出第三方 hangs its Local channel up.
    h = hotline
    ami = await AmiEventLog.open(h)
    await h.login("1001")
    await h.login("1002")
    expert = await h.phone("1002")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.sleep(1.0)
    await h.seat_console.conference(SeatId("1001"), call_id, TransferKind.SEAT, "1002")
    third = await asyncio.to_thread(expert.answer_next, 20)
    arrivals(call), arrivals(seat_leg), arrivals(third)
    await asyncio.sleep(1.5)
    await asyncio.to_thread(third.write_audio, pcm_tone(1000.0, 4.0))
    caller_heard, seat_heard = await asyncio.gather(heard_over(call, 3.0), heard_over(seat_leg, 3.0))
    assert near(caller_heard, 1000.0) and near(seat_heard, 1000.0), (caller_heard, seat_heard)
    await asyncio.sleep(1.5)
    await asyncio.to_thread(call.write_audio, pcm_tone(600.0, 4.0))
    third_heard, seat_heard = await asyncio.gather(heard_over(third, 3.0), heard_over(seat_leg, 3.0))
    assert near(third_heard, 600.0) and near(seat_heard, 600.0), (third_heard, seat_heard)
    await asyncio.sleep(1.5)
    await asyncio.to_thread(seat_leg.write_audio, pcm_tone(1400.0, 4.0))
    third_heard, caller_heard = await asyncio.gather(heard_over(third, 3.0), heard_over(call, 3.0))
    assert near(third_heard, 1400.0) and near(caller_heard, 1400.0), (third_heard, caller_heard)
    await asyncio.sleep(1.5)
    during = h.seat_status("1002")
    await h.seat_console.drop_third_party(SeatId("1001"), call_id)
    await asyncio.to_thread(wait_state, third, CallState.ENDED, 10, "the third party's call to end")
    # The invited seat's phone was busy meanwhile (app_queue's device state), then it is free again.
    await until(
        lambda: h.seat_status("1002") is SeatStatus.AVAILABLE, 15, f"seat 1002 free again (was {during})"
    )
    await asyncio.to_thread(call.write_audio, pcm_tone(600.0, 4.0))
    assert near(await heard_over(seat_leg, 3.0), 600.0)  # the caller and the seat talk on
    await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")
    # 录音: two segments of the one call. The caller's channel (the caller and the seat, from the
    # answer to the end: ChanSpy's barge reaches the caller after MixMonitor took the frame, so not
    # the third party); the conference's ;2, from the third party's answer to its leave: all three.
    await asyncio.sleep(1.0)
    conference = h.pbx.recordings_dir / f"{call_id}-{third_key(ami)}.wav"
    assert sorted(h.pbx.recordings_dir.iterdir()) == sorted(
        [h.pbx.recordings_dir / f"{call_id}.wav", conference]
    )
    caller_file = recording_of(h, call_id)
    caller_shares = {hz: round(tone_share(caller_file, hz), 3) for hz in (600.0, 1400.0, 2500.0)}
    assert caller_shares[600.0] > 0.03 and caller_shares[1400.0] > 0.03, caller_shares
    with wave.open(str(conference), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        conference_audio = w.readframes(w.getnframes())
    shares = {hz: round(tone_share(conference_audio, hz), 3) for hz in (1000.0, 600.0, 1400.0, 2500.0)}
    assert all(shares[hz] > 0.03 for hz in (1000.0, 600.0, 1400.0)) and shares[2500.0] < 0.02, shares
    # The app keeps both as segments of the call, each closed with its size and checksum.
    await until(lambda: len(h.recordings(call_id)) == 2, 15, "both recording segments kept")
    kept = sorted(h.recordings(call_id), key=lambda r: r.segment)
    assert [(r.segment, r.path) for r in kept] == [
        (1, str(h.pbx.recordings_dir / f"{call_id}.wav")),
        (2, str(conference)),
    ]
    assert all(r.size and r.sha256 and r.status is RecordingStatus.OK for r in kept), kept
    assert kept[1].channel.startswith("Local/c-") and kept[1].channel.endswith(";2"), kept[1]
    await ami.close()
    ami.keep(h, "three-way.ami.jsonl")

    (row,) = h.calls()
    assert row.status == CallStatus.ANSWERED and row.seat_id == "1001" and row.hung_up_by == "caller"
    # The third party is a leg of the call: 1002, for as long as it was bridged with ;2 (barged in).
    assert_legs(h, call_id, [("seat", "1001", "PJSIP/1001-"), ("third_party", "1002", "PJSIP/1002-")])
    events = [e[4] for e in queue_log_events(h, call_id)]
    assert events == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"], events
    await assert_records_agree(h, call_id)
    starts = [(e["SpyerChannel"].split("-")[0], e["SpyeeChannel"]) for e in ami.of("ChanSpyStart")]
    assert ("Local/c", seat_leg_channel(ami)) in starts, starts


def third_key(ami: AmiEventLog) -> str:
    """The conference's ChannelId (`c-<id>`), from the Local channel the console originated."""
    channel = next(e["Channel"] for e in ami.of("Newchannel") if e["Channel"].startswith("Local/c-"))
    return channel.removeprefix("Local/").split("@", 1)[0]


def seat_leg_channel(ami: AmiEventLog) -> str:
    return next(
        e["DestChannel"] for e in ami.of("DialBegin") if e.get("DestChannel", "").startswith("PJSIP/1001-")
    )


async def test_three_way_call_with_12345_ends_for_the_outside_line_when_the_seat_hangs_up(
    hotline: Hotline,
) -> None:
    # Issue 14: the outside line is rung by the trunk and barges in; when the seat hangs up, ChanSpy
    # E releases the outside line and the caller goes on to the survey, as after any call.
    h = hotline
    carrier = await h.phone(CARRIER_USER)
    await h.login("1001")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    await asyncio.sleep(1.0)
    await h.seat_console.conference(SeatId("1001"), call_id, TransferKind.EXTERNAL, "12345")
    outside = await asyncio.to_thread(carrier.wait_ringing, 20)
    assert outside.request.headers["To"]["number"] == "12345"
    await asyncio.to_thread(outside.answer)
    arrivals(call), arrivals(outside)
    await asyncio.sleep(1.5)
    await asyncio.to_thread(call.write_audio, pcm_tone(600.0, 4.0))
    assert near(await heard_over(outside, 3.0), 600.0)  # the outside line hears the caller
    await asyncio.sleep(1.5)
    await hang_up(seat_leg)
    await asyncio.to_thread(wait_state, outside, CallState.ENDED, 10, "the outside line to be released")
    assert call.state == CallState.ANSWERED  # the caller is still on the line: the survey
    survey = f"{h.pbx.ports.agi}/survey"
    await until(lambda: survey in h.pbx.full_log(), 15, "the caller's survey (AGI) to start")
    if call.state == CallState.ANSWERED:  # the survey may already have ended the call
        await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")

    (row,) = h.calls()
    assert row.status == CallStatus.ANSWERED and row.seat_id == "1001" and row.hung_up_by == "seat"
    # The outside line is a leg of the call until the seat's leg ended (ChanSpy E).
    assert_legs(
        h, call_id, [("seat", "1001", "PJSIP/1001-"), ("third_party", "12345", f"PJSIP/{TRUNK_ENDPOINT}-")]
    )
    assert f"PJSIP/12345@{TRUNK_ENDPOINT}" in h.pbx.dial_targets()


async def supervisor_in_the_call(
    h: Hotline, mode: MonitorMode
) -> tuple[Any, Any, Any, DtmfCall, DtmfCall, DtmfCall, str]:
    """Seat 1001 answers a caller; the 班长 (desk phone 8001, assigned by the admin) is in its call
    in `mode`: (the monitor service, the 班长, the desk phone, the caller, the seat's call, the desk
    phone's call, the call id)."""
    users = Repositories(h.db).users
    admin, banzhang = (users.by_username(u) for u in ("admin", "banzhang"))
    assert admin is not None and banzhang is not None
    monitor = h.app.state.monitor_backend
    await monitor.set_phone(admin.principal(), banzhang.id, SUPERVISOR_PHONE, PASSWORDS[SUPERVISOR_PHONE])
    desk = await h.phone(SUPERVISOR_PHONE)
    await h.login("1001")
    call = await call_through_ivr(h)
    seat_leg, call_id = await answered_by(h, "1001")
    arrivals(call), arrivals(seat_leg)
    me = banzhang.principal()
    await monitor.start(me, SeatId("1001"), mode)
    ear = await asyncio.to_thread(desk.answer_next, 20)
    arrivals(ear)
    await until(lambda: monitor.session(me).connected, 10, "the monitor connected")
    return monitor, me, desk, call, seat_leg, ear, call_id


def monitor_actions(h: Hotline) -> list[str]:
    """The audit's monitor lines, newest first."""
    return [e.action for e in AuditRepository(h.db).recent(limit=50) if e.action.startswith("monitor.")]


async def test_supervisor_listens_then_whispers_then_barges_into_a_seats_call(hotline: Hotline) -> None:
    # Issue 16: [hotline-monitor] rings the supervisor's own phone, then ChanSpy on seat 1001's leg:
    # 监听 (qE) hears both sides and says nothing; 耳语 (qwE) reaches the seat only; 强插 (qBE) both.
    h = hotline
    monitor, me, desk, call, seat_leg, ear, call_id = await supervisor_in_the_call(h, MonitorMode.LISTEN)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(call.write_audio, pcm_tone(600.0, 4.0))
    assert near(await heard_over(ear, 3.0), 600.0)  # the caller, heard by the supervisor
    await asyncio.sleep(1.5)
    await asyncio.to_thread(seat_leg.write_audio, pcm_tone(1400.0, 4.0))
    assert near(await heard_over(ear, 3.0), 1400.0)  # the seat too
    await asyncio.sleep(1.5)
    await asyncio.to_thread(ear.write_audio, pcm_tone(1000.0, 4.0))
    caller_heard, seat_heard = await asyncio.gather(heard_over(call, 3.0), heard_over(seat_leg, 3.0))
    assert not near(caller_heard, 1000.0) and not near(seat_heard, 1000.0), (caller_heard, seat_heard)
    await asyncio.sleep(1.5)

    await monitor.switch(me, MonitorMode.WHISPER)  # the desk phone is rung again in the new mode
    await asyncio.to_thread(wait_state, ear, CallState.ENDED, 10, "the listening call to end")
    ear = await asyncio.to_thread(desk.answer_next, 20)
    arrivals(ear)
    await until(lambda: monitor.session(me).connected, 10, "the whisper connected")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(ear.write_audio, pcm_tone(1000.0, 4.0))
    caller_heard, seat_heard = await asyncio.gather(heard_over(call, 3.0), heard_over(seat_leg, 3.0))
    assert near(seat_heard, 1000.0) and not near(caller_heard, 1000.0), (caller_heard, seat_heard)
    await asyncio.sleep(1.5)

    await monitor.switch(me, MonitorMode.BARGE)
    await asyncio.to_thread(wait_state, ear, CallState.ENDED, 10, "the whispering call to end")
    ear = await asyncio.to_thread(desk.answer_next, 20)
    arrivals(ear)
    await until(lambda: monitor.session(me).connected, 10, "the barge connected")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(ear.write_audio, pcm_tone(1000.0, 4.0))
    caller_heard, seat_heard = await asyncio.gather(heard_over(call, 3.0), heard_over(seat_leg, 3.0))
    assert near(seat_heard, 1000.0) and near(caller_heard, 1000.0), (caller_heard, seat_heard)
    await asyncio.sleep(1.5)

    # The caller hangs up: ChanSpy E ends the monitor, the supervisor's phone call ends with it.
    await hang_up(call)
    await asyncio.to_thread(wait_state, ear, CallState.ENDED, 10, "the barging call to end with the call")
    await until(h.all_ended, 20, "the call to be recorded as ended")
    await until(lambda: not monitor.session(me).active, 10, "the monitor to be over")
    (row,) = h.calls()
    assert row.id == call_id and row.seat_id == "1001" and row.status == CallStatus.ANSWERED
    # The session is gone from memory first; its end is audited a moment later (a database write).
    await until(lambda: "monitor.end" in monitor_actions(h), 10, "the monitor's end audited")
    actions = monitor_actions(h)
    assert sorted(set(actions)) == ["monitor.end", "monitor.phone", "monitor.start", "monitor.switch"], (
        actions
    )
    # The citizen's records are one call: the monitor's Local channels and the desk phone are not in it.
    await assert_records_agree(h, call_id)


async def barged_then_taken_over(h: Hotline) -> tuple[Any, Any, DtmfCall, DtmfCall, str]:
    """Seat 1001 answers; the 班长 (desk phone 8001) barges in, then takes the call over: (the
    monitor service, the 班长, the caller, the desk phone's call, the call id)."""
    monitor, me, _desk, call, seat_leg, ear, call_id = await supervisor_in_the_call(h, MonitorMode.BARGE)
    await asyncio.sleep(2.0)

    assert (await monitor.take_over(me)).active  # taken over once Asterisk's events say so
    await until(lambda: monitor.session(me).taken_over, 10, "the take-over seen in Asterisk's events")
    await asyncio.to_thread(wait_state, seat_leg, CallState.ENDED, 10, "the seat's leg to be dropped")
    assert ear.state == CallState.ANSWERED  # the supervisor's phone was not rung again
    await asyncio.sleep(1.0)
    await asyncio.to_thread(ear.write_audio, pcm_tone(1000.0, 4.0))
    assert near(await heard_over(call, 3.0), 1000.0)  # the caller hears the supervisor
    await asyncio.sleep(1.5)
    await asyncio.to_thread(call.write_audio, pcm_tone(600.0, 4.0))
    assert near(await heard_over(ear, 3.0), 600.0)  # and the supervisor the caller
    await asyncio.sleep(1.5)
    assert h.seat_status("1001") is not SeatStatus.TALKING
    return monitor, me, call, ear, call_id


async def test_supervisor_barges_then_takes_the_call_over_and_the_seat_drops_out(hotline: Hotline) -> None:
    # Issue 16, 接管: from 强插 the console's AMI Bridge moves the caller's channel and the
    # supervisor's phone (already in the call: no new ring) into a bridge of their own; Asterisk
    # hangs up seat 1001's leg (alone in the queue's bridge) and the monitor's Local channel.
    h = hotline
    monitor, me, call, ear, call_id = await barged_then_taken_over(h)
    await hang_up(call)
    await asyncio.to_thread(
        wait_state, ear, CallState.ENDED, 10, "the supervisor's call to end with the caller"
    )
    await until(h.all_ended, 20, "the call to be recorded as ended")
    await until(lambda: not monitor.session(me).active, 10, "the take-over session to be over")
    (row,) = h.calls()
    assert row.id == call_id and row.seat_id == "1001" and row.status == CallStatus.ANSWERED
    seat, boss = h.legs(call_id)
    assert (seat.kind, seat.party, boss.kind, boss.party) == ("seat", "1001", "supervisor", SUPERVISOR_PHONE)
    # Each leg's talk is what Asterisk's log says it was bridged with the caller: the seat in the
    # queue's bridge; the desk phone twice (with the monitor's ;2, then with the caller).
    (seat_bridged,) = bridged_seconds(h, "PJSIP/1001-")
    barged, with_caller = bridged_seconds(h, f"PJSIP/{SUPERVISOR_PHONE}-")
    assert seat.talk_seconds is not None and abs(seat.talk_seconds - seat_bridged) <= 0.5, (
        seat,
        seat_bridged,
    )
    assert boss.talk_seconds is not None and abs(boss.talk_seconds - with_caller) <= 0.5, (boss, with_caller)
    assert not seat.inferred and not boss.inferred and barged >= 2.0
    await until(lambda: "monitor.end" in monitor_actions(h), 10, "the take-over's end audited")
    actions = monitor_actions(h)
    assert {"monitor.start", "monitor.takeover", "monitor.end"} <= set(actions), actions
    keep_trace(h, "takeover")
    await assert_records_agree(h, call_id)


async def test_after_a_take_over_the_supervisor_hangs_up_first_and_the_caller_goes_on_to_the_survey(
    hotline: Hotline,
) -> None:
    h = hotline
    monitor, me, call, ear, call_id = await barged_then_taken_over(h)
    await hang_up(ear)
    await until(lambda: not monitor.session(me).active, 10, "the take-over session to be over")
    assert monitor.session(me).message == "接管的通话已结束"
    assert call.state == CallState.ANSWERED  # the caller is still on the line: the survey
    survey = f"{h.pbx.ports.agi}/survey"
    await until(lambda: survey in h.pbx.full_log(), 15, "the caller's survey (AGI) to start")
    await asyncio.sleep(1.0)
    if call.state == CallState.ANSWERED:  # the survey may already have ended the call
        await hang_up(call)
    await until(h.all_ended, 20, "the call to be recorded as ended")
    (row,) = h.calls()
    assert row.id == call_id and row.seat_id == "1001" and row.status == CallStatus.ANSWERED
    seat, boss = h.legs(call_id)
    assert (seat.kind, boss.kind, boss.party) == ("seat", "supervisor", SUPERVISOR_PHONE)
    _barged, with_caller = bridged_seconds(h, f"PJSIP/{SUPERVISOR_PHONE}-")
    assert boss.talk_seconds is not None and abs(boss.talk_seconds - with_caller) <= 0.5, (boss, with_caller)
    keep_trace(h, "takeover_supervisor_hangs_up")
    await assert_records_agree(h, call_id, survey_counted=True)
