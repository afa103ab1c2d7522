"""Routing's office registry is loop-owned: it is loaded on a worker thread and swapped on the loop
(issue 13 item 5), at start-up and after every edit through the console."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.runtime import Runtime
from ivr.part import RoutingPart
from routing.offices import OfficeRegistry
from tests.support.app import build_test_app, login


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_given_the_console_when_the_registry_is_loaded_or_edited_then_routing_swaps_it_on_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    swaps: list[tuple[bool, OfficeRegistry]] = []
    swap = RoutingPart.use_registry

    def recording(self: RoutingPart, registry: OfficeRegistry) -> None:
        swaps.append((_on_a_loop(), registry))
        swap(self, registry)

    monkeypatch.setattr(RoutingPart, "use_registry", recording)
    with TestClient(build_test_app(tmp_path), base_url="http://127.0.0.1") as client:
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.routes.routing is not None
        assert [on_loop for on_loop, _ in swaps] == [True]
        assert runtime.routes.routing.lookup.registry is swaps[0][1]

        h = login(client, "admin")
        office = runtime.routes.routing.lookup.registry.in_district("310106")[0]
        kept = ("name", "address", "opening_hours", "lat", "lon", "team_id")
        edit = {name: getattr(office, name) for name in kept} | {"phone": "021-62000000"}
        r = client.put(f"/api/offices/{office.id}", json=edit, headers=h)
        assert r.status_code == 200, r.text

        assert [on_loop for on_loop, _ in swaps] == [True, True]
        assert runtime.routes.routing.lookup.registry.get(office.id).phone == "021-62000000"
