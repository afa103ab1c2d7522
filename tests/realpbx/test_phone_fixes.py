"""The two pyVoIP fixes of the real-PBX harness, checked on their own (no Asterisk needed).

* ACK: must carry the To tag of the 200 OK it acknowledges (pyVoIP 1.6.8 invents one, and
  Asterisk then drops the call after 32 s), be sent to the 200 OK's Contact, on a new branch.
* DTMF: RFC 4733 telephone-events on the call's RTP stream, read back from a real UDP socket.
"""

from __future__ import annotations

import itertools
import socket
import struct
import time

import pytest
from realpbx_phones import RTP, SIP, DtmfRtpClient, _FixedSipClient

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

OK_200 = (
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:40000;rport=40000;received=127.0.0.1;branch=z9hG4bKinvite1\r\n"
    "Call-ID: abc123@127.0.0.1:40000\r\n"
    "From: <sip:13900139000@127.0.0.1>;tag=fromtag1\r\n"
    "To: <sip:12348@127.0.0.1>;tag=asterisk-to-tag\r\n"
    "CSeq: 2 INVITE\r\n"
    "Contact: <sip:127.0.0.1:5060>\r\n"
    "Content-Length: 0\r\n\r\n"
)


def _client() -> _FixedSipClient:
    client = _FixedSipClient(
        "127.0.0.1", 5060, "13900139000", "pw", phone=None, myIP="127.0.0.1", myPort=40000
    )
    client.tagLibrary["abc123@127.0.0.1:40000"] = "fromtag1"
    return client


def test_ack_of_a_200_ok_echoes_its_to_tag_and_goes_to_its_contact() -> None:
    ack = SIP.SIPMessage(_client().gen_ack(SIP.SIPMessage(OK_200.encode())).encode())
    assert ack.method == "ACK"
    assert ack.headers["To"]["tag"] == "asterisk-to-tag"
    assert ack.headers["From"]["tag"] == "fromtag1"
    assert ack.headers["CSeq"] == {"check": "2", "method": "ACK"}
    raw = _client().gen_ack(SIP.SIPMessage(OK_200.encode()))
    assert raw.startswith("ACK sip:127.0.0.1:5060 SIP/2.0\r\n")
    assert "branch=z9hG4bKinvite1" not in raw  # a 2xx ACK is a transaction of its own


def test_ack_of_a_challenge_stays_in_the_invite_transaction() -> None:
    challenge = OK_200.replace("200 OK", "401 Unauthorized").replace("Contact: <sip:127.0.0.1:5060>\r\n", "")
    raw = _client().gen_ack(SIP.SIPMessage(challenge.encode()))
    assert raw.startswith("ACK sip:12348@127.0.0.1 SIP/2.0\r\n")
    assert "branch=z9hG4bKinvite1" in raw and ";tag=asterisk-to-tag" in raw


def _udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def test_pressed_keys_go_out_as_rfc4733_events_with_the_negotiated_payload_type() -> None:
    far = _udp()
    near = _udp()
    near_port = near.getsockname()[1]
    near.close()
    client = DtmfRtpClient(
        {0: RTP.PayloadType.PCMU, 96: RTP.PayloadType.EVENT},
        "127.0.0.1",
        near_port,
        "127.0.0.1",
        far.getsockname()[1],
        RTP.TransmitType.SENDRECV,
    )
    client.start()
    packets = []
    try:
        client.press("5#")
        deadline = time.monotonic() + 5
        while client.keys_pending and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        client.stop()
    far.settimeout(0.3)
    try:
        while True:
            packets.append(far.recv(2048))
    except TimeoutError:
        pass
    finally:
        far.close()

    events = []
    seqs = []
    for p in packets:
        first, second, seq, ts, _ssrc = struct.unpack("!BBHII", p[:12])
        assert first == 0x80
        seqs.append(seq)
        if second & 0x7F == 96:
            code, flags, duration = struct.unpack("!BBH", p[12:16])
            events.append((bool(second & 0x80), code, bool(flags & 0x80), duration, ts))
        else:
            assert second & 0x7F == 0
    assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
    for code in (5, 11):  # "5", "#"
        one = [e for e in events if e[1] == code]
        assert one[0][0] and not any(e[0] for e in one[1:])  # marker only on the first packet
        assert len({e[4] for e in one}) == 1  # one timestamp for the whole event
        ends = [e for e in one if e[2]]
        assert len(ends) == 3 and ends == one[-3:]
        durations = [e[3] for e in one if not e[2]]
        assert durations == sorted(durations) and ends[0][3] == durations[-1]
    starts = [next(e[4] for e in events if e[1] == c) for c in (5, 11)]
    assert starts[1] > starts[0]
