"""`AmiCallControl`: the `core.ports.CallControl` port spoken as Asterisk Manager Interface actions.

Protocol: AMI actions over the bridge's panoramisk connection (`QueueAdd`, `QueueRemove`,
`QueuePause`, `Originate`, `Redirect`, `Setvar`, `Hangup`, `QueueStatus`, `CoreShowChannels`, `Ping`,
`Reload`).
Emits nothing on the bus: outcomes come back only as AMI events through `pbx.ami_bridge`.

This is the one place where panoramisk's replies and failures become the project's errors:

* `Response: Error` (or `Fail`/`Failure`) -> `core.errors.PbxActionFailed` carrying Asterisk's
  `Message`;
* not logged in, connection lost while waiting, no reply within the timeout -> `PbxUnavailable`.

panoramisk 1.4 quirks handled here (see `.venv/.../panoramisk/actions.py`):

* `send_action` returns a future whose result is one `Message` *or a list* of them, depending on
  `Action.multi`. Its guess is wrong for two actions we send: a `QueueAdd` reply ("Added interface
  to queue") and an async `Originate` reply ("Originate successfully queued") are both taken as
  the start of a list, so the future would only resolve on a second message with the same
  ActionID. For QueueAdd that never comes (the future hangs); for Originate it is the
  `OriginateResponse` *event*, which panoramisk would then swallow into the reply instead of
  dispatching it, so the tracker would never learn the callback's outcome. Every single-reply
  action is therefore sent with `as_list=False`.
* List actions (`QueueStatus`, `CoreShowChannels`) are sent with `as_list=None` (auto-detect),
  not `True`: with `True` an `Error` reply is taken as the first item of a list that never
  completes, and the caller would wait for the timeout instead of seeing the error.
* A failed socket write is only logged by panoramisk; the timeout around every action turns the
  silence into `PbxUnavailable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.errors import InvalidInput, PbxActionFailed, PbxUnavailable
from core.ports import Headers

ActionHeaders = Mapping[str, str | Sequence[str]]

# Replies that panoramisk treats as failures (Message.success is False for them).
_FAILED_RESPONSES = frozenset({"error", "fail", "failure"})


class AmiActionSender(Protocol):
    """What `AmiCallControl` needs from the connection (`pbx.ami_bridge.AmiBridge` provides it).

    `send_action` writes the action now and returns the panoramisk reply future. It raises
    `PbxUnavailable` when there is no logged-in connection; the future fails with
    `ConnectionError` when the connection drops before the reply.
    """

    def send_action(self, action: ActionHeaders, *, as_list: bool | None) -> asyncio.Future[Any]: ...


@dataclass(frozen=True, slots=True)
class AmiReply:
    """A normalised reply: the `Response` headers and, for list actions, the list's events
    (without the closing `...Complete` event)."""

    response: Headers
    events: Sequence[Headers] = field(default_factory=tuple)


def message_headers(message: Any) -> dict[str, str]:
    """Plain `str -> str` headers of a panoramisk `Message`.

    * panoramisk stores its body under a header key `content` (`Message(headers, content='')`
      is a dict update), which also overwrites any real `Content:` header: it is dropped here.
    * A header repeated in one message (`ChanVariable`, or a truncated message glued to the next
      one when a blank line was lost) comes as a list: the last value wins, which in the glued
      case is the value of the complete message.
    """
    # Read straight from panoramisk's store of `lower key -> (key, value)` where there is one:
    # going through its case-folding `__iter__` / `__getitem__` cost more than the tracker.
    store = getattr(message, "_store", None)
    pairs = store.values() if type(store) is dict else ((key, message[key]) for key in message)
    out: dict[str, str] = {}
    for key, value in pairs:
        if key == "content":
            continue
        if type(value) is list:
            value = value[-1] if value else ""
        out[key if type(key) is str else str(key)] = value if type(value) is str else str(value)
    return out


def _check_header(name: str, value: str) -> str:
    # AMI frames are CRLF-delimited text: a line break in a value would inject headers or end
    # the action early. Values come from people (reasons, caller ids), so refuse them here.
    if "\r" in value or "\n" in value:
        raise InvalidInput(f"AMI 参数 {name} 含有换行符", header=name)
    return value


async def run_action(
    sender: AmiActionSender, action: ActionHeaders, *, as_list: bool | None, reply_timeout: float
) -> AmiReply:
    """Send one action, wait for its reply (at most `reply_timeout` seconds) and normalise it."""
    name = str(action.get("Action", "?"))
    for key, value in action.items():
        for one in [value] if isinstance(value, str) else value:
            _check_header(key, one)
    future = sender.send_action(action, as_list=as_list)
    try:
        # asyncio.timeout rather than wait_for: on 3.11 wait_for can swallow a cancellation of
        # the caller when the reply lands at the same moment.
        async with asyncio.timeout(reply_timeout):
            reply = await future
    except TimeoutError:
        # The timeout cancelled the panoramisk future; the sender forgets the pending action.
        raise PbxUnavailable(
            f"PBX 未在 {reply_timeout:g} 秒内答复 {name}", action=name, reason="timeout"
        ) from None
    except PbxUnavailable:
        raise
    except (ConnectionError, OSError) as exc:
        raise PbxUnavailable(f"与 PBX 的连接中断（{name}）", action=name, reason=str(exc)) from exc
    return normalise_reply(name, reply)


def normalise_reply(name: str, reply: Any) -> AmiReply:
    """One `Message` or a list of them -> `AmiReply`; an error reply -> `PbxActionFailed`."""
    messages = list(reply) if isinstance(reply, list) else [reply]
    if not messages:
        raise PbxUnavailable(f"PBX 对 {name} 的答复为空", action=name, reason="empty reply")
    response = message_headers(messages[0])
    status = response.get("Response", "")
    if status.lower() in _FAILED_RESPONSES:
        detail = response.get("Message", "")
        raise PbxActionFailed(
            f"PBX 拒绝了 {name}：{detail}", action=name, response=status, asterisk_message=detail
        )
    events = [message_headers(m) for m in messages[1:]]
    events = [e for e in events if not e.get("Event", "").endswith("Complete")]
    return AmiReply(response=response, events=tuple(events))


def _bool(value: bool) -> str:
    return "true" if value else "false"


class AmiCallControl:
    """`CallControl` over AMI. Every action is bounded by `timeout` seconds."""

    def __init__(self, sender: AmiActionSender, *, timeout: float = 5.0) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._sender = sender
        self._timeout = timeout

    async def _single(self, action: dict[str, str | list[str]]) -> AmiReply:
        return await run_action(self._sender, action, as_list=False, reply_timeout=self._timeout)

    async def _list(self, action: dict[str, str | list[str]]) -> AmiReply:
        return await run_action(self._sender, action, as_list=None, reply_timeout=self._timeout)

    async def ping(self) -> None:
        await self._single({"Action": "Ping"})

    async def queue_add(
        self,
        queue: str,
        interface: str,
        *,
        member_name: str,
        state_interface: str | None = None,
        penalty: int = 0,
        paused: bool = False,
    ) -> None:
        action: dict[str, str | list[str]] = {
            "Action": "QueueAdd",
            "Queue": queue,
            "Interface": interface,
            "MemberName": member_name,
            "Penalty": str(penalty),
        }
        if state_interface:
            action["StateInterface"] = state_interface
        if paused:
            action["Paused"] = "true"
        await self._single(action)

    async def queue_remove(self, queue: str, interface: str) -> None:
        await self._single({"Action": "QueueRemove", "Queue": queue, "Interface": interface})

    async def queue_pause(
        self, interface: str, *, paused: bool, queue: str | None = None, reason: str = ""
    ) -> None:
        # Without `Queue`, Asterisk pauses the interface in every queue it is a member of.
        action: dict[str, str | list[str]] = {
            "Action": "QueuePause",
            "Interface": interface,
            "Paused": _bool(paused),
        }
        if queue:
            action["Queue"] = queue
        if reason:
            action["Reason"] = reason
        await self._single(action)

    async def originate(
        self,
        channel: str,
        *,
        context: str,
        exten: str,
        priority: int = 1,
        caller_id: str = "",
        variables: Mapping[str, str] | None = None,
        action_id: str | None = None,
        timeout_ms: int = 30_000,
        application: str | None = None,
        data: str | None = None,
        channel_id: str | None = None,
    ) -> None:
        """Async Originate: returns once Asterisk has queued it ("Originate successfully
        queued"); the outcome arrives later as an `OriginateResponse` event with the same ActionID.

        With `application` the channel runs that application (`Data`) when answered; otherwise it
        enters the dialplan at `context`/`exten`/`priority`.
        """
        action: dict[str, str | list[str]] = {
            "Action": "Originate",
            "Channel": channel,
            "Timeout": str(timeout_ms),
            # Async: without it Asterisk holds the reply until the channel answers or fails,
            # which would outlast any sensible action timeout.
            "Async": "true",
        }
        if application:
            action["Application"] = application
            if data is not None:
                action["Data"] = data
        else:
            action.update({"Context": context, "Exten": exten, "Priority": str(priority)})
        if caller_id:
            action["CallerID"] = caller_id
        if channel_id:
            # The channel's uniqueid (a Local channel's ;2 gets `<id>;2`): later actions name it so.
            action["ChannelId"] = channel_id
        if action_id:
            action["ActionID"] = action_id
        if variables:
            # One `Variable: NAME=value` line per variable (panoramisk writes a list value as
            # repeated headers); the comma-joined form would break values containing commas.
            action["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        await self._single(action)

    async def redirect(self, channel: str, *, context: str, exten: str, priority: int = 1) -> None:
        await self._single(
            {
                "Action": "Redirect",
                "Channel": channel,
                "Context": context,
                "Exten": exten,
                "Priority": str(priority),
            }
        )

    async def set_variable(self, channel: str, variable: str, value: str) -> None:
        """AMI `Setvar` on one channel (Asterisk emits a `VarSet` event for it)."""
        await self._single({"Action": "Setvar", "Channel": channel, "Variable": variable, "Value": value})

    async def reload(self, module: str | None = None) -> str:
        """AMI `Reload` of one module (`res_pjsip.so`, `app_queue.so`, `pbx_config.so` for the
        dialplan), or of everything without `module`. Calls in progress are kept. Returns
        Asterisk's message (`Module Reloaded.`); a refusal (`No such module.`) is PbxActionFailed."""
        action: dict[str, str | list[str]] = {"Action": "Reload"}
        if module:
            action["Module"] = module
        reply = await self._single(action)
        return reply.response.get("Message", "")

    async def hangup(self, channel: str, *, cause: int | None = None) -> None:
        action: dict[str, str | list[str]] = {"Action": "Hangup", "Channel": channel}
        if cause is not None:
            action["Cause"] = str(cause)
        await self._single(action)

    async def mute_audio(self, channel: str, *, direction: str, on: bool) -> None:
        """AMI `MuteAudio` (res_mutestream): Asterisk answers a bare `Response: Success`."""
        await self._single(
            {
                "Action": "MuteAudio",
                "Channel": channel,
                "Direction": direction,
                "State": "on" if on else "off",
            }
        )

    async def attended_transfer(self, channel: str, *, exten: str, context: str) -> None:
        """AMI `Atxfer`: Asterisk queues features.conf's `atxfer` code and `exten` as DTMF on
        `channel` and answers `Atxfer successfully queued` (an error when no code is configured).
        A final `#` ends the digits at once (bridge_basic reads them with ast_app_dtget, which
        otherwise waits `transferdigittimeout` for more)."""
        await self._single({"Action": "Atxfer", "Channel": channel, "Exten": f"{exten}#", "Context": context})

    async def bridge(self, channel1: str, channel2: str) -> None:
        """AMI `Bridge` (main/features.c): Asterisk answers `Channels have been bridged` once both
        are in the new bridge, an error naming the channel that does not exist otherwise."""
        await self._single({"Action": "Bridge", "Channel1": channel1, "Channel2": channel2, "Tone": "no"})

    async def cancel_attended_transfer(self, channel: str) -> None:
        """AMI `CancelAtxfer`: Asterisk queues the `atxferabort` code (default *1) on `channel`."""
        await self._single({"Action": "CancelAtxfer", "Channel": channel})

    async def queue_status(self, queue: str | None = None) -> Sequence[Headers]:
        action: dict[str, str | list[str]] = {"Action": "QueueStatus"}
        if queue:
            action["Queue"] = queue
        return (await self._list(action)).events

    async def core_show_channels(self) -> Sequence[Headers]:
        return (await self._list({"Action": "CoreShowChannels"})).events
