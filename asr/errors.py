"""Errors raised by the ASR package (AudioSocket protocol, recogniser availability)."""

from __future__ import annotations

from core.errors import HotlineError, ServiceOverloaded


class AudioSocketProtocolError(HotlineError):
    """The bytes on an AudioSocket connection are not a valid frame stream."""

    error_id = "asr.audiosocket.protocol"


class UnknownFrameKind(AudioSocketProtocolError):
    error_id = "asr.audiosocket.unknown_kind"


class BadFrameLength(AudioSocketProtocolError):
    """A frame's length field is impossible for its kind (uuid not 16 bytes, oversize audio...)."""

    error_id = "asr.audiosocket.bad_length"


class TruncatedFrame(AudioSocketProtocolError):
    """The stream ended inside a frame."""

    error_id = "asr.audiosocket.truncated"


class AsrUnavailable(HotlineError):
    """No recogniser is running (model missing or broken): callers must fall back (DTMF menu)."""

    error_id = "asr.unavailable"


class AsrOverloadedError(ServiceOverloaded):
    """Every recognition slot is taken; this stream is not transcribed."""

    error_id = "asr.overloaded"


class UtteranceTimedOut(HotlineError):
    """The awaited AudioSocket stream did not arrive or did not end in time."""

    error_id = "asr.utterance_timeout"


class DecodeAbandoned(HotlineError):
    """Whoever waited for this decode gave it up (the IVR's speech timeout, the caller hung up):
    it was taken out of the decode line before it ran, or stopped between two segments."""

    error_id = "asr.decode_abandoned"
