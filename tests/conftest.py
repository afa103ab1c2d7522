"""Shared fixtures: databases on SQLite (always) and PostgreSQL, Redis (when configured).

PostgreSQL and Redis tests run when HOTLINE_TEST_DATABASE_URL / HOTLINE_TEST_REDIS_URL are set.
With HOTLINE_TEST_REQUIRE_SERVICES=1 (set by .ci/run) a missing or unreachable service FAILS
those tests instead of skipping them, so CI cannot pass while silently not testing them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from store.db import Database, create_db_engine
from store.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("HOTLINE_TEST_REQUIRE_SERVICES") == "1"


def service_unavailable(what: str, why: str) -> None:
    message = f"{what} unavailable: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (HOTLINE_TEST_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(message)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data folder missing: {SHARED} (it must sit beside the checkout)")
    return SHARED


def _postgres_database() -> Iterator[Database]:
    if not PG_URL:
        service_unavailable("PostgreSQL", "HOTLINE_TEST_DATABASE_URL is not set")
    admin = create_db_engine(PG_URL)
    schema = "t_" + uuid.uuid4().hex[:12]
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # connection refused, auth...
        admin.dispose()
        service_unavailable("PostgreSQL", repr(exc))
    # The schema travels in the URL, so components that open their own engine from the URL
    # (the runtime, alembic) land in the same schema.
    sep = "&" if "?" in PG_URL else "?"
    db = Database(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'hotline.db'}")
        yield db
        db.dispose()
    else:
        yield from _postgres_database()


@pytest.fixture
def pg_db() -> Iterator[Database]:
    """An empty PostgreSQL database (schema) only, for tests that already cover SQLite apart."""
    yield from _postgres_database()


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A database at the newest migration, on each backend."""
    upgrade(empty_db.url, engine=empty_db.engine)
    return empty_db


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        service_unavailable("Redis", "HOTLINE_TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:
        service_unavailable("Redis", repr(exc))
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(autouse=True, scope="session")
def _recordings_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The demo's simulator records calls (录音) into HOTLINE_RECORDINGS__PBX_DIR: a temporary
    folder for the whole session (module-scoped servers too), never the working directory; a test
    that checks recordings names its own folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTLINE_RECORDINGS__PBX_DIR", str(tmp_path_factory.mktemp("recordings")))
        yield


@pytest.fixture(autouse=True, scope="session")
def _speech_engine_as_without_models() -> Iterator[None]:
    """The app's tests run as on a machine without the Whisper model (`make install` puts one in
    ./models): the engine choice stays Vosk-only, so whether a developer installed the model does
    not change what the simulated IVR hears. The Whisper tests build their engine themselves, and
    tests/asr/test_engine_choice.py checks the `auto` choice. HOTLINE_ASR__ENGINE set by hand wins."""
    with pytest.MonkeyPatch.context() as mp:
        if "HOTLINE_ASR__ENGINE" not in os.environ:
            mp.setenv("HOTLINE_ASR__ENGINE", "vosk")
        yield
