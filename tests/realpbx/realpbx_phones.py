"""SIP phones for the real-Asterisk tests: pyVoIP 1.6.8 with its two defects fixed here.

pyVoIP stands in for the citizen's phone, the seats' phones and the carrier behind the trunk. As
shipped (1.6.8) it cannot hold a call against Asterisk nor press IVR keys:

* its ACK to a 200 OK carries a freshly made-up To tag instead of the one of the 200 OK, so the
  ACK matches no dialog; Asterisk keeps retransmitting the 200 OK and drops the call after 32 s
  (timer H, hangup cause 18). `_FixedSipClient.gen_ack` echoes the response's To tag, and for a
  2xx ACK (a new transaction, RFC 3261 13.2.2.4) uses the Contact as Request-URI and a new branch.
* it has no way to send DTMF. `DtmfRtpClient` sends RFC 4733 telephone-events in place of audio
  frames: the payload type the answer negotiated, the marker bit on the first packet, one
  timestamp for the whole event, growing duration, and the end packet sent three times.

Nothing in site-packages is edited: the fixes are subclasses that the `SipPhone` wrapper wires
in. pyVoIP runs its own threads; the wrapper's waits are blocking and meant for
`asyncio.to_thread`.
"""

from __future__ import annotations

import collections
import contextlib
import random
import re
import struct
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

with warnings.catch_warnings():
    # pyVoIP imports audioop, deprecated since Python 3.11.
    warnings.simplefilter("ignore", DeprecationWarning)
    # pyVoIP's modules import each other: the VoIP package must be imported first.
    from pyVoIP.VoIP import VoIP  # isort: skip
    from pyVoIP import RTP, SIP  # isort: skip

CallState = VoIP.CallState

_DTMF_CODES = "0123456789*#ABCD"
_EVENT_FRAMES = 8  # 8 x 20 ms = 160 ms of tone per key
_GAP_FRAMES = 5  # 100 ms of audio between keys
_VOLUME = 10  # -10 dBm0


class _FixedSipClient(SIP.SIPClient):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # 200 OKs to our INVITEs, per Call-ID: more than one means Asterisk retransmitted it,
        # i.e. our ACK did not match its dialog.
        self.invite_oks: collections.Counter[str] = collections.Counter()
        self.registers = True

    def register(self) -> bool:
        # A phone standing in for the carrier behind a trunk does not register.
        return bool(super().register()) if self.registers else True

    def parse_message(self, message: SIP.SIPMessage) -> None:
        if (
            message.type != SIP.SIPMessageType.MESSAGE
            and message.status == SIP.SIPStatus.OK
            and message.headers.get("CSeq", {}).get("method") == "INVITE"
        ):
            self.invite_oks[message.headers["Call-ID"]] += 1
        super().parse_message(message)

    def gen_ack(self, request: SIP.SIPMessage) -> str:
        call_id = request.headers["Call-ID"]
        tag = self.tagLibrary[call_id]
        to_raw = request.headers["To"]["raw"]
        to_tag = request.headers["To"].get("tag", "")
        contact = request.headers.get("Contact")
        if request.status == SIP.SIPStatus.OK and isinstance(contact, str):
            match = re.search(r"<([^>]+)>", contact)
            uri = match.group(1) if match else contact.strip()
            branch = f"z9hG4bK{random.getrandbits(64):016x}"
            via = f"Via: SIP/2.0/UDP {self.myIP}:{self.myPort};branch={branch};rport\r\n"
        else:
            # ACK of a non-2xx final response: part of the INVITE transaction, same branch.
            uri = to_raw.strip("<").strip(">")
            via = self._gen_response_via_header(request)
        ack = f"ACK {uri} SIP/2.0\r\n" + via + "Max-Forwards: 70\r\n"
        ack += f"To: {to_raw};tag={to_tag}\r\n" if to_tag else f"To: {to_raw}\r\n"
        ack += f"From: {request.headers['From']['raw']};tag={tag}\r\n"
        ack += f"Call-ID: {call_id}\r\n"
        ack += f"CSeq: {request.headers['CSeq']['check']} ACK\r\n"
        ack += "User-Agent: hotline-test-phone\r\nContent-Length: 0\r\n\r\n"
        return ack


class DtmfRtpClient(RTP.RTPClient):  # type: ignore[misc]
    """pyVoIP's RTP client that can also send RFC 4733 telephone-events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys: collections.deque[str] = collections.deque()
        self._frames: collections.deque[tuple[bool, bytes, int, int] | None] = collections.deque()
        self._keys_lock = threading.Lock()

    @property
    def event_payload_type(self) -> int:
        for pt, kind in self.assoc.items():
            if kind == RTP.PayloadType.EVENT:
                return int(pt)
        raise RuntimeError("对端未协商 telephone-event，无法发送按键")

    def press(self, digits: str) -> None:
        bad = [d for d in digits if d.upper() not in _DTMF_CODES]
        if bad:
            raise ValueError(f"不是按键：{bad}")
        self.event_payload_type  # noqa: B018  # fail now, not in the sender thread
        with self._keys_lock:
            self._keys.extend(d.upper() for d in digits)

    @property
    def keys_pending(self) -> bool:
        with self._keys_lock:
            return bool(self._keys or self._frames)

    def _next_frame(self) -> tuple[bool, bytes, int, int] | None:
        """(marker, payload, timestamp, timestamp advance) of an event packet, or None for audio."""
        if not self._frames:
            with self._keys_lock:
                if not self._keys:
                    return None
                key = self._keys.popleft()
            code = _DTMF_CODES.index(key)
            start = self.outTimestamp
            for i in range(1, _EVENT_FRAMES + 1):
                self._frames.append((i == 1, struct.pack("!BBH", code, _VOLUME, i * 160), start, 0))
            end = struct.pack("!BBH", code, 0x80 | _VOLUME, _EVENT_FRAMES * 160)
            self._frames.append((False, end, start, 0))
            self._frames.append((False, end, start, 0))
            # After the last end packet the audio clock resumes past the event.
            self._frames.append((False, end, start, _EVENT_FRAMES * 160))
            self._frames.extend([None] * _GAP_FRAMES)
        return self._frames.popleft()

    def trans(self) -> None:
        while self.NSD:
            last_sent = time.monotonic_ns()
            frame = self._next_frame()
            if frame is None:
                payload = self.encode_packet(self.pmout.read())
                marker, pt, timestamp, advance = False, int(self.preference), self.outTimestamp, len(payload)
            else:
                marker, payload, timestamp, advance = frame
                pt = self.event_payload_type
            header = struct.pack(
                "!BBHII",
                0x80,
                (0x80 if marker else 0) | pt,
                self.outSequence & 0xFFFF,
                timestamp & 0xFFFFFFFF,
                self.outSSRC,
            )
            with contextlib.suppress(OSError):
                self.sout.sendto(header + payload, (self.outIP, self.outPort))
            self.outSequence = (self.outSequence + 1) & 0xFFFF
            self.outTimestamp = (self.outTimestamp + advance) & 0xFFFFFFFF
            spent = (time.monotonic_ns() - last_sent) / 1e9
            time.sleep(max(0.0, 0.02 - spent))


class DtmfCall(VoIP.VoIPCall):  # type: ignore[misc]
    def create_rtp_clients(
        self,
        codecs: dict[int, Any],
        ip: str,
        port: int,
        request: SIP.SIPMessage,
        baseport: int,
    ) -> None:
        for ii in range(len(request.body["c"])):
            self.RTPClients.append(
                DtmfRtpClient(
                    codecs,
                    ip,
                    port,
                    request.body["c"][ii]["address"],
                    baseport + ii,
                    self.sendmode,
                    dtmf=self.dtmf_callback,
                )
            )

    def press(self, digits: str) -> None:
        """Send `digits` as RFC 4733 events on the call's RTP stream."""
        if self.state != CallState.ANSWERED or not self.RTPClients:
            raise RuntimeError("通话未接通，不能按键")
        for client in self.RTPClients:
            client.press(digits)

    def received_audio(self) -> bytes:
        """All audio received on the call so far, placed by RTP timestamp: 8 kHz, 8-bit unsigned
        (as pyVoIP decodes it), silence 0x80."""
        return b"".join(client.pmin.buffer.getvalue() for client in self.RTPClients)

    def audio_mark(self) -> int:
        """How many audio packets have arrived so far (for `audio_since`)."""
        return sum(len(client.pmin.log) for client in self.RTPClients)

    def audio_since(self, mark: int) -> bytes:
        """The payloads of the packets that arrived after `audio_mark()` was `mark`, in arrival
        order. (`received_audio` places packets by RTP timestamp: when the far end's timestamps
        restart, as on a bridge change, new audio lands inside the buffer, not at its end.)"""
        packets = [data for client in self.RTPClients for data in list(client.pmin.log.values())]
        return b"".join(packets[mark:] if len(packets) >= mark else packets)

    def wait_keys_sent(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while any(c.keys_pending for c in self.RTPClients):
            if time.monotonic() > deadline:
                raise TimeoutError("按键未发送完")
            time.sleep(0.02)


class _Phone(VoIP.VoIPPhone):  # type: ignore[misc]
    def __init__(self, *args: Any, on_invite: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_invite = on_invite
        self.sip = _FixedSipClient(
            self.server,
            self.port,
            self.username,
            self.password,
            phone=self,
            myIP=self.myIP,
            myPort=kwargs["sipPort"],
            callCallback=self.callback,
            fatalCallback=self.fatal,
        )

    def _callback_MSG_Invite(self, request: SIP.SIPMessage) -> None:
        if request.headers["Call-ID"] not in self.calls:
            self._on_invite(time.monotonic())
        super()._callback_MSG_Invite(request)

    def _callback_RESP_OK(self, request: SIP.SIPMessage) -> None:
        # pyVoIP registers an outgoing call only after `invite()` returns; a 200 OK that comes
        # at once (our dialplan answers before the IVR) is otherwise dropped unacknowledged and
        # only its retransmission, 500 ms later, is ACKed. Give `call()` a moment to catch up.
        if request.headers.get("CSeq", {}).get("method") == "INVITE":
            deadline = time.monotonic() + 2.0
            while request.headers["Call-ID"] not in self.calls and time.monotonic() < deadline:
                time.sleep(0.005)
        super()._callback_RESP_OK(request)

    def _create_Call(self, request: SIP.SIPMessage, sess_id: int) -> None:
        call_id = request.headers["Call-ID"]
        self.calls[call_id] = DtmfCall(
            self, CallState.RINGING, request, sess_id, self.myIP, sendmode=self.recvmode
        )

    def call(self, number: str) -> DtmfCall:
        port = self.request_port()
        medias = {port: {0: RTP.PayloadType.PCMU, 101: RTP.PayloadType.EVENT}}
        request, call_id, sess_id = self.sip.invite(number, medias, RTP.TransmitType.SENDRECV)
        call = DtmfCall(
            self, CallState.DIALING, request, sess_id, self.myIP, ms=medias, sendmode=self.sendmode
        )
        self.calls[call_id] = call
        return call


@dataclass
class SipPhone:
    """One registered pyVoIP phone on the test Asterisk; inbound calls wait in `ringing`."""

    user: str
    password: str
    server_port: int
    sip_port: int
    rtp_ports: tuple[int, int]
    host: str = "127.0.0.1"
    register: bool = True
    invites_at: list[float] = field(default_factory=list)
    _ringing: collections.deque[DtmfCall] = field(default_factory=collections.deque)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _phone: _Phone | None = None
    _closing: bool = False

    def start(self) -> None:
        self._phone = _Phone(
            self.host,
            self.server_port,
            self.user,
            self.password,
            myIP=self.host,
            callCallback=self._incoming,
            sipPort=self.sip_port,
            rtpPortLow=self.rtp_ports[0],
            rtpPortHigh=self.rtp_ports[1],
            on_invite=self.invites_at.append,
        )
        self._phone.sip.registers = self.register
        self._phone.start()
        # pyVoIP starts reading its SIP socket one second after registering (a Timer): until
        # then nothing is answered or acknowledged, and Asterisk retransmits.
        time.sleep(1.2)

    def stop(self) -> None:
        self._closing = True
        with self._cond:
            self._cond.notify_all()
        if self._phone is not None:
            self._phone.stop()

    def _incoming(self, call: DtmfCall) -> None:
        with self._cond:
            self._ringing.append(call)
            self._cond.notify_all()
        # pyVoIP forgets a call whose callback thread has ended (and then ignores its BYE):
        # keep the thread alive for as long as the call lasts.
        while not self._closing and call.state != CallState.ENDED:
            time.sleep(0.05)

    def wait_ringing(self, timeout: float) -> DtmfCall:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._ringing:
                left = deadline - time.monotonic()
                if left <= 0 or self._closing:
                    raise TimeoutError(f"{self.user} 的话机没有振铃")
                self._cond.wait(left)
            return self._ringing.popleft()

    def answer_next(self, timeout: float) -> DtmfCall:
        call = self.wait_ringing(timeout)
        call.answer()
        return call

    def oks_received(self, call: DtmfCall) -> int:
        """How many 200 OKs answered our INVITE of `call` (1 unless Asterisk retransmitted)."""
        assert self._phone is not None, "phone not started"
        return int(self._phone.sip.invite_oks[call.call_id])

    def dial(self, number: str, *, answer_timeout: float = 15.0) -> DtmfCall:
        assert self._phone is not None, "phone not started"
        call: DtmfCall = self._phone.call(number)
        wait_state(call, CallState.ANSWERED, answer_timeout, f"{self.user} 呼叫 {number} 未接通")
        return call


def wait_state(call: DtmfCall, state: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while call.state != state:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}（状态 {call.state}）")
        time.sleep(0.05)
