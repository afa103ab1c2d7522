"""A small reader and walker of the rendered extensions.conf, for tests of dialplan paths.

It knows only what our dialplan uses: `exten => X,1[(label)],App(args)`, `same => n[(label)],...`,
exact extensions before patterns (`_X.`, `_[0-9a-z]!`, `_q-.`), `i` for an extension that is not
there, `${VAR}` substitution, Set, Goto, GotoIf on `$["a"="b"]` / `!=`, and Dial whose
DIALSTATUS the test chooses. A walk stops at Queue(), Hangup() or after `max_steps`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Step = tuple[str | None, str, str]  # (label, application, arguments)
Dialplan = dict[str, dict[str, list[Step]]]

_LINE = re.compile(r"^\s*(exten|same)\s*=>\s*(.*)$")
_PRIO = re.compile(r"^(\w+)(?:\((\w+)\))?$")
_APP = re.compile(r"^(\w+)(?:\((.*)\))?$")


def parse(conf: str) -> Dialplan:
    plan: Dialplan = {}
    context: str | None = None
    exten: str | None = None
    for raw in conf.splitlines():
        line = raw.split(";", 1)[0].rstrip()
        if not line.strip():
            continue
        header = re.match(r"^\[([^\]]+)\]", line)
        if header:
            context = header.group(1)
            plan.setdefault(context, {})
            continue
        m = _LINE.match(line)
        if not m or context is None:
            continue
        kind, rest = m.groups()
        if kind == "exten":
            exten, prio, app = rest.split(",", 2)
        else:
            prio, app = rest.split(",", 1)
        assert exten is not None
        pm = _PRIO.match(prio.strip())
        am = _APP.match(app.strip())
        assert pm and am, raw
        plan[context].setdefault(exten, []).append((pm.group(2), am.group(1), am.group(2) or ""))
    return plan


def _pattern(pat: str) -> re.Pattern[str]:
    out, i = "", 1
    while i < len(pat):
        c = pat[i]
        if c == "[":
            j = pat.index("]", i)
            out += "[" + pat[i + 1 : j] + "]"
            i = j + 1
            continue
        out += {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(c, re.escape(c))
        i += 1
    return re.compile(out + "$")


def find(plan: Dialplan, context: str, exten: str) -> str | None:
    extens = plan.get(context, {})
    if exten in extens:
        return exten
    for name in extens:
        if name.startswith("_") and _pattern(name).match(exten):
            return name
    return None


@dataclass
class Walk:
    apps: list[tuple[str, str]] = field(default_factory=list)
    vars: dict[str, str] = field(default_factory=dict)
    ended_in: str = ""  # Queue, Hangup, or "" when the walk ran out of steps

    def ran(self, app: str) -> list[str]:
        return [args for a, args in self.apps if a == app]


def _subst(text: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), text)


def _cond(text: str) -> bool:
    m = re.fullmatch(r'\$\["(.*)"(!?=)"(.*)"\]', text)
    assert m, f"condition not understood: {text}"
    left, op, right = m.groups()
    return (left == right) == (op == "=")


def walk(
    plan: Dialplan,
    context: str,
    exten: str,
    variables: dict[str, str] | None = None,
    *,
    dial_status: str = "ANSWER",
    max_steps: int = 50,
) -> Walk:
    w = Walk(vars=dict(variables or {}))
    name = find(plan, context, exten)
    if name is None:  # Asterisk sends a channel redirected to a missing extension to `i`
        name = find(plan, context, "i")
        assert name is not None, f"{exten}@{context}: no extension and no `i`"
    index = 0
    for _ in range(max_steps):
        steps = plan[context][name]
        _, app, raw = steps[index]
        w.vars["EXTEN"] = exten
        args = raw if app == "Queue" else _subst(raw, w.vars)
        w.apps.append((app, args))
        target = ""
        if app == "Set":
            key, _, value = args.partition("=")
            w.vars[key] = value
        elif app == "Dial":
            w.vars["DIALSTATUS"] = dial_status
        elif app in ("Queue", "Hangup"):
            w.ended_in = app
            return w
        elif app == "Goto":
            target = args
        elif app == "GotoIf":
            cond, _, where = args.partition("?")
            yes, _, no = where.partition(":")
            target = yes if _cond(cond) else no
        if not target:
            index += 1
            continue
        parts = target.split(",")
        if len(parts) == 3:
            context, exten, prio = parts
        elif len(parts) == 2:
            exten, prio = parts
        else:
            prio = parts[0]
        name = find(plan, context, exten) or ""
        assert name, f"Goto into a missing extension {exten}@{context}"
        labels = [label for label, _, _ in plan[context][name]]
        index = int(prio) - 1 if prio.isdigit() else labels.index(prio)
    return w
