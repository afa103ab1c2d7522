"""The Asterisk side of FastAGI: `AGI(agi://host:port/script)` for a simulated channel.

Opens a real TCP connection to the IVR's FastAGI server, sends the `agi_*` environment block the
way Asterisk 22 does (shared/asterisk-traces/fastagi_sessions.json), then executes each command
line the server sends and answers like res_agi (`200 result=1 (value)`, `510 Invalid or unknown
command`; `EXEC AudioSocket` streams the caller's spoken address, see `_Session._audiosocket`;
`EXEC Record` records the caller's message, see `pbx.sim.record`).
Every command is published on the AMI as AGIExecStart / AGIExecEnd with a CommandId,
and `SET VARIABLE` emits a VarSet between them (trace 02).

Returns the AGISTATUS the dialplan sees: SUCCESS when the server closes the connection, FAILURE
when it cannot be reached, HANGUP when the caller hung up during the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import TYPE_CHECKING

from core import dialplan as names
from pbx.sim.audiosocket_client import AudioSocketLink, parse_target
from pbx.sim.record import run_record
from pbx.sim.voice import once_then_silence

if TYPE_CHECKING:
    from pbx.sim.config import AgiTarget
    from pbx.sim.model import Channel, SimPbx

CONNECT_TIMEOUT_S = 5.0


def split_args(line: str) -> list[str]:
    """Split an AGI command line like res_agi's parse_args: blanks separate, double quotes group."""
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    had = False
    escaped = False
    for c in line:
        if escaped:
            cur.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
            had = True
        elif c in " \t" and not quoted:
            if cur or had:
                out.append("".join(cur))
            cur, had = [], False
        else:
            cur.append(c)
    if cur or had:
        out.append("".join(cur))
    return out


def environment(pbx: SimPbx, ch: Channel, target: AgiTarget) -> bytes:
    """The environment block, field for field as Asterisk 22.10.1 sent it."""
    fields = [
        ("agi_network", "yes"),
        ("agi_network_script", target.script),
        ("agi_request", target.url),
        ("agi_channel", ch.name),
        ("agi_language", ch.language),
        ("agi_type", "PJSIP"),
        ("agi_uniqueid", ch.uniqueid),
        ("agi_version", "22.10.1"),
        ("agi_callerid", ch.cid_num),
        ("agi_calleridname", "unknown" if ch.cid_name == "<unknown>" else ch.cid_name),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", ch.exten),
        ("agi_rdnis", "unknown"),
        ("agi_context", ch.context),
        ("agi_extension", ch.exten),
        ("agi_priority", str(ch.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", str(140608337434304 + pbx.rng.randrange(1 << 16))),
    ]
    return ("".join(f"{k}: {v}\n" for k, v in fields) + "\n").encode()


def _get_variable(ch: Channel, name: str) -> str | None:
    functions = {
        "CALLERID(num)": ch.cid_num,
        "CALLERID(name)": ch.cid_name,
        "CHANNEL(name)": ch.name,
        "CHANNEL(linkedid)": ch.linkedid,
        "CHANNEL(uniqueid)": ch.uniqueid,
        "CHANNEL(language)": ch.language,
        "UNIQUEID": ch.uniqueid,
        "EXTEN": ch.exten,
        "CONTEXT": ch.context,
    }
    if name in functions:
        return functions[name]
    return ch.vars.get(name)


class _Session:
    """Executes the commands of one FastAGI session against a channel."""

    def __init__(self, pbx: SimPbx, ch: Channel, dtmf: str | None = None) -> None:
        self.pbx = pbx
        self.ch = ch
        self.dtmf = list(ch.vars.get("SIM_DTMF", "") if dtmf is None else dtmf)
        # What the next prompt says of places, as the IVR wrote it on the channel
        # (`HOTLINE_READBACK_DISTRICT`, `HOTLINE_DISTRICT_KEYS`): heard once, by the next prompt.
        self._readback: str | None = None
        self._keys: dict[str, str] | None = None

    def _heard(self, name: str, value: str) -> None:
        if name == names.VAR_READBACK_DISTRICT:
            self._readback = value
        elif name == names.VAR_DISTRICT_KEYS:
            self._keys = names.read_district_keys(value)

    def _answer(self) -> str | None:
        """The key a caller who knows their district (the address they say) presses at a prompt
        about places, whatever their script says: 2 (say again) to an office of another district
        read back, their district's key in a menu of districts (else the page turn, else 0). None:
        no such prompt, or a caller with no known district (the script rules)."""
        readback, keys = self._readback, self._keys
        self._readback = self._keys = None
        home = self.pbx.home_district(self.ch)
        if home is None:
            return None
        if readback is not None:
            return None if readback == home else "2"
        if keys is not None:
            by_code = {code: key for key, code in keys.items()}
            # Not on this page: the next one, back to the first, or 0 (none of these / a person).
            return by_code.get(home) or by_code.get(names.KEYS_MORE) or by_code.get(names.KEYS_BACK) or "0"
        return None

    def _digit(self, escape: str | None = None) -> str:
        """The caller's next key; with `escape` (a playback's escape digits) only a key that
        interrupts it: Asterisk ignores any other key pressed during a STREAM FILE, so the
        caller keeps it for the next prompt. A prompt about places is answered from what the
        caller knows (`_answer`); the script's key then waits for the next prompt."""
        answer = self._answer()
        if answer is not None and (escape is None or answer in escape):
            return answer
        if not self.dtmf or (escape is not None and self.dtmf[0] not in escape):
            return ""
        return self.dtmf.pop(0)

    async def execute(self, line: str) -> tuple[str, bool]:
        """The reply line and whether the session must end (HANGUP)."""
        args = split_args(line)
        verb = " ".join(a.upper() for a in args[:2])
        head = args[0].upper() if args else ""
        if verb == "GET VARIABLE" and len(args) >= 3:
            value = _get_variable(self.ch, args[2])
            return ("200 result=0" if value is None else f"200 result=1 ({value})"), False
        if verb == "SET VARIABLE" and len(args) >= 4:
            self.pbx.varset(self.ch, args[2], args[3], always=True)
            self._heard(args[2], args[3])
            return "200 result=1", False
        if head == "VERBOSE" or head == "NOOP":
            return "200 result=1" if head == "VERBOSE" else "200 result=0", False
        if head == "ANSWER":
            return "200 result=0", False
        if verb == "CHANNEL STATUS":
            return "200 result=6", False
        if head == "HANGUP":
            self.ch.request_hangup(16, soft=True)
            return "200 result=1", True
        if verb == "STREAM FILE" or verb == "CONTROL STREAM":
            await self.pbx.wait(1.0, self.ch.interrupt)
            digit = self._digit(args[3] if verb == "STREAM FILE" and len(args) > 3 else None)
            if verb == "STREAM FILE" and not self.ch.interrupt.is_set():
                # res_agi's STREAM FILE reports the playback like Playback() (observer trace).
                self.pbx.varset(self.ch, "PLAYBACKSTATUS", "SUCCESS")
            return f"200 result={ord(digit) if digit else 0} endpos=8000", False
        if verb == "WAIT FOR" or verb == "WAIT FORDIGIT":
            digit = self._digit()
            await self.pbx.wait(0.5, self.ch.interrupt)
            return f"200 result={ord(digit) if digit else 0}", False
        if verb == "GET DATA":
            # The simulated caller "presses" the digits of SIM_DTMF (set per caller), '#' ends.
            max_digits = int(args[4]) if len(args) > 4 and args[4].isdigit() else math.inf
            digits = ""
            while len(digits) < max_digits:
                d = self._digit()
                if not d or d == "#":
                    break
                digits += d
            await self.pbx.wait(1.0 + 0.3 * len(digits), self.ch.interrupt)
            return (f"200 result={digits}" if digits else "200 result= (timeout)"), False
        if head == "EXEC" and len(args) >= 2 and args[1].lower() == "audiosocket":
            return await self._audiosocket(args[2] if len(args) > 2 else ""), False
        if head == "EXEC" and len(args) >= 2 and args[1].lower() == "record":
            return await run_record(self.pbx, self.ch, args[2] if len(args) > 2 else "", self.dtmf), False
        if head == "EXEC" or head == "SET" or head == "SAY" or head == "DATABASE":
            return "200 result=0", False
        return "510 Invalid or unknown command", False

    async def _audiosocket(self, data: str) -> str:
        """`EXEC AudioSocket <uuid>,<host>:<port>`: the caller says their address.

        The utterance at real-time pace (scaled), then silence, until the server sends 0x00 or
        closes (its endpointing ends the stream), the caller hangs up, or `address_max` seconds
        have gone by (then the simulator just closes). AudioSocket returns -1 in every one of
        these cases, and when it cannot connect: `200 result=-1` (ivr/agi_server.py reads -1 from
        EXEC as the normal end of the stream, not as a hangup)."""
        target = parse_target(data)
        if target is None:
            return "200 result=-1"
        call_uuid, host, port = target
        self.pbx.says_address(self.ch, call_uuid)
        link = await AudioSocketLink.open(self.pbx, call_uuid, host, port)
        if link is None:
            return "200 result=-1"
        try:
            frames = once_then_silence(self.pbx.address_pcm(self.ch))
            await link.stream(frames, self.ch.interrupt, limit=self.pbx.config.address_max)
        finally:
            await link.close()
        return "200 result=-1"


async def run_agi(pbx: SimPbx, ch: Channel, target: AgiTarget, *, dtmf: str | None = None) -> str:
    """One FastAGI session; `dtmf` is what the caller keys in it (None: the caller's SIM_DTMF)."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target.host, target.port), timeout=CONNECT_TIMEOUT_S
        )
    except (OSError, TimeoutError):
        return "FAILURE"
    session = _Session(pbx, ch, dtmf)
    status = "SUCCESS"
    try:
        writer.write(environment(pbx, ch, target))
        await writer.drain()
        while True:
            read = asyncio.ensure_future(reader.readline())
            hup = asyncio.ensure_future(ch.interrupt.wait())
            done, _ = await asyncio.wait({read, hup}, return_when=asyncio.FIRST_COMPLETED)
            if read not in done:
                read.cancel()
                # res_agi tells a FastAGI server about the hangup with a HANGUP line.
                with contextlib.suppress(OSError):
                    writer.write(b"HANGUP\n")
                    await writer.drain()
                return "HANGUP"
            hup.cancel()
            raw = read.result()
            if not raw:
                break
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            command_id = str(pbx.rng.randrange(1 << 31))
            pbx.chan_event(
                "AGIExecStart", ch, [("CommandId", command_id), ("Command", line)], privilege="agi,all"
            )
            reply, ends = await session.execute(line)
            code, _, rest = reply.partition(" ")
            result = "Success" if code == "200" else rest
            pbx.chan_event(
                "AGIExecEnd",
                ch,
                [("CommandId", command_id), ("Command", line), ("ResultCode", code), ("Result", result)],
                privilege="agi,all",
            )
            writer.write((reply + "\n").encode())
            await writer.drain()
            if ends:
                status = "HANGUP"
                break
    except (OSError, asyncio.IncompleteReadError):
        status = "SUCCESS" if not ch.interrupt.is_set() else "HANGUP"
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return status
