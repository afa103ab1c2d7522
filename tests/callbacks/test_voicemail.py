"""After-hours messages (来电留言) become work orders that carry the recording."""

from __future__ import annotations

from pathlib import Path

import pytest
from callback_fakes import Rig

from callbacks.models import MissReason
from callbacks.voicemail import UNSAVED_NOTE, VoicemailInbox
from core.ids import CallId, EventId
from core.ivr_events import VoicemailLeft
from core.voicemail import VoicemailFolder
from store.db import Database
from store.voicemails import VoicemailRepository

FILE = "/var/spool/asterisk/hotline-voicemail/vm-1.wav"


def left(
    rig: Rig, call: str = "vm-1", *, status: str = "DTMF", recording: str = FILE, number: str = "13800138000"
):
    return VoicemailLeft(
        at=rig.clock.now(),
        event_id=EventId(f"{call}:voicemail"),
        call_id=CallId(call),
        caller_number=number,
        recording=recording,
        status=status,
        district_code="310106",
    )


@pytest.fixture
def inbox(rig: Rig, db: Database) -> tuple[VoicemailInbox, VoicemailRepository]:
    store = VoicemailRepository(db)
    return VoicemailInbox(rig.service, store), store


async def test_given_a_message_after_hours_when_received_then_a_district_order_due_next_working_morning(
    rig: Rig, inbox: tuple[VoicemailInbox, VoicemailRepository]
) -> None:
    handler, store = inbox
    rig.clock.advance(hours=9)  # Monday 19:00 China time

    message = await handler.handle(left(rig))

    [order] = rig.store.search()
    assert (order.reason, order.reason.label) == (MissReason.VOICEMAIL, "来电留言")
    assert order.team_id == "team-310106"
    assert order.caller_number == "13800138000"
    assert order.deadline.isoformat() == "2026-11-24T02:00:00+00:00"  # Tuesday 10:00
    assert message.order_id == order.id
    assert store.for_orders([order.id]) == {order.id: [message]}
    assert (message.saved, message.status_label) == (True, "已保存")


async def test_given_the_same_message_twice_when_received_then_one_order_and_one_recording(
    rig: Rig, inbox: tuple[VoicemailInbox, VoicemailRepository]
) -> None:
    handler, store = inbox
    for _ in range(2):
        await handler.handle(left(rig))

    [order] = rig.store.search()
    assert order.misses == 1
    assert len(store.for_orders([order.id])[order.id]) == 1


@pytest.mark.parametrize(
    ("status", "recording", "saved", "label"),
    [
        ("HANGUP", FILE, True, "来电人挂机，已保存挂机前的留言"),
        ("ERROR", "", False, UNSAVED_NOTE),
    ],
)
async def test_given_a_hangup_or_a_failed_save_when_received_then_the_order_says_so(
    rig: Rig,
    inbox: tuple[VoicemailInbox, VoicemailRepository],
    status: str,
    recording: str,
    saved: bool,
    label: str,
) -> None:
    handler, store = inbox

    await handler.handle(left(rig, status=status, recording=recording))

    [order] = rig.store.search()
    [message] = store.for_orders([order.id])[order.id]
    assert (message.status, message.saved, message.status_label) == (status, saved, label)


async def test_given_a_hidden_number_when_a_message_is_left_then_it_is_still_kept_without_an_order(
    rig: Rig, inbox: tuple[VoicemailInbox, VoicemailRepository]
) -> None:
    handler, store = inbox

    message = await handler.handle(left(rig, number="anonymous"))

    assert rig.store.search() == []
    assert message.order_id is None
    assert store.get(CallId("vm-1")) == message


def test_given_the_pbx_folder_when_mapped_then_the_app_reads_the_same_file_under_its_own_mount() -> None:
    folder = VoicemailFolder("/var/spool/asterisk/hotline-voicemail", "/mnt/pbx-voicemail")

    assert folder.recording_for("1733.5") == "/var/spool/asterisk/hotline-voicemail/1733.5.wav"
    assert folder.recording_for("a/../b") == "/var/spool/asterisk/hotline-voicemail/a_.._b.wav"
    assert folder.local(folder.recording_for("1733.5")) == Path("/mnt/pbx-voicemail/1733.5.wav")
    assert VoicemailFolder("/v").local("/v/x.wav") == Path("/v/x.wav")
    for outside in ("", "/etc/passwd", "/var/spool/asterisk/hotline-voicemail/../x.wav", folder.pbx_dir):
        assert folder.local(outside) is None
