"""The demo reconciles against the embedded simulator's queue log and CDR, as against a real Asterisk."""

from __future__ import annotations

from pathlib import Path

from app.runtime import Runtime
from app.settings import demo_settings
from core.events import StateResynced
from store.db import Database
from tests.support.polling import until


async def test_given_the_embedded_simulator_and_no_record_paths_when_calls_end_then_the_reconciler_reads_its_files(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    settings = demo_settings(
        database={"url": db.url, "auto_migrate": True},
        ami={"port": 0},
        agi={"port": 0},
        audiosocket={"enabled": False},
        callbacks={"tick_s": 3600.0},
        sim={"enabled": True, "calls_per_hour": 1800.0, "time_scale": 8.0, "mean_talk_s": 10.0, "seed": 7},
    )
    runtime = Runtime(settings)
    await runtime.start()
    try:
        sim, reconciliation = runtime.simulator, runtime.reconciliation
        assert sim is not None
        await until(lambda: reconciliation.reconciler is not None, 20, "the reconciler")
        await until(lambda: sim.queue_log_path.stat().st_size > 0, 60, "the simulator's queue log")
        await until(lambda: sim.cdr_path.exists() and sim.cdr_path.stat().st_size > 0, 60, "its CDR")
        reconciler = reconciliation.reconciler
        assert reconciler is not None
        await runtime.bus.publish(StateResynced(at=runtime.clock.now(), source="ami"))  # as a re-login does

        def read_both() -> bool:
            report = reconciler.last_report
            return report is not None and report.lines["queue_log"] > 0 and report.lines["cdr"] > 0

        await until(read_both, 30, "a pass that read the simulator's queue log and CDR")
    finally:
        await runtime.stop()
        db.dispose()
