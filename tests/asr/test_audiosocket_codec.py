"""The AudioSocket codec against the byte stream a real Asterisk 22 sent (trace 07)."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from asr.audiosocket_codec import (
    AUDIO_FRAME_BYTES,
    Frame,
    FrameDecoder,
    FrameKind,
    decode_frames,
    encode_audio,
    encode_error,
    encode_frame,
    encode_hangup,
    encode_uuid,
)
from asr.errors import BadFrameLength, TruncatedFrame, UnknownFrameKind

RECORDED_UUID = "6b113515-13c9-40a6-bd09-95dcba94ed38"


def test_given_recorded_stream_when_decoded_then_uuid_then_250_frames_of_20_ms(recorded_bytes: bytes) -> None:
    frames = list(decode_frames([recorded_bytes]))

    assert frames[0].kind is FrameKind.UUID
    assert frames[0].uuid == RECORDED_UUID
    audio = frames[1:]
    assert len(audio) == 250
    assert {f.kind for f in audio} == {FrameKind.AUDIO}
    assert {len(f.payload) for f in audio} == {AUDIO_FRAME_BYTES}
    assert sum(len(f.payload) for f in audio) / 2 / 8000 == 5.0


def test_given_recorded_stream_when_decoded_then_it_ends_at_eof_without_a_hangup_frame(
    recorded_bytes: bytes,
) -> None:
    # The server ended that call with its own 0x00; Asterisk then closes without sending one.
    frames = list(decode_frames([recorded_bytes]))

    assert FrameKind.HANGUP not in {f.kind for f in frames}
    assert sum(3 + len(f.payload) for f in frames) == len(recorded_bytes)


def test_given_recorded_stream_when_decoded_then_kinds_and_lengths_match_the_arrival_index(
    recorded_bytes: bytes, recorded_index: list[dict[str, Any]]
) -> None:
    frames = list(decode_frames([recorded_bytes]))

    assert [(f.kind.value, len(f.payload)) for f in frames] == [(e["kind"], e["len"]) for e in recorded_index]


def test_given_recorded_uuid_when_compared_with_the_dialplan_then_it_is_the_audiosocket_argument(
    recorded_bytes: bytes, traces_dir: Path
) -> None:
    ami = (traces_dir / "07_audiosocket_stream.ami").read_text()
    match = re.search(r"AppData: ([0-9a-f-]{36}),127\.0\.0\.1:9092", ami)
    assert match is not None

    first = next(iter(decode_frames([recorded_bytes])))

    assert first.uuid == match.group(1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_given_stream_split_at_random_points_when_fed_then_frames_are_identical(
    recorded_bytes: bytes, seed: int
) -> None:
    rng = random.Random(seed)
    decoder = FrameDecoder()
    frames: list[Frame] = []
    pos = 0
    while pos < len(recorded_bytes):
        step = rng.choice([1, 2, 3, 4, 322, 323, 700, 4096])
        frames.extend(decoder.feed(recorded_bytes[pos : pos + step]))
        pos += step
    decoder.close()

    assert frames == list(decode_frames([recorded_bytes]))


def test_given_a_frame_split_inside_its_header_when_fed_then_nothing_until_complete() -> None:
    data = encode_audio(bytes(320))
    decoder = FrameDecoder()

    assert decoder.feed(data[:2]) == []
    assert decoder.pending == 2
    assert decoder.feed(data[2:100]) == []
    assert decoder.feed(data[100:]) == [Frame(FrameKind.AUDIO, bytes(320))]
    assert decoder.pending == 0


def test_given_each_kind_when_encoded_and_decoded_then_round_trips() -> None:
    data = (
        encode_uuid(RECORDED_UUID)
        + encode_audio(b"\x01\x00" * 160)
        + encode_frame(FrameKind.DTMF, b"5")
        + encode_error(0x02)
        + encode_hangup()
    )

    frames = list(decode_frames([data]))

    assert [f.kind for f in frames] == [
        FrameKind.UUID,
        FrameKind.AUDIO,
        FrameKind.DTMF,
        FrameKind.ERROR,
        FrameKind.HANGUP,
    ]
    assert frames[0].uuid == RECORDED_UUID
    assert frames[3].error_code == 0x02
    assert encode_hangup() == b"\x00\x00\x00"


def test_given_unknown_kind_when_fed_then_refused_with_its_offset() -> None:
    decoder = FrameDecoder()
    decoder.feed(encode_uuid(RECORDED_UUID))

    with pytest.raises(UnknownFrameKind, match=r"0x42.*19"):
        decoder.feed(b"\x42\x00\x01x")


def test_given_http_request_instead_of_frames_when_fed_then_refused() -> None:
    with pytest.raises(UnknownFrameKind):
        FrameDecoder().feed(b"GET / HTTP/1.1\r\n\r\n")


def test_given_uuid_frame_of_wrong_length_when_fed_then_bad_length() -> None:
    with pytest.raises(BadFrameLength, match="16"):
        FrameDecoder().feed(b"\x01\x00\x0f" + bytes(15))


def test_given_oversize_audio_length_when_only_the_header_arrived_then_refused_at_once() -> None:
    # Refused at the header: the decoder must not wait for 65535 bytes of garbage.
    with pytest.raises(BadFrameLength):
        FrameDecoder().feed(b"\x10\xff\xff")


def test_given_odd_audio_length_when_fed_then_bad_length() -> None:
    with pytest.raises(BadFrameLength):
        FrameDecoder().feed(b"\x10\x00\x03abc")


def test_given_hangup_with_payload_when_fed_then_bad_length() -> None:
    with pytest.raises(BadFrameLength):
        FrameDecoder().feed(b"\x00\x00\x01x")


def test_given_recorded_stream_cut_mid_frame_when_closed_then_truncated_tail_is_reported(
    recorded_bytes: bytes,
) -> None:
    decoder = FrameDecoder()
    frames = decoder.feed(recorded_bytes[:-100])

    assert len(frames) == 250  # the uuid and 249 whole audio frames
    with pytest.raises(TruncatedFrame, match="223"):
        decoder.close()


def test_given_truncated_stream_when_decoding_all_then_truncated_frame() -> None:
    with pytest.raises(TruncatedFrame):
        list(decode_frames([encode_uuid(RECORDED_UUID), b"\x10\x01"]))


def test_given_invalid_payload_when_encoding_then_refused() -> None:
    with pytest.raises(BadFrameLength):
        encode_audio(b"\x00")
    with pytest.raises(ValueError):
        encode_frame(0x42, b"")


def test_given_good_frames_then_garbage_in_one_chunk_when_fed_then_frames_first_and_error_kept() -> None:
    decoder = FrameDecoder()

    frames = decoder.feed(encode_uuid(RECORDED_UUID) + encode_audio(bytes(320)) + b"\x42garbage")

    assert [f.kind for f in frames] == [FrameKind.UUID, FrameKind.AUDIO]
    assert isinstance(decoder.error, UnknownFrameKind)
    with pytest.raises(UnknownFrameKind):
        decoder.check()
    with pytest.raises(UnknownFrameKind):
        decoder.feed(encode_hangup())
    with pytest.raises(UnknownFrameKind):
        decoder.close()
