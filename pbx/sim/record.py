"""app_record's `Record(<file>.<format>,<silence>,<maxduration>,<options>)` for a simulated channel,
as the IVR runs it over FastAGI (`EXEC Record`) for an after-hours message (留言).

What Asterisk 22 does (apps/app_record.c; tests/data/asterisk-traces/voicemail/*.ami, recorded
from a real run by tests/realpbx): the folder is created (`ast_mkdir`), `RECORDED_FILE` (the name
without its extension) is set as the recording starts, then the caller's audio goes into the file
until the terminator key (`#`; `*` with option t), `silence` seconds without voice, `maxduration`,
or the caller hanging up; `RECORD_STATUS` is set last: DTMF, SILENCE, TIMEOUT, HANGUP or ERROR (a
file that cannot be written, at once when its folder cannot be created; a format other than wav
here). On silence the file keeps one second
of it; on a key its last quarter second is cut; a hangup deletes the file unless option k keeps it.
The terminator is published as DTMFBegin / DTMFEnd (Direction Received), a hangup as HangupRequest
before RECORD_STATUS. Record returns -1 (`200 result=-1`) on a hangup or an error, else 0.

The simulated caller speaks its conversation recording (its `Voice`) once, at the pace it is
spoken, then keys `#` when that is its next SIM_DTMF key, else stays silent.
"""

from __future__ import annotations

import contextlib
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from pbx.sim.voice import SAMPLE_RATE

if TYPE_CHECKING:
    from pbx.sim.model import Channel, SimPbx

BYTES_PER_S = SAMPLE_RATE * 2
KEY_MS = 160  # how long the simulated caller holds a key (the test phones' DurationMs)


def _seconds(text: str) -> float:
    return float(text) if text.strip().isdigit() else 0.0


def _folder(path: Path) -> bool:
    """Create the recording's folder as ast_mkdir does; False when it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return True


def _save(path: Path, pcm: bytes) -> bool:
    """Write the recording; False when it cannot be."""
    try:
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(SAMPLE_RATE)
            w.writeframes(pcm)
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()
        return False
    return True


async def run_record(pbx: SimPbx, ch: Channel, data: str, keys: list[str]) -> str:
    """Run Record() with `data` (its argument) on `ch`; `keys` are the caller's next keys
    (consumed when one ends the recording). Returns res_agi's reply to the EXEC."""
    args = data.split(",")
    target, silence, limit = args[0], _seconds(args[1] if len(args) > 1 else ""), 0.0
    limit = _seconds(args[2]) if len(args) > 2 else 0.0
    options = args[3] if len(args) > 3 else ""
    name, dot, fmt = target.rpartition(".")
    if not dot or fmt.lower() != "wav":
        pbx.varset(ch, "RECORD_STATUS", "ERROR")
        return "200 result=-1"
    pbx.varset(ch, "RECORDED_FILE", name)
    if not _folder(Path(target)):
        pbx.varset(ch, "RECORD_STATUS", "ERROR")
        return "200 result=-1"
    speech = pbx.speech_pcm(ch)
    talk = len(speech) / BYTES_PER_S
    terminator = "*" if "t" in options else "#"
    presses = bool(keys) and keys[0] == terminator
    # The caller talks, then keys the terminator or falls silent for `silence` seconds.
    ends = talk + (KEY_MS / 1000 if presses else silence if silence > 0 else float("inf"))
    span = min(ends, limit) if limit > 0 else ends
    start = pbx.now()
    hung_up = await pbx.wait(span, ch.interrupt) is not None
    said = min(pbx.now() - start, span)
    audio = speech[: int(said * BYTES_PER_S) // 2 * 2]
    audio += bytes(int(max(0.0, said - talk) * BYTES_PER_S) // 2 * 2)
    if hung_up:
        status = "HANGUP"
        if not ch.soft_hangup:
            pbx.chan_event("HangupRequest", ch)
            ch.soft_hangup = True
    elif limit > 0 and span == limit and limit < ends:
        status = "TIMEOUT"
    elif presses:
        keys.pop(0)
        status = "DTMF"
        for event, extra in (("DTMFBegin", []), ("DTMFEnd", [("DurationMs", str(KEY_MS))])):
            pbx.chan_event(
                event, ch, [("Digit", terminator), *extra, ("Direction", "Received")], privilege="dtmf,all"
            )
        audio = audio[: max(0, len(audio) - BYTES_PER_S // 4) // 2 * 2]
    else:
        status = "SILENCE"
        audio = audio[: int((talk + 1.0) * BYTES_PER_S) // 2 * 2]
    if not (hung_up and "k" not in options) and not _save(Path(f"{name}.{fmt}"), audio):
        status = "ERROR"
    pbx.varset(ch, "RECORD_STATUS", status)
    return "200 result=-1" if status in ("HANGUP", "ERROR") else "200 result=0"
