"""Console authentication: argon2 password hashes, server-side sessions, CSRF, a login rate limit.

* The session cookie (`hotline_session`) holds a random token; the database keeps only its
  SHA-256, so a copy of the database gives no live session. HttpOnly, SameSite=Strict, and
  Secure everywhere except on localhost (the demo runs on plain http://127.0.0.1).
* CSRF: every state-changing request must carry `X-CSRF-Token` equal to the session's token
  (handed out at login and by /api/me). SameSite=Strict already stops cross-site cookies; the
  header check also covers same-site attackers.
* Failed logins slow down the (user name, client address) pair with growing delays, never the
  account everywhere (`LoginThrottle`); the client address is the peer's, or the one a trusted
  proxy names in X-Forwarded-For (`console_web.security.TrustedProxies`). Password checks are
  bounded (`VerificationGate`) and run off the event loop. In memory, per worker.
* Every login, failed login and logout is written to the audit log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeGuard, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.access import Principal
from core.audit import AuditEntry
from core.blocking import offload
from core.clock import Clock
from core.errors import NotAuthenticated, PermissionDenied, RateLimited, ServiceOverloaded
from core.ids import UserId
from seats.models import LoginSession, User

T = TypeVar("T")

COOKIE = "hotline_session"
SESSION_OVER = "登录已失效，请重新登录"
ACCOUNT_DISABLED = "账号已停用"
CSRF_HEADER = "X-CSRF-Token"


class UserDirectory(Protocol):
    def by_username(self, username: str) -> User | None: ...

    def get(self, user_id: UserId) -> User: ...


class SessionStore(Protocol):
    def add(self, session: LoginSession) -> None: ...

    def get(self, token_hash: str) -> LoginSession | None: ...

    def with_users(self, token_hashes: Sequence[str]) -> dict[str, tuple[LoginSession, User]]: ...

    def revoke(self, token_hash: str) -> None: ...


class AuditSink(Protocol):
    def append(self, entry: AuditEntry) -> int: ...


class Passwords:
    """argon2id with the library's current defaults."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        # Unknown users are checked against a dummy hash so both paths cost the same time.
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


@dataclass(slots=True)
class _Failures:
    count: int
    last: datetime
    reported: bool = False


class LoginThrottle:
    """Growing delays after failed logins, per (account, client address) and per address.

    An account is never locked for everyone: the delay is keyed by the pair, so a guesser at one
    address slows down only their own tries at that account, and the real user elsewhere logs
    in as usual. After `free_failures` failures each further one doubles the wait
    (`base`, 2 x `base`, ... up to `cap`). An address that fails against many accounts (password
    spraying) is slowed the same way after `address_free_failures`. A success clears the pair;
    a pair idle for `forget_after` starts over. Memory is bounded (`max_entries`, oldest first
    out). In memory, per worker process.
    """

    def __init__(
        self,
        *,
        free_failures: int = 3,
        address_free_failures: int = 20,
        base: timedelta = timedelta(seconds=1),
        cap: timedelta = timedelta(minutes=5),
        forget_after: timedelta = timedelta(hours=1),
        max_entries: int = 100_000,
    ) -> None:
        self.free_failures = free_failures
        self.address_free_failures = address_free_failures
        self.base = base
        self.cap = cap
        self.forget_after = forget_after
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str) -> list[tuple[str, str]]:
        return [(username.strip().lower(), address), ("", address)]

    def _free(self, key: tuple[str, str]) -> int:
        return self.address_free_failures if key[0] == "" else self.free_failures

    def delay_after(self, failures: int, free: int) -> timedelta:
        if failures < free:
            return timedelta(0)
        factor: int = 2 ** min(failures - free, 32)
        return min(self.cap, self.base * factor)

    def _live(self, key: tuple[str, str], now: datetime) -> _Failures | None:
        entry = self._entries.get(key)
        if entry is not None and now - entry.last > self.forget_after:
            del self._entries[key]
            return None
        return entry

    def retry_after(self, username: str, address: str, now: datetime) -> tuple[float, bool]:
        """Seconds this client must still wait (0: go ahead) and whether this is the first refusal
        since its last failure (only that one is worth an audit line)."""
        with self._lock:
            wait = 0.0
            first = False
            for key in self._keys(username, address):
                entry = self._live(key, now)
                if entry is None:
                    continue
                until = entry.last + self.delay_after(entry.count, self._free(key))
                left = (until - now).total_seconds()
                if left > wait:
                    wait = left
                    first = not entry.reported
                    entry.reported = True
            return wait, first

    def failed(self, username: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in self._keys(username, address):
                entry = self._live(key, now)
                if entry is None:
                    self._entries[key] = _Failures(count=1, last=now)
                else:
                    entry.count += 1
                    entry.last = now
                    entry.reported = False
                    self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._entries.pop(self._keys(username, address)[0], None)


class VerificationGate:
    """At most `concurrent` password checks (default: half the cores) run at once, each in a worker
    thread; at most `queue` more may wait. Beyond that a login is refused at once (503) instead of piling up CPU work."""

    def __init__(self, *, concurrent: int | None = None, queue: int = 16) -> None:
        # Half the cores: failed logins must never take the CPU the calls and the loop need.
        self.concurrent = concurrent or max(1, (os.cpu_count() or 2) // 2)
        self.queue = queue
        self.in_flight = 0
        self._slots: asyncio.Semaphore | None = None  # made in the loop that first uses it

    async def run(self, fn: Callable[[], T]) -> T:
        if self.in_flight >= self.concurrent + self.queue:
            raise ServiceOverloaded("登录请求过多，请稍后再试")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrent)
        self.in_flight += 1
        try:
            async with self._slots:  # waiting here holds no thread
                return await offload(fn)
        finally:
            self.in_flight -= 1


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Authenticated:
    principal: Principal
    session: LoginSession


class AuthService:
    def __init__(
        self,
        *,
        users: UserDirectory,
        sessions: SessionStore,
        audit: AuditSink,
        clock: Clock,
        passwords: Passwords | None = None,
        throttle: LoginThrottle | None = None,
        gate: VerificationGate | None = None,
        ttl: timedelta = timedelta(hours=12),
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self.passwords = passwords or Passwords()
        self.throttle = throttle or LoginThrottle()
        self.gate = gate or VerificationGate()
        self._pending: set[tuple[str, str]] = set()
        self._ttl = ttl

    async def login(self, username: str, password: str, *, source_ip: str) -> tuple[Authenticated, str]:
        """Check the password; returns the session and the cookie token. Raises on failure.

        A throttled client is refused before any hashing; the argon2 check itself runs in a
        worker thread behind `gate`, so failed logins can neither block the event loop nor take
        every core.
        """
        wait, first = self.throttle.retry_after(username, source_ip, self._clock.now())
        if wait > 0:
            if first:
                await offload(self._audit_login, self._clock.now(), "login_blocked", username, source_ip)
            seconds = max(1, math.ceil(wait))
            raise RateLimited(f"登录尝试过于频繁，请 {seconds} 秒后再试", retry_after=seconds)
        # One try at a time per (account, address): parallel guesses would all pass the throttle
        # before the first failure is counted.
        pair = (username.strip().lower(), source_ip)
        if pair in self._pending:
            raise RateLimited("上一次登录尚未完成，请稍后再试", retry_after=1)
        self._pending.add(pair)
        try:
            return await self.gate.run(lambda: self._check_and_open(username, password, source_ip))
        except NotAuthenticated:
            self.throttle.failed(username, source_ip, self._clock.now())
            raise
        finally:
            self._pending.discard(pair)

    def _audit_login(
        self, at: datetime, action: str, username: str, source_ip: str, *, actor: UserId | None = None
    ) -> None:
        """Audit a log-in attempt: `actor` None while no password has been accepted."""
        self._audit.append(
            AuditEntry(at=at, actor=actor, action=action, target=username, source_ip=source_ip)
        )

    def _check_and_open(self, username: str, password: str, source_ip: str) -> tuple[Authenticated, str]:
        user = self._users.by_username(username)
        ok = self.passwords.verify(user.password_hash if user else None, password)
        now = self._clock.now()
        if not ok or user is None or not user.active:
            self._audit_login(now, "login_failed", username, source_ip)
            raise NotAuthenticated("用户名或密码错误")
        self.throttle.succeeded(username, source_ip)
        token = secrets.token_urlsafe(32)
        session = LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + self._ttl,
            source_ip=source_ip,
        )
        self._sessions.add(session)
        self._audit_login(now, "login", user.username, source_ip, actor=user.id)
        return Authenticated(user.principal(), session), token

    def authenticate(self, token: str | None) -> Authenticated:
        if not token:
            raise NotAuthenticated("请先登录")
        session = self._sessions.get(token_hash(token))
        if not self._running(session):
            raise NotAuthenticated(SESSION_OVER)
        user = self._users.get(session.user_id)
        if not user.active:
            raise NotAuthenticated(ACCOUNT_DISABLED)
        return Authenticated(user.principal(), session)

    def recheck(self, token_hashes: Sequence[str]) -> dict[str, Principal | str]:
        """Each open session again, at once (the hub's recheck of its sockets): its principal as
        it is now, or why it ended (the rule and messages of `authenticate`). One query for them
        all, instead of two per socket."""
        found = self._sessions.with_users(token_hashes)
        out: dict[str, Principal | str] = {}
        for h in token_hashes:
            session, user = found.get(h, (None, None))
            if user is None or not self._running(session):
                out[h] = SESSION_OVER
            else:
                out[h] = user.principal() if user.active else ACCOUNT_DISABLED
        return out

    def _running(self, session: LoginSession | None) -> TypeGuard[LoginSession]:
        """Whether the session exists, is not revoked and has not expired."""
        return session is not None and not session.revoked and session.expires_at > self._clock.now()

    def seconds_left(self, auth: Authenticated) -> float:
        """How long the session still runs."""
        return (auth.session.expires_at - self._clock.now()).total_seconds()

    def check_csrf(self, auth: Authenticated, header_value: str | None) -> None:
        if not header_value or not hmac.compare_digest(header_value, auth.session.csrf_token):
            raise PermissionDenied("请求缺少有效的 CSRF 令牌，请刷新页面")

    def logout(self, auth: Authenticated, *, source_ip: str) -> None:
        self._sessions.revoke(auth.session.token_hash)
        self.record(auth, "logout", target=auth.principal.username, source_ip=source_ip)

    def record(
        self,
        auth: Authenticated,
        action: str,
        *,
        target: str = "",
        detail: dict[str, object] | None = None,
        source_ip: str = "",
    ) -> None:
        """Audit one action of a logged-in user."""
        self._audit.append(
            AuditEntry(
                at=self._clock.now(),
                actor=auth.principal.user_id,
                action=action,
                target=target,
                detail=detail or {},
                source_ip=source_ip,
            )
        )
