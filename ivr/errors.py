"""Errors of the IVR.

AGI failures are translated once, in `ivr.agi_server`, into these: panoramisk 1.4 hands back a
dict with an `error` key instead of raising, and Asterisk reports a caller's hangup in three
different ways (`200 result=-1`, an unsolicited `HANGUP` line, `511` on a dead channel).
"""

from __future__ import annotations

from core.errors import ConfigurationError, HotlineError


class AgiError(HotlineError):
    """An AGI command failed for a reason other than the caller hanging up."""

    error_id = "ivr.agi_failed"


class CallerHungUp(AgiError):
    """The caller's channel is gone (hung up, or the FastAGI connection closed)."""

    error_id = "ivr.caller_hung_up"


class MenuFileError(ConfigurationError):
    """The menu file (ivr/menu.toml) cannot be used; the message names the offending key."""

    error_id = "ivr.menu_invalid"


class PromptBuildError(HotlineError):
    """A prompt could not be turned into audio (espeak-ng or sox failed or is missing)."""

    error_id = "ivr.prompt_build_failed"
