"""The callback ledger finishes an attempt once (issue 13 folded its fields into the attempt)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from callbacks.events import AttemptOutcome
from callbacks.models import MissedCall
from callbacks.retry import CallbackAttempt, attempt_id_for
from core.ids import CallId, SeatId
from store.callback_repo_extras import CallbackLedgerRepository
from store.db import Database
from store.repositories import WorkOrderRepository
from tests.store.test_repositories import _order

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _started(db: Database) -> tuple[CallbackLedgerRepository, CallbackAttempt]:
    order = _order("wo-a", "13900000001", AT)
    WorkOrderRepository(db).record_miss(
        MissedCall(call_id=CallId("call-a"), order_id=order.id, reason=order.reason, at=AT), order
    )
    attempt = CallbackAttempt(
        attempt_id=attempt_id_for(order.id, 1),
        order_id=order.id,
        number=1,
        seat_id=SeatId("1001"),
        started_at=AT,
    )
    ledger = CallbackLedgerRepository(db)
    assert ledger.start_attempt(attempt)
    return ledger, attempt


def test_an_attempt_is_finished_once_with_what_the_finished_attempt_says(db: Database) -> None:
    ledger, attempt = _started(db)
    finished = replace(
        attempt,
        outcome=AttemptOutcome.NO_ANSWER,
        finished_at=AT + timedelta(seconds=40),
        counted=True,
        retry_at=AT + timedelta(minutes=30),
        call_id="cb-1",
    )
    assert ledger.finish_attempt(finished) == finished
    assert ledger.get_attempt(attempt.attempt_id) == finished
    # A replay finishes nothing, and the first outcome stays.
    late = replace(finished, outcome=AttemptOutcome.REACHED, finished_at=AT + timedelta(minutes=1))
    assert ledger.finish_attempt(late) is None
    assert ledger.get_attempt(attempt.attempt_id) == finished


def test_an_attempt_without_an_outcome_is_refused_and_stays_unfinished(db: Database) -> None:
    ledger, attempt = _started(db)
    with pytest.raises(ValueError, match="no outcome"):
        ledger.finish_attempt(attempt)
    assert ledger.unfinished_attempts() == [attempt]
