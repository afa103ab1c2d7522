"""Transfers on live simulated calls, through the seat console's HTTP API.

The real app (`build_app`: runtime, tracker, board, store, seat console) runs against the embedded
simulator executing the project's rendered extensions.conf ([hotline-seat], [hotline-transfer]).
A seat logged in through /api/login transfers its live call with
POST /api/seat/calls/{id}/transfer; the tests then read what the rest of the system made of it:
the board, the `calls` row and its `call_legs`, and the simulator's own queue_log and CDR.

Deterministic: no generated traffic, one scripted caller, seat phones re-registered with a fixed
answer behaviour (answer after 1 s, never hang up themselves), a fixed seed and time scale.
"""

from __future__ import annotations

import csv
import itertools
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD, demo_settings
from core import dialplan
from core.calls import CallLeg, CallRecord
from core.events import DomainEvent
from core.ids import CallId, SeatId
from core.ivr_events import SurveyAnswered, SurveyRating
from core.recordings import RecordingStatus
from pbx.reconcile import summarise
from pbx.records import parse_cdr, parse_queue_log
from pbx.sim.config import Dist, PhoneConfig
from pbx.sim.model import CallerSpec
from pbx.sim.simulator import Simulator
from seats.state import SeatStatus
from store.recordings import RecordingRepository
from tests.support.app import WorkdayClock

pytestmark = pytest.mark.slow

T = TypeVar("T")
CSRF = "X-CSRF-Token"
SCALE = 10.0  # virtual seconds per real second
_callers = itertools.count(1)


def steady_phone(endpoint: str, *, answers: bool = True) -> PhoneConfig:
    """A seat phone that answers after 1 s (or never) and leaves hanging up to the other side."""
    return PhoneConfig(endpoint, answer_probability=1.0 if answers else 0.0, answer_delay=Dist.fixed(1.0))


@dataclass
class Live:
    client: TestClient
    runtime: Runtime
    events: list[dict[str, str]]

    @property
    def sim(self) -> Simulator:
        assert self.runtime.simulator is not None
        return self.runtime.simulator

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the app's event loop (the runtime's state is only touched there)."""

        async def go() -> T:
            return fn()

        return self.client.portal.call(go)  # type: ignore[union-attr]

    def until(self, check: Callable[[], Any], what: str, within: float = 20.0) -> Any:
        deadline = time.monotonic() + within
        while True:
            value = self.call(check)
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.05)

    def login(self, seat: str) -> dict[str, str]:
        """A seat's browser session (its own cookies) that signs the seat in."""
        self.client.cookies.clear()
        r = self.client.post("/api/login", json={"username": f"seat{seat}", "password": DEMO_ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        cookie = "; ".join(f"{k}={v}" for k, v in self.client.cookies.items())
        self.client.cookies.clear()  # each seat's requests carry its own session cookie
        headers = {CSRF: r.json()["csrf_token"], "Cookie": cookie}
        r = self.client.post("/api/seat/login", headers=headers)
        assert r.status_code == 200, r.text
        self.until(lambda: self.status(seat) is SeatStatus.AVAILABLE, f"seat {seat} available")
        return headers

    def status(self, seat: str) -> SeatStatus:
        assert self.runtime.board is not None
        return self.runtime.board.state(SeatId(seat)).status

    def seat_call(self, seat: str) -> str | None:
        assert self.runtime.board is not None
        return self.runtime.board.state(SeatId(seat)).call_id

    def place_call(self) -> str:
        number = f"1390013{next(_callers):04d}"

        def place() -> None:
            self.sim.register_phone(PhoneConfig(number, context=dialplan.INCOMING))
            self.sim.place_call(CallerSpec(endpoint=number, number=number, dtmf="12", district="310106"))

        self.call(place)
        return number

    def transfer(self, seat: str, headers: dict[str, str], call_id: str, kind: str, target: str) -> None:
        r = self.client.post(
            f"/api/seat/calls/{call_id}/transfer", json={"kind": kind, "target": target}, headers=headers
        )
        assert r.status_code == 200, r.text

    def hang_up_caller(self, number: str) -> None:
        assert self.call(lambda: self.sim.pbx.hangup_endpoint(number))

    def record(self, call_id: str) -> CallRecord | None:
        return self.runtime.repos.calls.find(CallId(call_id))

    def ended(self, call_id: str) -> CallRecord:
        record: CallRecord = self.until(
            lambda: (r := self.record(call_id)) is not None and r.ended_at is not None and r,
            "the call row to end",
        )
        return record

    def legs(self, call_id: str) -> list[CallLeg]:
        return self.runtime.repos.calls.legs(CallId(call_id))

    def ended_legs(self, call_id: str, count: int) -> list[CallLeg]:
        """The call's legs once `count` of them are written and all have ended."""

        def check() -> list[CallLeg] | None:
            legs = self.legs(call_id)
            return legs if len(legs) >= count and all(leg.ended_at for leg in legs) else None

        found: list[CallLeg] = self.until(check, f"{count} ended legs")
        return found

    def joins(self, uniqueid: str) -> list[str]:
        return [
            e.get("Queue", "")
            for e in list(self.events)
            if e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == uniqueid
        ]

    def queue_log(self, uniqueid: str) -> list[list[str]]:
        lines = self.sim.queue_log_path.read_text().splitlines()
        return [line.split("|") for line in lines if line.split("|")[1:2] == [uniqueid]]

    def cdr(self, uniqueid: str) -> list[dict[str, str]]:
        with self.sim.cdr_path.open(newline="") as f:
            from pbx.sim.records import CDR_FIELDS

            return [dict(zip(CDR_FIELDS, row, strict=False)) for row in csv.reader(f) if uniqueid in row]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with running_app(tmp_path) as lv:
        yield lv


@contextmanager
def running_app(tmp_path: Path) -> Iterator[Live]:
    """The demo app over the embedded simulator, seats 1001 and 1002's phones answering after 1 s."""
    settings = demo_settings(
        database={"url": f"sqlite:///{tmp_path / 'xfer.db'}", "auto_migrate": True},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        seats={"wrap_up_s": 1.0},
        callbacks={"tick_s": 3600.0},
        sim={
            "enabled": True,
            "calls_per_hour": 0,
            "auto_login_seats": False,
            "time_scale": SCALE,
            "seed": 20261123,
            "run_dir": tmp_path / "sim",
        },
        recordings={"pbx_dir": str(tmp_path / "recordings"), "settle_s": 0.1},
    )
    app = build_app(settings, clock=WorkdayClock())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runtime: Runtime = app.state.runtime
        events: list[dict[str, str]] = []
        lv = Live(client, runtime, events)

        def wire() -> None:
            lv.sim.event_listeners.append(lambda headers: events.append(dict(headers)))
            for seat in ("1001", "1002"):
                lv.sim.register_phone(steady_phone(seat))

        lv.call(wire)
        lv.until(lambda: runtime.bridge is not None and runtime.bridge.status.connected, "the AMI link")
        yield lv


def _answered_by_1001(live: Live) -> tuple[dict[str, str], str, str]:
    """Seat 1001 alone signed in; one caller (法律咨询 › 劳动争议) reaches it. Returns the seat's
    headers, the caller's number and the call id (the caller channel's Uniqueid)."""
    me = live.login("1001")
    number = live.place_call()
    live.until(lambda: live.status("1001") is SeatStatus.TALKING, "seat 1001 talking", 30)
    call_id = live.call(lambda: live.seat_call("1001"))
    assert call_id
    return me, number, call_id


def audioop_rms(pcm16: bytes) -> float:
    samples = memoryview(pcm16).cast("h")
    return (sum(x * x for x in samples) / max(1, len(samples))) ** 0.5


def _seat_legs(legs: list[CallLeg]) -> list[tuple[str | None, int]]:
    return [(leg.seat_id, leg.transfer_seq) for leg in legs if leg.kind == "seat"]


def test_given_a_call_on_1001_when_transferred_to_seat_1002_then_two_seat_legs_and_the_records_agree(
    live: Live,
) -> None:
    me, number, call_id = _answered_by_1001(live)
    live.login("1002")
    time.sleep(0.5)  # 5 virtual seconds of talk on 1001
    live.transfer("1001", me, call_id, "seat", "1002")
    live.until(lambda: live.status("1002") is SeatStatus.TALKING, "seat 1002 talking")
    assert live.call(lambda: live.seat_call("1002")) == call_id
    time.sleep(0.5)
    live.hang_up_caller(number)
    row = live.ended(call_id)

    legs = live.ended_legs(call_id, 2)
    assert _seat_legs(legs) == [("1001", 0), ("1002", 1)]
    for leg in legs:
        assert leg.talk_seconds is not None and leg.talk_seconds > 0, leg
    assert row.seat_id == "1001" and row.final_seat_id == "1002"
    assert [(t["kind"], t["target"], t["status"]) for t in row.transfers] == [("seat", "1002", "ok")]
    assert row.talk_seconds is not None
    assert row.talk_seconds == pytest.approx(sum(leg.talk_seconds or 0 for leg in legs), abs=0.01)
    # 录音: one segment across the transfer (MixMonitor on the caller's channel), both seats' talk.
    recordings = RecordingRepository(live.runtime.repos.db)
    (rec,) = live.until(lambda: recordings.for_call(CallId(call_id)), "the call's recording")
    assert (rec.segment, rec.status, rec.answered) == (1, RecordingStatus.OK, True)
    with wave.open(rec.path) as w:
        assert w.getnframes() / 8000 == pytest.approx(row.talk_seconds, abs=1.5)

    # Asterisk's own records, as the simulator wrote them.
    qlog = live.until(lambda: [line[4] for line in live.queue_log(call_id)], "queue_log lines")
    assert "CONNECT" in qlog
    completes = live.until(
        lambda: [line for line in live.queue_log(call_id) if line[4].startswith("COMPLETE")],
        "a COMPLETE line",
    )
    assert [line[3] for line in completes] == ["seat-1001"]
    cdr = live.until(lambda: live.cdr(call_id), "the CDR rows")
    assert any(r["lastapp"] == "Dial" and r["dstchannel"].startswith("PJSIP/1002-") for r in cdr), cdr


def test_given_a_call_on_1001_when_transferred_to_another_queue_then_1002_talks_and_its_leg_is_recorded(
    live: Live,
) -> None:
    me, number, call_id = _answered_by_1001(live)
    live.login("1002")  # of the district's seats only 1002 takes 房产物业 (property)
    time.sleep(0.3)
    live.transfer("1001", me, call_id, "queue", "q-310106-property")
    live.until(lambda: live.status("1002") is SeatStatus.TALKING, "seat 1002 talking (not ringing)")
    assert live.call(lambda: live.seat_call("1002")) == call_id
    assert live.joins(call_id)[1:] == ["q-310106-property"]  # after the IVR's queue
    time.sleep(0.3)
    live.hang_up_caller(number)
    row = live.ended(call_id)
    legs = live.ended_legs(call_id, 2)
    assert _seat_legs(legs) == [("1001", 0), ("1002", 1)]
    assert row.final_seat_id == "1002"
    assert [(t["kind"], t["target"], t["status"]) for t in row.transfers] == [
        ("queue", "q-310106-property", "ok")
    ]


def test_given_a_call_on_1001_when_transferred_to_12345_and_answered_then_an_external_leg_and_ok(
    live: Live,
) -> None:
    me, number, call_id = _answered_by_1001(live)
    time.sleep(0.3)
    live.transfer("1001", me, call_id, "external", "12345")
    row = live.ended(call_id)  # the outside party hangs up after its talk time
    legs = live.ended_legs(call_id, 2)
    external = [leg for leg in legs if leg.kind == "external"]
    assert [(leg.party, leg.transfer_seq) for leg in external] == [("12345", 1)]
    assert external[0].talk_seconds is not None and external[0].talk_seconds > 0
    assert [(t["kind"], t["target"], t["status"]) for t in row.transfers] == [("external", "12345", "ok")]
    assert len(live.joins(call_id)) == 1  # never back in a queue
    del number


def test_given_the_carrier_failing_when_transferred_to_12345_then_failed_and_the_caller_is_queued_and_answered_again(
    live: Live,
) -> None:
    live.call(
        lambda: setattr(live.sim.pbx, "config", replace(live.sim.pbx.config, outside_failing=("12345",)))
    )
    me, number, call_id = _answered_by_1001(live)
    time.sleep(0.3)
    live.transfer("1001", me, call_id, "external", "12345")
    live.until(lambda: len(live.joins(call_id)) == 2, "the caller back in the queue")
    live.until(
        lambda: live.status("1001") is SeatStatus.TALKING and live.seat_call("1001") == call_id,
        "1001 answering again",
        30,
    )
    row = live.record(call_id)
    assert row is not None and row.ended_at is None, "the caller was dropped"
    assert [(t["kind"], t["target"], t["status"], t["detail"]) for t in row.transfers] == [
        ("external", "12345", "failed", "CHANUNAVAIL")
    ]
    live.hang_up_caller(number)
    row = live.ended(call_id)
    assert [(t["kind"], t["target"], t["status"]) for t in row.transfers] == [("external", "12345", "failed")]
    legs = live.ended_legs(call_id, 2)
    assert [leg.seat_id for leg in legs if leg.kind == "seat"] == ["1001", "1001"]
    # Asterisk's records: the caller entered a queue twice, and the failed Dial is in the CDR.
    live.until(
        lambda: [line[4] for line in live.queue_log(call_id)].count("COMPLETECALLER") == 2, "COMPLETEs"
    )
    assert [line[4] for line in live.queue_log(call_id)].count("ENTERQUEUE") == 2
    cdr = live.until(lambda: live.cdr(call_id), "the CDR rows")
    assert any(r["lastapp"] == "Dial" and r["lastdata"].startswith("PJSIP/12345@") for r in cdr), cdr


@pytest.mark.parametrize(
    ("phone", "status"),
    [("rings", "NOANSWER"), ("unregistered", "CHANUNAVAIL")],  # the console still shows 1002 available
)
def test_given_a_seat_that_does_not_answer_when_transferred_to_it_then_the_caller_returns_to_the_queue(
    live: Live, phone: str, status: str
) -> None:
    me, number, call_id = _answered_by_1001(live)
    live.login("1002")
    if phone == "rings":
        live.call(lambda: live.sim.register_phone(steady_phone("1002", answers=False)))
    else:
        live.call(lambda: live.sim.unregister_phone("1002"))
    time.sleep(0.3)
    live.transfer("1001", me, call_id, "seat", "1002")
    live.until(lambda: len(live.joins(call_id)) == 2, "the caller back in the queue", 30)
    live.until(
        lambda: live.status("1001") is SeatStatus.TALKING and live.seat_call("1001") == call_id,
        "1001 answering again",
        40,
    )
    row = live.record(call_id)
    assert row is not None and row.ended_at is None
    assert [(t["kind"], t["target"], t["status"], t["detail"]) for t in row.transfers] == [
        ("seat", "1002", "failed", status)
    ]
    assert live.status("1002") is not SeatStatus.TALKING
    live.hang_up_caller(number)
    row = live.ended(call_id)
    assert row.seat_id == "1001" and row.final_seat_id == "1001"
    legs = live.ended_legs(call_id, 2)
    assert _seat_legs(legs) == [("1001", 0), ("1001", 1)]  # 1002 never answered: no leg
    cdr = live.until(lambda: live.cdr(call_id), "the CDR rows")
    dials = [(r["lastdata"], r["dstchannel"][:11], r["disposition"]) for r in cdr if r["lastapp"] == "Dial"]
    if phone == "rings":
        assert dials == [("PJSIP/1002,30,g", "PJSIP/1002-", "NO ANSWER")]
    else:  # no channel: the Dial stays the row's application through the queue call that follows
        assert dials == [("PJSIP/1002,30,g", "PJSIP/1001-", "ANSWERED")]


def test_given_a_call_transferred_to_seat_1002_when_1002_hangs_up_in_its_console_then_the_caller_rates_1002(
    live: Live,
) -> None:
    # Dial(PJSIP/1002,30,g): when the seat hangs up, the caller goes on in [hotline-seat] to the survey.
    surveys: list[SurveyAnswered] = []

    def follow() -> None:
        async def keep(event: DomainEvent) -> None:
            assert isinstance(event, SurveyAnswered)
            surveys.append(event)

        live.runtime.bus.subscribe("test-surveys", keep, types=(SurveyAnswered,))
        live.sim.pbx.config = replace(live.sim.pbx.config, survey_mix=(("1", 1.0),))

    live.call(follow)
    me, number, call_id = _answered_by_1001(live)
    other = live.login("1002")
    time.sleep(0.3)
    live.transfer("1001", me, call_id, "seat", "1002")
    live.until(lambda: live.status("1002") is SeatStatus.TALKING, "seat 1002 talking")
    time.sleep(0.3)
    # Seat 1002 ends the call from its console: its own leg is hung up, the caller stays.
    r = live.client.post(f"/api/seat/calls/{call_id}/hangup", headers=other)
    assert r.status_code == 200, r.text
    live.until(lambda: surveys, "the caller's rating")
    assert [(s.call_id, s.seat_id, s.rating, s.transferred) for s in surveys] == [
        (call_id, "1002", SurveyRating.SATISFIED, True)
    ]
    row = live.ended(call_id)
    assert row.final_seat_id == "1002"
    legs = live.ended_legs(call_id, 2)
    assert _seat_legs(legs) == [("1001", 0), ("1002", 1)]
    del number


def test_given_a_call_transferred_to_seat_1002_when_1002_transfers_it_on_to_12345_then_a_chain_of_two(
    live: Live,
) -> None:
    me, number, call_id = _answered_by_1001(live)
    other = live.login("1002")
    time.sleep(0.3)
    live.transfer("1001", me, call_id, "seat", "1002")
    live.until(lambda: live.status("1002") is SeatStatus.TALKING, "seat 1002 talking")
    time.sleep(0.3)
    live.transfer("1002", other, call_id, "external", "12345")
    row = live.ended(call_id)  # the outside party hangs up after its talk time
    assert [(t["kind"], t["from_seat"], t["target"], t["status"]) for t in row.transfers] == [
        ("seat", "1001", "1002", "ok"),
        ("external", "1002", "12345", "ok"),
    ]
    legs = live.ended_legs(call_id, 3)
    assert [(leg.kind, leg.party, leg.transfer_seq) for leg in legs] == [
        ("seat", "1001", 0),
        ("seat", "1002", 1),
        ("external", "12345", 2),
    ]
    assert all(leg.talk_seconds for leg in legs), legs
    assert live.status("1002") is not SeatStatus.TALKING
    del number


def test_given_a_three_way_call_when_the_third_party_hangs_up_by_itself_then_its_leg_is_recorded_and_the_seat_can_hold(
    live: Live,
) -> None:
    me, number, call_id = _answered_by_1001(live)
    live.login("1002")
    console = live.client.app.state.seat_console  # type: ignore[attr-defined]
    r = live.client.post(
        f"/api/seat/calls/{call_id}/conference", json={"kind": "seat", "target": "1002"}, headers=me
    )
    assert r.status_code == 200, r.text
    third = live.until(
        lambda: next((e for e in list(live.events) if e.get("Event") == "ChanSpyStart"), None),
        "the third party barging in",
    )
    time.sleep(0.5)  # 5 virtual seconds of three-way talk
    live.call(lambda: live.sim.pbx.hangup_endpoint("1002"))  # the third party puts its phone down
    stop = live.until(
        lambda: next((e for e in list(live.events) if e.get("Event") == "ChanSpyStop"), None),
        "the barge to end",
    )
    live.until(lambda: not console.third_party(CallId(call_id)), "the console to forget the third party")
    hold = f"/api/seat/calls/{call_id}/hold"
    r = live.client.post(hold, json={"on": True}, headers=me)
    assert r.status_code == 200, r.text  # no longer "三方通话中不能保持"
    assert live.client.post(hold, json={"on": False}, headers=me).status_code == 200
    live.hang_up_caller(number)
    live.ended(call_id)

    legs = live.ended_legs(call_id, 2)
    assert _seat_legs(legs) == [("1001", 0)]
    (leg,) = [leg for leg in legs if leg.kind == "third_party"]
    # It left when its phone hung up (before ;2, and then ChanSpy on ;1, ended).
    gone = next(e for e in list(live.events) if e.get("Event") == "Hangup" and e["Channel"] == leg.channel)
    spied = min(float(stop["Timestamp"]), float(gone["Timestamp"])) - float(third["Timestamp"])
    assert (leg.party, leg.seat_id, leg.inferred) == ("1002", "1002", False)
    assert leg.talk_seconds == pytest.approx(spied, abs=0.01) and leg.talk_seconds > 0
    assert leg.ended_at is not None and leg.ended_at < live.ended(call_id).ended_at  # type: ignore[operator]
    assert leg.channel.startswith("PJSIP/1002-")
    # The seat's own talk is the call's (AgentComplete's whole seconds): the third party's is not added.
    row = live.ended(call_id)
    seat_talk = sum(x.talk_seconds or 0 for x in legs if x.kind == "seat")
    assert row.talk_seconds == pytest.approx(seat_talk, abs=1.0)
    # 录音: two segments of the call: the caller's channel for the whole talk, the conference's ;2
    # for the third party's time in it, named from the call and the conference.
    recordings = RecordingRepository(live.runtime.repos.db)
    kept = live.until(
        lambda: r if len(r := recordings.for_call(CallId(call_id))) == 2 else None, "two recording segments"
    )
    first, second = sorted(kept, key=lambda r: r.segment)
    conference = stop["SpyerChannel"].removeprefix("Local/").split("@", 1)[0]
    assert (first.segment, Path(first.path).name) == (1, f"{call_id}.wav")
    assert (second.segment, Path(second.path).name) == (2, f"{call_id}-{conference}.wav")
    assert second.channel.startswith(f"Local/{conference}@hotline-conference-") and second.channel.endswith(
        ";2"
    )
    assert all(r.status is RecordingStatus.OK and r.answered and r.size for r in kept), kept
    assert second.started_at == leg.answered_at and second.ended_at == leg.ended_at
    with wave.open(first.path) as w:
        assert w.getnframes() / 8000 == pytest.approx(row.talk_seconds, abs=1.5)
    with wave.open(second.path) as w:  # written while ;2 was bridged to the third party
        assert w.getnframes() / 8000 == pytest.approx(leg.talk_seconds, abs=1.5)
        conference_pcm = w.readframes(w.getnframes())
    # ChanSpy passed ;2 the call's audio: the caller's voice is in it (the simulated seats are silent).
    assert audioop_rms(conference_pcm) > 100, audioop_rms(conference_pcm)

    # Asterisk's records, as the simulator wrote them: the reconciliation finds one citizen's call
    # there, not the conference's Local channels nor the third party's.
    cdr = live.until(lambda: [r for r in live.cdr(call_id) if r["channel"].startswith("PJSIP/")], "the CDR")
    lines = list(enumerate(live.sim.cdr_path.read_text().splitlines()))
    entries = list(enumerate(live.sim.queue_log_path.read_text().splitlines()))
    assert any(r["lastapp"] == "Dial" and r["dstchannel"].startswith("PJSIP/1002-") for r in live.cdr(""))
    found = summarise(parse_queue_log(entries), parse_cdr(lines), cdr_expected=True, now=row.ended_at)  # type: ignore[arg-type]
    assert list(found) == [call_id], cdr
