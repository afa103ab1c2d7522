"""Issue 14's 留言 end to end against the PBX simulator (nothing of ours is mocked): after hours a
simulated caller presses 2 and speaks; the simulator's Record() writes the file, the IVR's
VoicemailLeft becomes a 来电留言 work order in the city pool, and the file the orders page streams
is the one the simulator wrote, holding what the caller said."""

from __future__ import annotations

import secrets
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.runtime import Runtime
from app.settings import demo_settings
from callbacks.models import MissReason
from core.calls import CallStatus
from core.clock import ManualClock
from pbx.sim import DEFAULT_AUDIO_DIR, CallerSpec
from tests.support.polling import until

pytestmark = pytest.mark.slow

SPEECH = "speech-fireredasr-BAC009S0764W0121.wav"
EVENING = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 22:00 in Shanghai: after hours


async def test_given_after_hours_when_a_simulated_caller_leaves_a_message_then_an_order_plays_it(
    tmp_path: Path,
) -> None:
    # Not the demo: its service hours are open around the clock; the production hours close at 20:00.
    settings = demo_settings(
        demo=False,
        web={"session_secret": secrets.token_hex(16)},
        database={"url": f"sqlite:///{tmp_path / 'vm.db'}", "auto_migrate": True},
        ami={"port": 0, "action_timeout_s": 5.0, "secret": secrets.token_hex(8)},
        agi={"port": 0},
        audiosocket={"enabled": False},
        callbacks={"tick_s": 3600.0},
        sim={"enabled": True, "auto_login_seats": False, "calls_per_hour": 0.0, "time_scale": 10.0},
        voicemail={"pbx_dir": str(tmp_path / "pbx-voicemail")},
    )
    runtime = Runtime(settings, clock=ManualClock(EVENING))
    await runtime.start()
    try:
        assert runtime.simulator is not None
        # The greeting takes the first key (not read after hours), 2 answers 留言, # ends it.
        await runtime.simulator.place_call(CallerSpec(number="13912340000", dtmf="02#", speech=SPEECH))
        repos = runtime.repos
        await until(lambda: bool(repos.work_orders.search()), 10.0, "the message's work order")
        [order] = repos.work_orders.search()
        assert (order.reason, order.team_id, order.caller_number) == (
            MissReason.VOICEMAIL,
            "team-citywide",
            "13912340000",
        )
        [message] = repos.voicemails.for_orders([order.id])[order.id]
        assert message.status == "DTMF" and message.saved
        # The call itself is recorded, ended in the IVR with the path the caller took.
        await until(
            lambda: (c := repos.calls.find(message.call_id)) is not None and c.ended_at is not None, 10.0
        )
        call = repos.calls.get(message.call_id)
        assert (call.status, call.ivr_path) == (CallStatus.ENDED, ("after_hours:2",))
        path = settings.voicemail.folder().local(message.recording)  # where the orders page reads it
        assert path is not None and path.parent == tmp_path / "pbx-voicemail"
        with wave.open(str(path)) as w, wave.open(str(DEFAULT_AUDIO_DIR / SPEECH)) as spoken:
            said = w.readframes(w.getnframes())
            assert said and said == spoken.readframes(spoken.getnframes())[: len(said)]
    finally:
        await runtime.stop()
