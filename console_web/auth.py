"""Console authentication: argon2 password hashes, server-side sessions, CSRF, a login rate limit.

* The session cookie (`hotline_session`) holds a random token; the database keeps only its
  SHA-256, so a copy of the database gives no live session. HttpOnly, SameSite=Strict, and
  Secure everywhere except on localhost (the demo runs on plain http://127.0.0.1).
* CSRF: every state-changing request must carry `X-CSRF-Token` equal to the session's token
  (handed out at login and by /api/me). SameSite=Strict already stops cross-site cookies; the
  header check also covers same-site attackers.
* Login attempts are limited per user name and per client address (sliding window, in memory:
  per worker; with several workers the effective limit is multiplied by the worker count).
* Every login, failed login and logout is written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.audit import AuditEntry
from core.clock import Clock
from core.errors import NotAuthenticated, PermissionDenied, RateLimited
from core.ids import UserId
from seats.models import LoginSession, User
from seats.permissions import Principal

COOKIE = "hotline_session"
CSRF_HEADER = "X-CSRF-Token"


class UserDirectory(Protocol):
    def by_username(self, username: str) -> User | None: ...

    def get(self, user_id: UserId) -> User: ...


class SessionStore(Protocol):
    def add(self, session: LoginSession) -> None: ...

    def get(self, token_hash: str) -> LoginSession | None: ...

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


class LoginLimiter:
    """At most `limit` failures per key within `window`; a success clears the user's key."""

    def __init__(self, *, limit: int = 5, window: timedelta = timedelta(minutes=15)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, keys: list[str], now: datetime) -> bool:
        return any(len(self._recent(k, now)) >= self.limit for k in keys)

    def failed(self, keys: list[str], now: datetime) -> None:
        for k in keys:
            self._recent(k, now).append(now)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


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
        limiter: LoginLimiter | None = None,
        ttl: timedelta = timedelta(hours=12),
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._audit = audit
        self._clock = clock
        self.passwords = passwords or Passwords()
        self.limiter = limiter or LoginLimiter()
        self._ttl = ttl

    def login(self, username: str, password: str, *, source_ip: str) -> tuple[Authenticated, str]:
        """Check the password; returns the session and the cookie token. Raises on failure."""
        now = self._clock.now()
        keys = [f"user:{username.lower()}", f"ip:{source_ip}"]
        if self.limiter.blocked(keys, now):
            self._audit.append(
                AuditEntry(at=now, actor=None, action="login_blocked", target=username, source_ip=source_ip)
            )
            raise RateLimited("登录尝试过于频繁，请 15 分钟后再试")
        user = self._users.by_username(username)
        ok = self.passwords.verify(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            self.limiter.failed(keys, now)
            self._audit.append(
                AuditEntry(at=now, actor=None, action="login_failed", target=username, source_ip=source_ip)
            )
            raise NotAuthenticated("用户名或密码错误")
        self.limiter.clear(keys[0])
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
        self._audit.append(
            AuditEntry(at=now, actor=user.id, action="login", target=user.username, source_ip=source_ip)
        )
        return Authenticated(Principal.of(user), session), token

    def authenticate(self, token: str | None) -> Authenticated:
        if not token:
            raise NotAuthenticated("请先登录")
        session = self._sessions.get(token_hash(token))
        if session is None or session.revoked or session.expires_at <= self._clock.now():
            raise NotAuthenticated("登录已失效，请重新登录")
        user = self._users.get(session.user_id)
        if not user.active:
            raise NotAuthenticated("账号已停用")
        return Authenticated(Principal.of(user), session)

    def check_csrf(self, auth: Authenticated, header_value: str | None) -> None:
        if not header_value or not hmac.compare_digest(header_value, auth.session.csrf_token):
            raise PermissionDenied("请求缺少有效的 CSRF 令牌，请刷新页面")

    def logout(self, auth: Authenticated, *, source_ip: str) -> None:
        self._sessions.revoke(auth.session.token_hash)
        self._audit.append(
            AuditEntry(
                at=self._clock.now(),
                actor=auth.principal.user_id,
                action="logout",
                target=auth.principal.username,
                source_ip=source_ip,
            )
        )

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
