"""The AudioSocket frame codec (Asterisk `res_audiosocket` / `app_audiosocket`).

Each frame on the TCP stream is `kind (1 byte) | length (2 bytes, big-endian) | payload`:

* 0x00 hangup: no payload. Either side may send it; Asterisk ends `AudioSocket()` and goes on
  with the dialplan when the server sends it (seen in the recorded trace 07).
* 0x01 uuid: the 16 raw bytes of the UUID given to `AudioSocket(uuid,host:port)`; always first.
* 0x03 DTMF: one ASCII digit. Not in the original protocol, but Asterisk 20+ sends it when the
  caller presses a key during `AudioSocket()`, so it must not be mistaken for garbage.
* 0x10 audio: signed linear 16-bit little-endian, 8 kHz mono; 320 bytes = 20 ms from Asterisk.
* 0xff error: a one-byte error code.

`FrameDecoder` is incremental: feed it whatever `read()` returned (a frame may be split across
reads, or many frames may come in one read) and it hands back whole frames. Garbage is refused
at the header, before its payload is awaited, so a stray byte never stalls the connection.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from asr.errors import AudioSocketProtocolError, BadFrameLength, TruncatedFrame, UnknownFrameKind

HEADER_SIZE = 3
UUID_SIZE = 16
AUDIO_SAMPLE_RATE = 8000
AUDIO_FRAME_BYTES = 320
"""20 ms of 8 kHz slin: what Asterisk sends per audio frame."""
MAX_AUDIO_PAYLOAD = 8000
"""Half a second of audio; anything longer is not Asterisk talking (it sends 20 ms frames)."""


class FrameKind(enum.IntEnum):
    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10
    ERROR = 0xFF


class AudioSocketErrorCode(enum.IntEnum):
    """The error codes Asterisk puts in a 0xff frame."""

    NONE = 0x00
    HANGUP = 0x01
    FRAME_FORWARDING = 0x02
    MEMORY = 0x04


_KINDS = {k.value: k for k in FrameKind}


@dataclass(frozen=True, slots=True)
class Frame:
    kind: FrameKind
    payload: bytes = b""

    @property
    def uuid(self) -> str:
        """The stream uuid in Asterisk's textual form (lower case, with hyphens)."""
        if self.kind is not FrameKind.UUID:
            raise ValueError(f"not a uuid frame: {self.kind.name}")
        return str(uuid.UUID(bytes=self.payload))

    @property
    def error_code(self) -> int:
        return self.payload[0] if self.payload else 0

    def encode(self) -> bytes:
        return encode_frame(self.kind, self.payload)


def _check_length(kind: FrameKind, length: int) -> None:
    if kind is FrameKind.UUID and length != UUID_SIZE:
        raise BadFrameLength(f"uuid 帧长度应为 16 字节，实际 {length}", kind=kind.name, length=length)
    if kind is FrameKind.HANGUP and length != 0:
        raise BadFrameLength(f"挂断帧不应带数据，实际 {length} 字节", kind=kind.name, length=length)
    if kind is FrameKind.AUDIO and (length > MAX_AUDIO_PAYLOAD or length % 2):
        raise BadFrameLength(
            f"音频帧长度无效：{length} 字节（须为偶数且不超过 {MAX_AUDIO_PAYLOAD}）",
            kind=kind.name,
            length=length,
        )
    if kind in (FrameKind.DTMF, FrameKind.ERROR) and length > 16:
        raise BadFrameLength(f"{kind.name} 帧过长：{length} 字节", kind=kind.name, length=length)


def encode_frame(kind: FrameKind | int, payload: bytes = b"") -> bytes:
    frame_kind = FrameKind(kind)
    _check_length(frame_kind, len(payload))
    return bytes((frame_kind,)) + len(payload).to_bytes(2, "big") + payload


def encode_uuid(value: str | uuid.UUID) -> bytes:
    parsed = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    return encode_frame(FrameKind.UUID, parsed.bytes)


def encode_audio(pcm: bytes) -> bytes:
    return encode_frame(FrameKind.AUDIO, pcm)


def encode_hangup() -> bytes:
    return encode_frame(FrameKind.HANGUP)


def encode_error(code: int = AudioSocketErrorCode.NONE) -> bytes:
    return encode_frame(FrameKind.ERROR, bytes((code,)))


class FrameDecoder:
    """Incremental decoder: `feed()` bytes as they arrive, `close()` at EOF.

    When garbage follows good frames in one chunk, `feed()` first returns the good frames and
    keeps the error; `check()`, the next `feed()` and `close()` raise it. So the audio that came
    before the garbage is still used, and the caller decides when to give up.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._offset = 0  # bytes of the stream consumed so far, for error messages
        self._error: AudioSocketProtocolError | None = None

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    @property
    def error(self) -> AudioSocketProtocolError | None:
        return self._error

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    def feed(self, data: bytes) -> list[Frame]:
        self.check()
        self._buf += data
        frames: list[Frame] = []
        pos = 0
        buf = self._buf
        try:
            while len(buf) - pos >= HEADER_SIZE:
                raw_kind = buf[pos]
                kind = _KINDS.get(raw_kind)
                if kind is None:
                    raise UnknownFrameKind(
                        f"未知的 AudioSocket 帧类型 0x{raw_kind:02x}（流偏移 {self._offset + pos}）",
                        kind=f"0x{raw_kind:02x}",
                        offset=self._offset + pos,
                    )
                length = int.from_bytes(buf[pos + 1 : pos + 3], "big")
                _check_length(kind, length)
                end = pos + HEADER_SIZE + length
                if end > len(buf):
                    break
                frames.append(Frame(kind, bytes(buf[pos + HEADER_SIZE : end])))
                pos = end
        except AudioSocketProtocolError as exc:
            self._error = exc
            if not frames:
                raise
        finally:
            if pos:
                del buf[:pos]
                self._offset += pos
        return frames

    def close(self) -> None:
        """Call at EOF: a partial frame left in the buffer means the stream was cut."""
        self.check()
        if self._buf:
            have = len(self._buf)
            raise TruncatedFrame(
                f"AudioSocket 流在帧中途结束：余下 {have} 字节未成帧（流偏移 {self._offset}）",
                pending=have,
                offset=self._offset,
            )


def decode_frames(chunks: Iterable[bytes]) -> Iterator[Frame]:
    """Decode a complete stream (a recorded file, a test's byte list); EOF is checked."""
    decoder = FrameDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    decoder.close()
