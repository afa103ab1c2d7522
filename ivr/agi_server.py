"""FastAGI server over panoramisk 1.4: Asterisk connects to agi://host:port/<script>.

Scripts: `ivr` (`IvrService`) and `survey` (`SurveyService`). Events go to the injected
publisher (the bus): IvrRouted, CallbackRequested, AppointmentRequested, IvrAbandoned,
SurveyAnswered.

panoramisk quirks handled here, once:
* routes must be `async def` (1.4 wraps sync ones with `asyncio.coroutine`, gone in 3.11), and
  `fast_agi.Application` must be built inside the running loop (it grabs the loop at init);
* `Request.send_command` returns a dict with an `error` key instead of raising, and raises
  ValueError when the socket hits EOF (it parses an empty line as a status code);
* Asterisk reports a hangup as `200 result=-1`, as an unsolicited `HANGUP` line, or later as
  `511 Command Not Permitted on a dead channel`: all three become `CallerHungUp`;
* `STREAM FILE` of a missing file also answers `200 result=-1`: we ask `CHANNEL STATUS` to
  tell a missing prompt (logged, the call goes on) from a hangup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from panoramisk import fast_agi

from core.ticker import cancel_and_wait
from ivr.errors import AgiError, CallerHungUp
from ivr.ports import AgiChannel, AgiEnvironment

log = logging.getLogger(__name__)

Flow = Callable[[AgiChannel], Awaitable[None]]

_HANGUP_ERRORS = frozenset({"AGIResultHangup"})
COMMAND_TIMEOUT_S = 120.0  # the longest an AGI command may take before the session is given up


def quote(value: str) -> str:
    """An AGI argument in double quotes (res_agi's parser honours backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class PanoramiskAgiChannel:
    """`AgiChannel` over one panoramisk FastAGI request."""

    def __init__(self, request: Any, *, command_timeout: float = COMMAND_TIMEOUT_S) -> None:
        self._request = request
        self._env = AgiEnvironment.from_headers(request.headers)
        self._timeout = command_timeout
        self._dead = False

    @property
    def env(self) -> AgiEnvironment:
        return self._env

    async def _send(self, command: str, *, app_error_ok: bool = False) -> Mapping[str, Any]:
        if self._dead:
            raise CallerHungUp("主叫已挂机", command=command)
        try:
            reply: Mapping[str, Any] = await asyncio.wait_for(
                self._request.send_command(command), self._timeout
            )
        except TimeoutError:
            self._dead = True  # the stream is out of step now: stop using it
            raise AgiError("AGI 命令超时", command=command) from None
        except (OSError, ValueError, IndexError) as exc:
            self._dead = True
            raise CallerHungUp("FastAGI 连接已断开", command=command) from exc
        error = reply.get("error")
        if error is None:
            return reply
        if error in _HANGUP_ERRORS or str(reply.get("msg", "")).startswith("511"):
            self._dead = True
            raise CallerHungUp("主叫已挂机", command=command)
        if error == "AGIAppError":  # "200 result=-1"
            if app_error_ok:
                return reply
            self._dead = True
            raise CallerHungUp("主叫已挂机", command=command)
        raise AgiError(f"AGI 命令失败：{reply.get('msg', error)}", command=command, error=error)

    @staticmethod
    def _result(reply: Mapping[str, Any]) -> tuple[str, str]:
        value, data = reply.get("result", ("", ""))
        return str(value), str(data)

    async def answer(self) -> None:
        await self._send("ANSWER")

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str | None:
        reply = await self._send(f"STREAM FILE {prompt} {quote(escape_digits)}", app_error_ok=True)
        if reply.get("error") == "AGIAppError":
            await self._send("CHANNEL STATUS")  # raises CallerHungUp on a dead channel
            log.error("prompt %s cannot be played (missing file?) on %s", prompt, self._env.channel)
            return None
        code, _ = self._result(reply)
        digit = int(code) if code.lstrip("-").isdigit() else 0
        return chr(digit) if digit > 0 else None

    # `timeout` is GET DATA's own (Asterisk waits for the digits), not an asyncio deadline.
    async def get_data(self, prompt: str, timeout: float, max_digits: int) -> str:  # noqa: ASYNC109
        reply = await self._send(f"GET DATA {prompt} {round(timeout * 1000)} {max_digits}")
        # "200 result=<digits>", "200 result=<digits so far> (timeout)", "200 result= (timeout)"
        digits, _ = self._result(reply)
        return digits

    async def set_variable(self, name: str, value: str) -> None:
        await self._send(f"SET VARIABLE {name} {quote(value)}")

    async def get_variable(self, name: str) -> str | None:
        reply = await self._send(f"GET VARIABLE {name}")
        code, data = self._result(reply)
        return data if code == "1" else None

    async def exec(self, app: str, args: str = "") -> int:
        command = f"EXEC {app} {args}" if args else f"EXEC {app}"
        reply = await self._send(command, app_error_ok=True)
        if reply.get("error") == "AGIAppError":
            return -1
        code, _ = self._result(reply)
        try:
            return int(code)
        except ValueError:
            return 0

    async def hangup(self) -> None:
        await self._send("HANGUP")


class _GuardedApplication(fast_agi.Application):  # type: ignore[misc]
    """panoramisk's Application with a handler that survives a peer going away.

    1.4's handler reads the environment block with `while b"\n\n" not in buffer: read()`,
    which spins forever once the peer has closed (read() keeps returning b""), and it swallows
    BaseException from routes, CancelledError included. Routes, `Request` and the command
    parsing are panoramisk's own.
    """

    def __init__(self, *, env_timeout: float) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self._env_timeout = env_timeout

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                block = await asyncio.wait_for(reader.readuntil(b"\n\n"), self._env_timeout)
            except (
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                TimeoutError,
                ConnectionError,
            ) as exc:
                log.warning("FastAGI peer sent no complete environment block: %r", exc)
                return
            lines = block.decode(self.default_encoding, errors="replace").splitlines()
            headers = dict(line.split(": ", 1) for line in lines if ": " in line)
            script = headers.get("agi_network_script", "").split("?", 1)[0].strip("/")
            route = self._route.get(script)
            if route is None:
                log.error("no FastAGI script %r (request %s)", script, headers.get("agi_request"))
                return
            request = fast_agi.Request(
                app=self, headers=headers, reader=reader, writer=writer, encoding=self.default_encoding
            )
            await route(request)
        finally:
            writer.close()


class AgiServer:
    """The FastAGI listener. `start(host, port)` / `stop()` are called by the app's lifespan."""

    def __init__(
        self,
        routes: Mapping[str, Flow],
        *,
        command_timeout: float = COMMAND_TIMEOUT_S,
        env_timeout: float = 10.0,
    ) -> None:
        self._routes = dict(routes)
        self._timeout = command_timeout
        self._env_timeout = env_timeout
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[Any]] = set()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0 in tests)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("AGI server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str, port: int) -> None:
        if self._server is not None:
            raise RuntimeError("AGI server already started")
        # Built here, inside the running loop: panoramisk 1.4 binds the loop at construction.
        app = _GuardedApplication(env_timeout=self._env_timeout)
        for script, flow in self._routes.items():
            app.add_route(script, self._endpoint(script, flow))
        self._server = await asyncio.start_server(self._tracked(app.handler), host, port)
        log.info("FastAGI server listening on %s:%s (scripts: %s)", host, self.port, ", ".join(self._routes))

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        await cancel_and_wait(*self._sessions)
        await server.wait_closed()

    def _tracked(
        self, handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._sessions.add(task)
            try:
                await handler(reader, writer)
            except Exception:
                log.exception("FastAGI session failed")
            finally:
                if task is not None:
                    self._sessions.discard(task)

        return run

    def _endpoint(self, script: str, flow: Flow) -> Callable[[Any], Awaitable[None]]:
        async def endpoint(request: Any) -> None:  # async def: see the module docstring
            channel = PanoramiskAgiChannel(request, command_timeout=self._timeout)
            try:
                await flow(channel)
            except CallerHungUp:
                log.info("caller hung up during %s on %s", script, channel.env.channel)
            except AgiError:
                log.exception("AGI failure in %s on %s", script, channel.env.channel)

        return endpoint
