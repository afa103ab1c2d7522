"""Database engine and sessions: SQLite (embedded default, WAL) or PostgreSQL (production).

URLs: `sqlite:///./hotline.db`, `postgresql://user@host/db` (driver psycopg 3 is filled in).
SQLite gets WAL, foreign keys and a busy timeout on every connection so that the web workers and
the recorder can share the file.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from core.errors import BackendUnavailable, HotlineError


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database cannot be reached right now, as opposed
    to a refused write (a unique key, a constraint): connection refused or lost, server shutting
    down, pool exhausted, SQLite busy or locked."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BackendUnavailable | OperationalError | InterfaceError | PoolTimeout):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, ConnectionError | TimeoutError):
            return True
        current = current.__cause__ or current.__context__
    return False


def normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database)
    return None


def create_db_engine(url: str, *, echo: bool = False, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if "connect_timeout" not in url:
        # A stopped or unreachable server must fail fast (health checks, the journal's retries).
        connect_args = {"connect_timeout": 5, **kwargs.pop("connect_args", {})}
        kwargs["connect_args"] = connect_args
    return create_engine(url, echo=echo, pool_pre_ping=True, **kwargs)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = engine or create_db_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._ambient = threading.local()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back on error.

        Inside `unit_of_work` on the same thread, it is that unit's transaction (committed or
        rolled back with the unit as a whole).

        An outage (see `is_outage`) comes out as `core.errors.BackendUnavailable`, so callers
        outside `store` can tell "the database is down, try again later" from a refused write."""
        outer: Session | None = getattr(self._ambient, "session", None)
        if outer is not None:
            yield outer
            return
        with self._transaction() as session:
            yield session

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction for every repository call made in the block on this thread (the
        recorder writes a batch of events with one commit); all or nothing."""
        if getattr(self._ambient, "session", None) is not None:
            raise RuntimeError("unit_of_work is not re-entrant")
        with self._transaction() as session:
            self._ambient.session = session
            try:
                yield session
            finally:
                self._ambient.session = None

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self._sessions() as session, session.begin():
                yield session
        except BackendUnavailable:
            raise
        except Exception as exc:
            if is_outage(exc):
                raise BackendUnavailable("数据库暂时不可用", reason=type(exc).__name__) from exc
            raise

    def ping(self) -> None:
        """One round trip (`SELECT 1`); raises BackendUnavailable when the database is down."""
        with self.session() as s:
            s.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


class DatabaseProbe:
    """A real round trip to the database (cached for a second: the status page polls)."""

    def __init__(self, db: Callable[[], Database | None], *, ttl: float = 1.0) -> None:
        self._db = db
        self._ttl = ttl
        self._last: tuple[float, tuple[bool, str]] | None = None

    def __call__(self) -> tuple[bool, str]:
        db = self._db()
        if db is None:
            return False, "未启动"
        now = time.monotonic()
        if self._last is not None and now - self._last[0] < self._ttl:
            return self._last[1]
        try:
            db.ping()
            result: tuple[bool, str] = (True, "")
        except HotlineError as exc:
            result = (False, f"{exc.message}（{exc.context.get('reason', '')}）")
        except Exception as exc:
            result = (False, f"数据库检查失败：{type(exc).__name__}")
        self._last = (now, result)
        return result
