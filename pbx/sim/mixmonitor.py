"""app_mixmonitor's `MixMonitor(<file>.wav,<options>)` for a simulated channel: the call recording
(录音) the rendered dialplan starts on every caller's channel and on a callback's seat channel.

What Asterisk 22 does (apps/app_mixmonitor.c): the file's folder is created (`ast_mkdir`),
`MIXMONITOR_FILENAME` is set, the recording thread is launched and `MixMonitorStart` published
(privilege call); the thread opens the file at once (a file that cannot be opened is logged
"Cannot open" and nothing is recorded, the call goes on) and writes the mixed audio of both
directions; with option `b` only while the channel is bridged. The file is closed when the channel
hangs up; `MixMonitorStop` is published only by StopMixMonitor, never at a hangup.

The simulated audio: what the caller says (its `Voice`, the conversation recording the simulator
streams to taps and AudioSocket, looped with `speech_gap` of silence) mixed with the seat's side,
which is silence: the simulated seats' phones send no audio. A callback's seat channel carries no
simulated voice either, so its recording is silence of the bridged length. Written every
`TICK_S` of virtual time while bridged; a write that fails (a full disk) stops the recording with
an error logged, as app_mixmonitor's failed writes do, and the call goes on.
"""

from __future__ import annotations

import contextlib
import logging
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from pbx.sim.dialplan import split_args
from pbx.sim.voice import FRAME_S, SAMPLE_RATE, looped_frames

if TYPE_CHECKING:
    from pbx.sim.model import Channel, SimPbx

log = logging.getLogger(__name__)

TICK_S = 0.2
"""How often (virtual seconds) the simulated recording thread writes what was said since."""


def start_mixmonitor(pbx: SimPbx, ch: Channel, data: str) -> None:
    args = split_args(data)
    filename = args[0].strip()
    options = args[1] if len(args) > 1 else ""
    if not filename:
        log.warning("MixMonitor requires an argument (filename)")
        return
    # ast_mkdir's failure shows as the file's "Cannot open" below.
    with contextlib.suppress(OSError):
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
    pbx.varset(ch, "MIXMONITOR_FILENAME", filename, always=True)
    pbx.spawn(_record(pbx, ch, Path(filename), bridged_only="b" in options))
    pbx.chan_event("MixMonitorStart", ch)


class _File:
    """The recording's WAV file, open while the channel lives (its header updated at each write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw = path.open("wb")  # raises OSError: the folder cannot be written
        self._wav = wave.open(self._raw, "wb")  # noqa: SIM115 (kept open while the call lasts)
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self._wav.writeframes(b"")

    def write(self, pcm: bytes) -> None:
        self._wav.writeframes(pcm)

    def close(self) -> None:
        try:
            self._wav.close()
        finally:
            self._raw.close()


def _open(path: Path) -> _File | None:
    try:
        return _File(path)
    except OSError as exc:
        log.error("Cannot open %s: %s", path, exc)
        return None


async def _record(pbx: SimPbx, ch: Channel, path: Path, *, bridged_only: bool) -> None:
    out = _open(path)
    try:
        voice = looped_frames(pbx.speech_pcm(ch), pbx.config.speech_gap)
        last = pbx.now()
        owed = 0.0
        while await pbx.wait(TICK_S, ch.ended) is None:
            now = pbx.now()
            span, last = now - last, now
            if out is None or (bridged_only and ch.bridge is None):
                continue
            owed += span
            frames = int(owed / FRAME_S)
            owed -= frames * FRAME_S
            try:
                out.write(b"".join(next(voice) for _ in range(frames)))
            except OSError as exc:
                log.error("MixMonitor: cannot write %s: %s", path, exc)
                _close(out, path)
                out = None
    finally:
        # The channel hung up, or the simulator stopped under it: the file is closed either way.
        if out is not None:
            _close(out, path)


def _close(out: _File, path: Path) -> None:
    try:
        out.close()
    except OSError as exc:
        log.error("MixMonitor: cannot close %s: %s", path, exc)
