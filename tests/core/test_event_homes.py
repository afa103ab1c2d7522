"""Every event that crosses a package boundary is defined in `core`, and consumers match events by
class: no `event_type == "..."` string comparison and no `getattr(event, "...")` outside `core`.

A renamed class or field then breaks at import or under mypy, instead of silently emptying the
call record. `core` itself keeps the generic machinery (wire form, audience keys, the bus).
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import re

import pytest

import core.events
from core.events import DomainEvent

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = (
    "core",
    "routing",
    "seats",
    "callbacks",
    "stats",
    "pbx",
    "ivr",
    "asr",
    "store",
    "console_web",
    "app",
)
# Names a variable holding an event goes by: event, ev, e, evt, fact, new_event, events...
_EVENTISH = re.compile(r"(^|_)(e|ev|evt|event|events|fact)$")


def _sources(packages: tuple[str, ...]) -> list[tuple[str, pathlib.Path]]:
    return sorted((pkg, p) for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_event_type(node: ast.expr) -> bool:
    """`x.event_type`, or `type(x).__name__`."""
    if isinstance(node, ast.Attribute) and node.attr == "event_type":
        return True
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "__name__"
        and isinstance(node.value, ast.Call)
        and _name_of(node.value.func) == "type"
    )


def stringly_event_uses(source: str) -> list[tuple[int, str]]:
    """(line, what) for each event matched by name string or read with getattr/hasattr."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_event_type(s) for s in sides) and any(
                isinstance(s, ast.Constant | ast.Tuple | ast.Set | ast.List) for s in sides
            ):
                found.append((node.lineno, "event type compared with a string"))
        elif isinstance(node, ast.Match) and _is_event_type(node.subject):
            found.append((node.lineno, "match on the event type string"))
        elif isinstance(node, ast.Call) and _name_of(node.func) in ("getattr", "hasattr") and node.args:
            target = _name_of(node.args[0])
            if _EVENTISH.search(target) or "event" in target:
                found.append((node.lineno, f"{_name_of(node.func)}({target}, ...)"))
    return found


def test_given_the_checker_when_fed_stringly_code_then_it_flags_each_form() -> None:
    bad = (
        "if event.event_type == 'IvrRouted': pass\n"
        "if 'X' != ev.event_type: pass\n"
        "if entry.event_type in ('A', 'B'): pass\n"
        "if type(e).__name__ == 'SeatStateChanged': pass\n"
        "x = getattr(event, 'path', ())\n"
        "y = hasattr(self.event, 'seat_id')\n"
        "match fact.event_type:\n    case 'A': pass\n"
    )
    lines = [line for line, _ in stringly_event_uses(bad)]
    assert set(lines) == {1, 2, 3, 4, 5, 6, 7}
    ok = "if isinstance(event, IvrRouted): pass\nv = getattr(request.app.state, 'x', None)\n"
    assert stringly_event_uses(ok) == []


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "core"])
def test_given_a_package_outside_core_when_it_reads_events_then_by_class_and_typed_field(
    package: str,
) -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for _, path in _sources((package,))
        for line, what in stringly_event_uses(path.read_text(encoding="utf-8"))
    ]
    assert offences == []


def _import_all() -> None:
    for _pkg, path in _sources(PACKAGES):
        rel = path.relative_to(ROOT).with_suffix("")
        if rel.parts[-1] == "__init__":
            rel = rel.parent
        if "migrations" in rel.parts:
            continue  # Alembic's env.py runs only under Alembic
        importlib.import_module(".".join(rel.parts))


def foreign_event_imports(package: str, source: str) -> list[str]:
    """Events that `package`'s module imports from another package and that are not core's."""
    registry = core.events._REGISTRY  # every DomainEvent subclass, by class name
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        home = node.module.split(".")[0]
        if home == package or home not in PACKAGES:
            continue
        for alias in node.names:
            cls = registry.get(alias.name)
            if cls is not None and not cls.__module__.startswith("core."):
                found.append(f"{alias.name} from {cls.__module__}")
    return found


def test_given_the_import_checker_when_a_package_imports_a_non_core_event_then_flagged() -> None:
    _import_all()
    source = "from callbacks.events import WorkOrderCreated\nfrom core.ivr_events import IvrRouted\n"
    assert foreign_event_imports("app", source) == ["WorkOrderCreated from callbacks.events"]
    assert foreign_event_imports("callbacks", source) == []


def test_given_an_event_imported_by_another_package_then_it_is_defined_in_core() -> None:
    _import_all()
    crossing = [
        f"{path.relative_to(ROOT)} imports {what}"
        for pkg, path in _sources(PACKAGES)
        for what in foreign_event_imports(pkg, path.read_text(encoding="utf-8"))
    ]
    assert crossing == []


def test_given_the_registry_then_events_consumed_across_packages_are_core_classes() -> None:
    """The facts other packages react to (IVR, ASR, seat board) are registered from core modules."""
    _import_all()
    registry = core.events._REGISTRY
    for name in ("IvrRouted", "AppointmentRequested", "TranscriptSegment", "SeatStateChanged", "CallEnded"):
        cls = registry[name]
        assert issubclass(cls, DomainEvent)
        assert cls.__module__.startswith("core."), (name, cls.__module__)
