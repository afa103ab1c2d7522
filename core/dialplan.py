"""The one owner of the dialplan's names: contexts, extensions, channel variables, transfer targets.

The renderer (`asterisk_conf`), the tracker and call control (`pbx`), the callback service, the
seat console and the simulator all read these names from here, so a context renamed in one place
cannot silently diverge from another (a callback originated into a context that does not exist
is answered by Asterisk with `Extension does not exist`). A test checks that every context named
here exists in the rendered `extensions.conf` and that nothing rendered is left unnamed.

It lives in `core` rather than `pbx` because `callbacks`, `console_web` and `asterisk_conf` need
it too and may not import `pbx`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

# Contexts of the rendered extensions.conf.
INCOMING: Final = "hotline-incoming"
"""Callers arrive here: Answer, FastAGI IVR, then the queue."""
QUEUE: Final = "hotline-queue"
"""`s` runs Queue() on ${HOTLINE_QUEUE}, then the survey when the seat hung up."""
TRANSFER: Final = "hotline-transfer"
"""A seat redirects the caller here: `q-...` re-queues, an outside number leaves by the trunk."""
SEAT_TRANSFER: Final = "hotline-seat"
"""A seat redirects the caller here with the target seat as extension: Dial the seat's phone."""
CALLBACK: Final = "hotline-callback"
"""Callback work orders: Originate rings the seat, then this context dials the citizen."""
SEATS_OUT: Final = "seats-out"
"""The context of the seats' own phones (what a seat dials itself)."""
ASR_TAP: Final = "asr-tap"
"""Live transcript: `tap` runs ChanSpy on ${SPY} into AudioSocket."""
CONSULT: Final = "hotline-consult"
"""Attended transfer (咨询转接): AMI `Atxfer` on the seat's channel dials `Local/<target>@` here
(a seat's endpoint, or 12345 / 12368 / 12309 by the trunk) while the caller hears hold audio."""

HOLD: Final = "hotline-hold"
"""保持: `hold-<id>` (a Local channel the console Originates, ChannelId `hold-<id>`) plays the hold
music on ;2; ChanSpy w on ;1 whispers it to the caller until hung up."""
CONFERENCE: Final = "hotline-conference"
"""三方通话: `c-<id>` (a Local channel, ChannelId `c-<id>`) dials ${HOTLINE_THIRD} (a seat's endpoint
or 12345 / 12368 / 12309); its ;1 half barges into the seat's leg with ChanSpy B."""

MONITOR: Final = "hotline-monitor"
"""班长监听 / 耳语 / 强插: `m-<id>.<call id>` (a Local channel the supervisor's console Originates,
ChannelId the same) dials the supervisor's own phone (${HOTLINE_MONITOR_PHONE}) on ;2; once it
answers, ;1 runs ChanSpy on the seat's leg in the chosen mode until it is hung up, the supervisor
puts the phone down, or the seat's leg ends (E)."""

CONTEXTS: Final = (
    INCOMING,
    QUEUE,
    TRANSFER,
    SEAT_TRANSFER,
    CALLBACK,
    SEATS_OUT,
    ASR_TAP,
    CONSULT,
    HOLD,
    CONFERENCE,
    MONITOR,
)

# The contexts of the older recorded traces (/work/shared/asterisk-traces/0*.ami, recorded on a
# hand-written dialplan): the tracker still recognises them so the traces replay. Never rendered.
LEGACY_INBOUND_CONTEXTS: Final = ("incoming",)
LEGACY_TRANSFER_CONTEXTS: Final = ("transfer",)
LEGACY_CALLBACK_CONTEXT: Final = "callback"

ATXFER_FEATURE: Final = "*2"
"""features.conf `[featuremap] atxfer`: AMI `Atxfer` queues this code on the seat's channel (Asterisk
has no attended transfer feature code by default, and `Atxfer` fails without one)."""

# Extensions.
QUEUE_EXTEN: Final = "s"
TAP_EXTEN: Final = "tap"
REQUEUE_EXTEN: Final = "requeue"
"""In TRANSFER: a failed transfer plays a prompt and queues the caller again (never dropped)."""

HOLD_PREFIX: Final = "hold-"
"""In HOLD: the extension (and the Local channel's ChannelId) of one hold, `hold-<id>`."""
CONFERENCE_PREFIX: Final = "c-"
"""In CONFERENCE: the extension (and ChannelId) of one third party's Local channel, `c-<id>`."""
MONITOR_PREFIX: Final = "m-"
"""In MONITOR: the extension (and ChannelId) of one monitor's Local channel, `m-<id>.<call id>`:
the call it spies on is its part after the first dot (`pbx.tracker` reads it back)."""
HOLD_MUSIC_CLASS: Final = "default"
"""The musiconhold.conf class HOLD falls back to when its music prompt cannot be played."""
HOLD_MUSIC_PROMPT: Final = "hold_music"
"""The prompt (under the prompts' base) a held caller hears, looped by HOLD's Playback."""

# Channel variables the dialplan and the project exchange.
VAR_NEXT: Final = "HOTLINE_NEXT"
"""Set by the IVR: `queue`, `callback` or `hangup`."""
VAR_QUEUE: Final = "HOTLINE_QUEUE"
"""Set by the IVR or a transfer: the queue to wait in."""
VAR_TRANSFERRED: Final = "HOTLINE_TRANSFERRED"
"""`1` once a seat transferred the caller (the tracker reads it from VarSet)."""
VAR_TRANSFER_FROM: Final = "HOTLINE_TRANSFER_FROM"
"""The seat that transferred the caller."""
VAR_SPY: Final = "SPY"
"""The channel the live-transcript tap listens to."""
VAR_THIRD: Final = "HOTLINE_THIRD"
"""三方通话: the extension of CONFERENCE the third party's Local channel dials (a seat's endpoint
or an outside number)."""
VAR_CALL: Final = "HOTLINE_CALL"
"""三方通话: the call (its id) the third party joins; names the conference's recording segment."""

VAR_MONITOR_PHONE: Final = "HOTLINE_MONITOR_PHONE"
"""班长监听: the PJSIP endpoint of the supervisor's own phone, which MONITOR's ;2 dials first."""

VAR_READBACK_DISTRICT: Final = "HOTLINE_READBACK_DISTRICT"
"""The IVR sets it before it reads an office back to the caller: the office's district code. What
the prompt says, in a form the dialplan, `core show channel` and the simulator's callers can read
(a simulated caller refuses a readback of another district, as a person would)."""
VAR_DISTRICT_KEYS: Final = "HOTLINE_DISTRICT_KEYS"
"""The IVR sets it before a menu whose keys pick a place: `key:district code` pairs, comma
separated, `9:more` / `*:back` for the pages (按键选择区, the list of same-sounding places).
Written by `district_keys`, read by `read_district_keys`."""
KEYS_MORE: Final = "more"
KEYS_BACK: Final = "back"


def district_keys(pairs: Iterable[tuple[str, str]]) -> str:
    """The value of `VAR_DISTRICT_KEYS` for (key, district code or KEYS_MORE / KEYS_BACK) pairs."""
    return ",".join(f"{key}:{code}" for key, code in pairs)


def read_district_keys(value: str) -> dict[str, str]:
    """Key -> district code (or KEYS_MORE / KEYS_BACK) from a `VAR_DISTRICT_KEYS` value."""
    return dict(pair.split(":", 1) for pair in value.split(",") if ":" in pair)


# Transfers that leave the hotline: 12345 (government service hotline), 12368 (courts),
# 12309 (procuratorate). They are dialled through the rendered trunk endpoint.
TRUNK_ENDPOINT: Final = "hotline-trunk"
EXTERNAL_NUMBERS: Final = {
    "12345": "12345 政务服务便民热线",
    "12368": "12368 诉讼服务热线",
    "12309": "12309 检察服务热线",
}
