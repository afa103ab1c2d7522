"""Speech recognition as a process of its own (issue 21's layout: recognition workers on other
hosts), end to end.

The telephony process is the real app (`build_app`, role `telephony`, `HOTLINE_ASR__REMOTE=true`)
with the embedded simulator; the speech process is `hotline serve --role speech`, a real child
process with the Whisper model, on the same database and Redis channel. A simulated caller says
its address (a committed synthesized clip) over a real AudioSocket connection to the speech
process; checked from the outside:

* the IVR routes the call by what the speech process heard (not the demo's scripted text);
* the utterance's events were recorded by the speech process (the telephony process records only
  its own events) and reached the telephony process through Redis;
* the status page shows the speech process; after it is killed, it says none is up within the
  heartbeat's expiry, and the next caller is routed without speech (nothing hangs, no call lost).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD, demo_settings
from core.asr_events import AsrStreamEnded
from core.ivr_events import IvrRouted
from pbx.sim import DEFAULT_AUDIO_DIR, CallerSpec
from pbx.sim.demo import SCRIPTED_MARK
from tests.support.live_server import LiveServer, live_server
from tests.support.net import free_port
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CLIP = "address-03-xuhui-tianlin.wav"  # 我在徐汇区田林街道


def _district_of(clip: str) -> str:
    with (DEFAULT_AUDIO_DIR / "addresses.tsv").open(encoding="utf-8") as f:
        return next(row["district_code"] for row in csv.DictReader(f, delimiter="\t") if row["file"] == clip)


def _whisper_path() -> Path:
    configured = os.environ.get("HOTLINE_ASR__WHISPER_MODEL_PATH")
    path = Path(configured) if configured else REPO / "models" / "faster-whisper-base"
    if not (path / "model.bin").is_file():
        pytest.skip(f"Whisper 模型不可用（make install 安装）：{path}")
    return path


@pytest.fixture
def speech_deployment(
    tmp_path: Path, redis_url: str
) -> Iterator[tuple[LiveServer, Runtime, subprocess.Popen[bytes], list[Any]]]:
    model = _whisper_path()
    db = f"sqlite:///{tmp_path / 'speech.db'}"
    channel = f"hotline:test-speech:{uuid.uuid4().hex}"
    port = free_port()
    settings = demo_settings(
        role="telephony",
        database={"url": db, "auto_migrate": True},
        redis={"url": redis_url, "channel": channel},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"host": "127.0.0.1", "port": port},
        asr={"remote": True},
        callbacks={"tick_s": 3600.0},
        sim={"enabled": True, "calls_per_hour": 0, "auto_login_seats": False, "time_scale": 1.0,
             "seed": 20261207, "run_dir": tmp_path / "sim"},
        recordings={"pbx_dir": str(tmp_path / "recordings"), "settle_s": 0.1},
    )  # fmt: skip
    app = build_app(settings)
    with live_server(app) as tel:
        runtime: Runtime = app.state.runtime
        heard: list[Any] = []

        async def note(event: Any) -> None:
            heard.append(event)

        async def follow() -> None:
            runtime.bus.subscribe("test-speech", note, types=(IvrRouted, AsrStreamEnded))

        tel.run(follow())
        env = {
            **os.environ,
            "HOTLINE_ROLE": "speech",
            "HOTLINE_DATABASE__URL": db,
            "HOTLINE_REDIS__URL": redis_url,
            "HOTLINE_REDIS__CHANNEL": channel,
            "HOTLINE_AUDIOSOCKET__HOST": "127.0.0.1",
            "HOTLINE_AUDIOSOCKET__PORT": str(port),
            "HOTLINE_AMI__ENABLED": "false",
            "HOTLINE_ASR__ENGINE": "whisper",
            "HOTLINE_ASR__WHISPER_MODEL_PATH": str(model),
            "HOTLINE_ASR__POST_CALL": "false",
            "HOTLINE_WEB__SESSION_SECRET": "speech-test-" + uuid.uuid4().hex,
            "HOTLINE_JOURNAL__DIR": str(tmp_path / "speech-journal"),
        }
        log = (tmp_path / "speech.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve"],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield tel, runtime, worker, heard
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    worker.kill()
            log.close()


def _asr_component(tel: LiveServer) -> dict[str, Any]:
    with httpx2.Client(base_url=tel.url) as client:
        r = client.post("/api/login", json={"username": "admin", "password": DEMO_ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        status = client.get("/api/status").json()
    return dict(next(c for c in status["components"] if c["name"] == "asr"))


def _place(tel: LiveServer, runtime: Runtime, clip: str) -> None:
    async def go() -> None:
        sim = runtime.simulator
        assert sim is not None
        # Keys 4 (就近服务点查询) and says the address; then 1 confirms the office read back, 2 books no visit.
        sim.place_call(CallerSpec(dtmf="412", address=clip))

    tel.run(go())


def test_a_speech_process_hears_the_callers_address_for_the_telephony_process_and_its_loss_is_a_fallback(
    speech_deployment: Any, tmp_path: Path
) -> None:
    tel, runtime, worker, heard = speech_deployment
    wait_until(lambda: _asr_component(tel)["up"], 90, "the speech process's heartbeat (model load)")
    assert "1 个语音识别进程在线" in _asr_component(tel)["detail"]

    _place(tel, runtime, CLIP)
    wait_until(lambda: any(isinstance(e, IvrRouted) for e in heard), 120, "the IVR to route the caller")
    routed = next(e for e in heard if isinstance(e, IvrRouted))
    assert routed.spoken_address and SCRIPTED_MARK not in routed.spoken_address, routed
    assert routed.district_code == _district_of(CLIP), routed.spoken_address

    # The utterance's end, from the speech process through Redis, and recorded there.
    ended = [e for e in heard if isinstance(e, AsrStreamEnded)]
    assert ended and ended[0].text, ended
    with runtime.repos.db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT count(*) FROM call_events WHERE event_type = 'AsrStreamEnded' AND call_id = :c"),
            {"c": ended[0].call_id},
        ).scalar_one()
    assert rows == 1

    # The speech process dies: the status page says so, and the next caller is not held by it.
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    wait_until(lambda: not _asr_component(tel)["up"], 20, "the speech process to be seen gone")
    assert "没有在线的语音识别进程" in _asr_component(tel)["detail"]
    before = len([e for e in heard if isinstance(e, IvrRouted)])
    _place(tel, runtime, CLIP)
    wait_until(
        lambda: len([e for e in heard if isinstance(e, IvrRouted)]) > before, 120, "the next caller routed"
    )
    after = [e for e in heard if isinstance(e, IvrRouted)][-1]
    assert not after.spoken_address  # nothing heard: routed by keys or to a seat, not stuck
