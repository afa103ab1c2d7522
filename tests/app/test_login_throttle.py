"""Login throttling: per (account, address) growing delays, trusted proxies only, bounded argon2 work."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import build_app
from app.runtime import Runtime
from app.settings import DEMO_ADMIN_PASSWORD
from console_web.auth import AuthService, LoginThrottle, Passwords, VerificationGate
from console_web.security import TrustedProxies
from core.access import Role
from core.audit import AuditEntry
from core.clock import ManualClock
from core.errors import NotAuthenticated, RateLimited, ServiceOverloaded
from core.ids import UserId
from seats.models import LoginSession, User
from tests.support.app import demo_test_settings

PW = "correct horse"


class CountingPasswords(Passwords):
    def __init__(self) -> None:
        super().__init__()
        self.checks = 0
        self.threads: set[int] = set()

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.checks += 1
        self.threads.add(threading.get_ident())
        return super().verify(password_hash, password)


class Users:
    def __init__(self, users: list[User]) -> None:
        self._by_name = {u.username: u for u in users}

    def by_username(self, username: str) -> User | None:
        return self._by_name.get(username)

    def get(self, user_id: UserId) -> User:
        return next(u for u in self._by_name.values() if u.id == user_id)

    def disable(self, username: str) -> None:
        self._by_name[username] = dataclasses.replace(self._by_name[username], active=False)


class Sessions:
    def __init__(self, users: Users) -> None:
        self.rows: dict[str, LoginSession] = {}
        self._users = users

    def add(self, session: LoginSession) -> None:
        self.rows[session.token_hash] = session

    def get(self, token_hash: str) -> LoginSession | None:
        return self.rows.get(token_hash)

    def with_users(self, token_hashes: Sequence[str]) -> dict[str, tuple[LoginSession, User]]:
        return {
            h: (self.rows[h], self._users.get(self.rows[h].user_id)) for h in token_hashes if h in self.rows
        }

    def revoke(self, token_hash: str) -> None:
        self.rows[token_hash] = dataclasses.replace(self.rows[token_hash], revoked=True)


class Audit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> int:
        self.entries.append(entry)
        return len(self.entries)

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]


@dataclasses.dataclass
class Fixture:
    auth: AuthService
    clock: ManualClock
    passwords: CountingPasswords
    audit: Audit


@pytest.fixture
def fx() -> Fixture:
    passwords = CountingPasswords()
    users = Users(
        [
            User(
                id=UserId(f"u-{name}"),
                username=name,
                display_name=name,
                role=Role.SEAT,
                password_hash=passwords.hash(PW),
            )
            for name in ("alice", "bob", "carol")
        ]
    )
    clock = ManualClock()
    audit = Audit()
    auth = AuthService(users=users, sessions=Sessions(users), audit=audit, clock=clock, passwords=passwords)
    return Fixture(auth, clock, passwords, audit)


def _try(auth: AuthService, user: str, password: str, ip: str) -> str:
    """'ok', 'bad' or 'throttled'."""
    try:
        asyncio.run(auth.login(user, password, source_ip=ip))
    except NotAuthenticated:
        return "bad"
    except RateLimited:
        return "throttled"
    return "ok"


def test_given_failures_from_one_address_then_only_that_address_waits_and_is_refused_without_hashing(
    fx: Fixture,
) -> None:
    assert [_try(fx.auth, "alice", "guess", "203.0.113.7") for _ in range(3)] == ["bad"] * 3
    checks = fx.passwords.checks
    assert _try(fx.auth, "alice", PW, "203.0.113.7") == "throttled"  # even with the right password
    assert fx.passwords.checks == checks  # refused before any argon2 work
    # The real Alice, at her desk: not locked out.
    assert _try(fx.auth, "alice", PW, "10.20.0.15") == "ok"
    assert fx.audit.actions().count("login_blocked") == 1


def test_given_more_failures_then_the_delay_doubles_up_to_the_cap(fx: Fixture) -> None:
    fx.auth.throttle = LoginThrottle(free_failures=3, base=timedelta(seconds=1), cap=timedelta(seconds=8))
    for _ in range(3):
        _try(fx.auth, "bob", "guess", "198.51.100.1")
    waits = []
    for _ in range(6):
        wait, _first = fx.auth.throttle.retry_after("bob", "198.51.100.1", fx.clock.now())
        waits.append(wait)
        fx.clock.advance(wait)
        assert _try(fx.auth, "bob", "guess", "198.51.100.1") == "bad"
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    # Just before the wait is over: still refused; then allowed, and a success clears the pair.
    fx.clock.advance(7.5)
    assert _try(fx.auth, "bob", PW, "198.51.100.1") == "throttled"
    fx.clock.advance(0.5)
    assert _try(fx.auth, "bob", PW, "198.51.100.1") == "ok"
    assert fx.auth.throttle.retry_after("bob", "198.51.100.1", fx.clock.now())[0] == 0


def test_given_one_address_spraying_many_accounts_then_that_address_is_slowed(fx: Fixture) -> None:
    fx.auth.throttle = LoginThrottle(free_failures=3, address_free_failures=5)
    for user in ("alice", "bob", "carol", "dave", "erin"):
        assert _try(fx.auth, user, "123456", "192.0.2.50") == "bad"
    assert _try(fx.auth, "carol", PW, "192.0.2.50") == "throttled"
    assert _try(fx.auth, "carol", PW, "192.0.2.51") == "ok"


def test_given_a_long_quiet_spell_then_old_failures_are_forgotten(fx: Fixture) -> None:
    for _ in range(6):
        fx.clock.advance(600)
        _try(fx.auth, "alice", "guess", "203.0.113.9")
    fx.clock.advance(3 * 3600)
    assert fx.auth.throttle.retry_after("alice", "203.0.113.9", fx.clock.now())[0] == 0


def test_given_many_keys_then_memory_stays_bounded() -> None:
    throttle = LoginThrottle(max_entries=50)
    now = ManualClock().now()
    for i in range(500):
        throttle.failed(f"user{i}", f"10.0.{i // 250}.{i % 250}", now)
    assert len(throttle._entries) <= 50


def test_given_a_flood_of_logins_then_argon2_runs_off_the_loop_at_most_n_at_a_time(fx: Fixture) -> None:
    release = threading.Event()
    running = 0
    most = 0
    lock = threading.Lock()
    original = fx.passwords.verify

    def slow_verify(password_hash: str | None, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(timeout=30)
        with lock:
            running -= 1
        return original(password_hash, password)

    fx.passwords.verify = slow_verify  # type: ignore[method-assign]
    fx.auth.gate = VerificationGate(concurrent=2, queue=3)

    async def go() -> list[str]:
        loop_thread = threading.get_ident()
        tasks = [
            asyncio.create_task(fx.auth.login("alice", "guess", source_ip=f"10.1.0.{i}")) for i in range(5)
        ]
        while running < 2:  # the first two reach argon2; the other three wait in the gate
            await asyncio.sleep(0.01)
        with pytest.raises(ServiceOverloaded):
            await fx.auth.login("bob", PW, source_ip="10.1.0.99")
        release.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert loop_thread not in fx.passwords.threads
        return [type(r).__name__ for r in results]

    assert asyncio.run(go()) == ["NotAuthenticated"] * 5
    assert most == 2


def test_trusted_proxies_are_the_only_ones_believed() -> None:
    mw = TrustedProxies(lambda *_: None, trusted=["10.0.0.0/30", "::1"])  # type: ignore[arg-type]
    assert mw.client_for("10.0.0.1", ["203.0.113.5"]) == "203.0.113.5"
    # A client-supplied hop to the left of the real one is ignored.
    assert mw.client_for("10.0.0.1", ["1.2.3.4, 203.0.113.5"]) == "203.0.113.5"
    assert mw.client_for("10.0.0.1", ["203.0.113.5, 10.0.0.2"]) == "203.0.113.5"  # chained proxies
    assert mw.client_for("198.51.100.3", ["203.0.113.5"]) == "198.51.100.3"  # not a proxy
    assert mw.client_for("10.0.0.1", ["not-an-ip"]) == "10.0.0.1"
    assert mw.client_for("10.0.0.1", []) == "10.0.0.1"
    assert TrustedProxies(lambda *_: None, trusted=[]).client_for("10.0.0.1", ["203.0.113.5"]) == "10.0.0.1"  # type: ignore[arg-type]


def _app_client(tmp_path: Path, peer: str, **web: Any) -> Iterator[TestClient]:
    settings = demo_test_settings(tmp_path, "thr.db", web=web)
    # A clock that stands still: the throttle's waits cannot run out while the test runs.
    app = build_app(settings, clock=ManualClock())
    with TestClient(app, base_url="http://127.0.0.1", client=(peer, 40000)) as c:
        yield c


def test_given_a_trusted_proxy_then_the_forwarded_client_is_throttled_and_audited(tmp_path: Path) -> None:
    for c in _app_client(tmp_path, "10.0.0.1", trusted_proxies=["10.0.0.1"]):
        attacker = {"X-Forwarded-For": "203.0.113.5"}
        for _ in range(3):
            r = c.post("/api/login", json={"username": "seat1001", "password": "x"}, headers=attacker)
            assert r.status_code == 401
        r = c.post(
            "/api/login", json={"username": "seat1001", "password": DEMO_ADMIN_PASSWORD}, headers=attacker
        )
        assert r.status_code == 429 and "过于频繁" in r.json()["message"]
        assert int(r.headers["Retry-After"]) >= 1
        # The same account through the same proxy from another desk logs in.
        r = c.post(
            "/api/login",
            json={"username": "seat1001", "password": DEMO_ADMIN_PASSWORD},
            headers={"X-Forwarded-For": "10.20.0.15"},
        )
        assert r.status_code == 200
        runtime: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
        by_action = {e.action: e.source_ip for e in runtime.repos.audit.recent()}
        assert by_action["login_failed"] == "203.0.113.5" and by_action["login"] == "10.20.0.15"


def test_given_no_trusted_proxy_then_x_forwarded_for_is_ignored(tmp_path: Path) -> None:
    for c in _app_client(tmp_path, "198.51.100.20"):
        for i in range(3):
            headers = {"X-Forwarded-For": f"203.0.113.{i}"}  # a fresh fake address each time
            c.post("/api/login", json={"username": "seat1001", "password": "x"}, headers=headers)
        r = c.post(
            "/api/login",
            json={"username": "seat1001", "password": DEMO_ADMIN_PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.77"},
        )
        assert r.status_code == 429
        runtime: Runtime = c.app.state.runtime  # type: ignore[attr-defined]
        assert {e.source_ip for e in runtime.repos.audit.recent()} == {"198.51.100.20"}


def test_given_parallel_guesses_at_one_account_from_one_address_then_only_one_is_checked(fx: Fixture) -> None:
    release = threading.Event()
    original = fx.passwords.verify

    def slow_verify(password_hash: str | None, password: str) -> bool:
        release.wait(timeout=30)
        return original(password_hash, password)

    fx.passwords.verify = slow_verify  # type: ignore[method-assign]

    async def go() -> list[str]:
        first = asyncio.create_task(fx.auth.login("alice", "guess-1", source_ip="203.0.113.20"))
        while fx.auth.gate.in_flight < 1:
            await asyncio.sleep(0.01)
        outcomes = []
        for guess in ("guess-2", "guess-3"):
            try:
                await fx.auth.login("alice", guess, source_ip="203.0.113.20")
            except RateLimited:
                outcomes.append("throttled")
        release.set()
        with pytest.raises(NotAuthenticated):
            await first
        return outcomes

    assert asyncio.run(go()) == ["throttled", "throttled"]
    assert _try(fx.auth, "alice", PW, "203.0.113.21") == "ok"  # another desk is not held up
