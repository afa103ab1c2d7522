"""The seat's transcript panel with post-call transcripts (issue 18): the recording's lines (leg
`mixed`) stand in for an empty live transcript, labelled 录音转写（通话后）; a live transcript,
when there is one, is shown as it was."""

from __future__ import annotations

from datetime import UTC, datetime

from core.calls import TranscriptLine
from core.ids import CallId

from .conftest import Harness


def _store(h: Harness, call: str, leg: str, seq: int, text: str, start_s: float) -> None:
    h.runtime.repos.transcripts.add(
        TranscriptLine(
            call_id=CallId(call),
            leg=leg,
            seq=seq,
            text=text,
            start_s=start_s,
            end_s=start_s + 2.0,
            final=True,
            at=datetime.now(UTC),
        )
    )


def test_given_only_a_post_call_transcript_when_the_seat_reads_it_then_it_is_shown_labelled(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001")
    harness.login("seat1001")
    _store(harness, call, "mixed", 100_001, "好的，谢谢您的来电，再见", 40.0)
    _store(harness, call, "mixed", 100_000, "您好，这里是公共法律服务热线", 1.0)

    r = harness.client.get(f"/api/seat/calls/{call}/transcript")

    assert r.status_code == 200
    assert [(s["leg"], s["leg_label"], s["text"]) for s in r.json()["segments"]] == [
        ("mixed", "录音转写（通话后）", "您好，这里是公共法律服务热线"),
        ("mixed", "录音转写（通话后）", "好的，谢谢您的来电，再见"),
    ]


def test_given_a_live_transcript_when_the_seat_reads_it_then_the_post_call_one_is_not_mixed_in(
    harness: Harness,
) -> None:
    harness.seat_in_queue("1001")
    call = harness.call_to("1001")
    harness.login("seat1001")
    _store(harness, call, "caller", 1, "我想咨询劳动争议", 3.0)
    _store(harness, call, "mixed", 100_000, "您好我想咨询劳动争议", 1.0)

    body = harness.client.get(f"/api/seat/calls/{call}/transcript").json()

    assert [(s["leg"], s["text"]) for s in body["segments"]] == [("caller", "我想咨询劳动争议")]
    harness.login("seat1002")  # another seat's call: refused, as the live transcript is
    assert harness.client.get(f"/api/seat/calls/{call}/transcript").status_code == 404
