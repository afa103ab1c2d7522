"""The simulator's dialplan: `extensions.conf` parsed, matched and expanded as Asterisk does.

The simulator runs whatever dialplan file it is given (the rendered `asterisk_conf` output for the
hotline, the recorded traces' own file for the scenarios): no context is coded in Python.

Supported, because the project's dialplans use it (pbx/config/pbx_config.c and main/pbx.c are the
reference for the behaviour):
- `[context]` sections (template markers `(!)` ignored), `exten => pattern,priority,App(data)`,
  `same => ...`, priorities as numbers, `n`, `n(label)`, `1(label)`, `include => other`.
- Patterns `_X. _q-. _[a-z0-9+]! _NXX`: X, Z, N, `[...]` classes with ranges, `.` (one or more),
  `!` (zero or more); an exact extension beats any pattern, and among patterns the most specific
  one wins (ext_cmp: position by position, the smaller character set first).
- `${VAR}`, `${VAR:offset:length}`, functions `${IF(c?a:b)}`, `${CALLERID(num|name)}`,
  `${LEN(x)}`, `${SHELL(...)}` (only the uuid command of the traces' file) and `$[...]`
  expressions: `| & = != < > <= >= + - * / % ! =~ ?:` with quoted strings, like ast_expr2.
Anything else raises `DialplanError` (a parse error) or is logged and expands to "" (an unknown
function, as Asterisk logs "Function X not registered").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


class DialplanError(ValueError):
    """The file is not a dialplan this simulator can run (with the line that failed)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One priority: `App(data)` with `data` not yet expanded."""

    priority: int
    app: str
    data: str
    label: str | None = None


@dataclass
class Extension:
    name: str  # as written: `12348`, `_X.`
    steps: dict[int, Step] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)

    @property
    def is_pattern(self) -> bool:
        return self.name.startswith("_")

    def matches(self, exten: str) -> bool:
        if not self.is_pattern:
            return self.name == exten
        return _pattern_regex(self.name).fullmatch(exten) is not None


@dataclass
class Context:
    name: str
    extensions: dict[str, Extension] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)


_CLASS = {"X": "0123456789", "Z": "123456789", "N": "23456789"}


def _pattern_parts(pattern: str) -> list[str]:
    """The pattern (without `_`) split into per-position character sets; `.`/`!` as themselves."""
    parts: list[str] = []
    body = pattern[1:]
    i = 0
    while i < len(body):
        c = body[i]
        if c.upper() in _CLASS:
            parts.append(_CLASS[c.upper()])
        elif c in ".!":
            parts.append(c)
        elif c == "[":
            end = body.find("]", i)
            if end < 0:
                raise DialplanError(f"unterminated [ in pattern {pattern!r}")
            chars: list[str] = []
            inner = body[i + 1 : end]
            j = 0
            while j < len(inner):
                if j + 2 < len(inner) and inner[j + 1] == "-":
                    chars.extend(chr(k) for k in range(ord(inner[j]), ord(inner[j + 2]) + 1))
                    j += 3
                else:
                    chars.append(inner[j])
                    j += 1
            parts.append("".join(sorted(set(chars))))
            i = end
        elif c in " -":
            pass  # ast_extension_match ignores blanks and dashes in a pattern (`_555-XXXX`)
        else:
            parts.append(c)
        i += 1
    return parts


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    cached = _REGEX_CACHE.get(pattern)
    if cached is not None:
        return cached
    out = []
    for part in _pattern_parts(pattern):
        if part == ".":
            out.append(".+")
        elif part == "!":
            out.append(".*")
        elif len(part) == 1:
            out.append(re.escape(part))
        else:
            out.append("[" + "".join(re.escape(c) for c in part) + "]")
    compiled = re.compile("".join(out), re.DOTALL)
    _REGEX_CACHE[pattern] = compiled
    return compiled


def _specificity(pattern: str) -> tuple[tuple[int, str], ...]:
    # ext_cmp: compare position by position; a smaller set sorts first; `.` and `!` last.
    key = []
    for part in _pattern_parts(pattern):
        if part == ".":
            key.append((10_000, ""))
        elif part == "!":
            key.append((10_001, ""))
        else:
            key.append((len(part), part[0]))
    return tuple(key)


_SECTION = re.compile(r"^\[([^\]]+)\](\(.*\))?$")
_PRIORITY = re.compile(r"^(\d+|n|hint)(?:\(([^)]*)\))?$")


def _strip_comment(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if c == ";":
            break
        out.append(c)
        i += 1
    return "".join(out).strip()


class Dialplan:
    """A parsed extensions.conf: look up steps, labels, whether an extension exists."""

    def __init__(self, contexts: dict[str, Context], source: str = "<text>") -> None:
        self.contexts = contexts
        self.source = source

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: Path) -> Dialplan:
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str = "<text>") -> Dialplan:
        contexts: dict[str, Context] = {}
        current: Context | None = None
        last: tuple[Extension, int] | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw)
            if not line:
                continue
            where = f"{source}:{number}"
            section = _SECTION.match(line)
            if section:
                name = section.group(1).strip()
                current = None if name in ("general", "globals") else contexts.setdefault(name, Context(name))
                last = None
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise DialplanError(f"{where}: not a dialplan line: {raw.strip()!r}")
            key = key.strip().lower()
            value = value.lstrip(">").strip()
            if current is None:
                continue  # [general] / [globals] settings
            if key == "include":
                current.includes.append(value)
                continue
            if key == "exten":
                name, _, rest = value.partition(",")
                name = name.strip()
                ext = current.extensions.setdefault(name, Extension(name))
                last = (ext, 0)
            elif key == "same":
                if last is None:
                    raise DialplanError(f"{where}: `same =>` without an `exten =>` before it")
                rest = value
            else:
                raise DialplanError(f"{where}: unknown dialplan keyword {key!r}")
            ext, previous = last
            prio_text, _, app_text = rest.partition(",")
            prio = _PRIORITY.match(prio_text.strip())
            if prio is None:
                raise DialplanError(f"{where}: bad priority {prio_text.strip()!r}")
            if prio.group(1) == "hint":
                continue
            priority = previous + 1 if prio.group(1) == "n" else int(prio.group(1))
            label = prio.group(2) or None
            app, data = _split_app(app_text.strip(), where)
            ext.steps[priority] = Step(priority, app, data, label)
            if label:
                ext.labels[label] = priority
            last = (ext, priority)
        return cls(contexts, source)

    # ------------------------------------------------------------------ lookups
    def find(self, context: str, exten: str, _seen: frozenset[str] = frozenset()) -> Extension | None:
        """The extension Asterisk would run for `exten` in `context` (includes searched after)."""
        ctx = self.contexts.get(context)
        if ctx is None or context in _seen:
            return None
        exact = ctx.extensions.get(exten)
        if exact is not None and not exact.is_pattern:
            return exact
        candidates = [e for e in ctx.extensions.values() if e.is_pattern and e.matches(exten)]
        if candidates:
            return min(candidates, key=lambda e: _specificity(e.name))
        for inc in ctx.includes:
            found = self.find(inc, exten, _seen | {context})
            if found is not None:
                return found
        return None

    def matching(self, context: str, exten: str, _seen: frozenset[str] = frozenset()) -> list[Extension]:
        """Every extension that matches `exten`, in the order Asterisk tries them: the exact one,
        then patterns from the most specific, then the includes."""
        ctx = self.contexts.get(context)
        if ctx is None or context in _seen:
            return []
        found: list[Extension] = []
        exact = ctx.extensions.get(exten)
        if exact is not None and not exact.is_pattern:
            found.append(exact)
        found += sorted(
            (e for e in ctx.extensions.values() if e.is_pattern and e.matches(exten)),
            key=lambda e: _specificity(e.name),
        )
        for inc in ctx.includes:
            found += self.matching(inc, exten, _seen | {context})
        return found

    def step(self, context: str, exten: str, priority: int) -> Step | None:
        """The step Asterisk runs at (exten, priority): like pbx_find_extension, an extension that
        matches but lacks the priority does not stop the search, so `h` priority 2 falls through
        to a pattern such as `_[0-9a-z]!` that has one."""
        for ext in self.matching(context, exten):
            if priority in ext.steps:
                return ext.steps[priority]
        return None

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        return self.step(context, exten, priority) is not None

    def label(self, context: str, exten: str, label: str) -> int | None:
        ext = self.find(context, exten)
        return None if ext is None else ext.labels.get(label)

    def context_names(self) -> list[str]:
        return list(self.contexts)


def _split_app(text: str, where: str) -> tuple[str, str]:
    if "(" not in text:
        app, _, data = text.partition(",")
        return app.strip(), data
    app, _, rest = text.partition("(")
    if not rest.endswith(")"):
        raise DialplanError(f"{where}: application without a closing parenthesis: {text!r}")
    return app.strip(), rest[:-1]


# ---------------------------------------------------------------------------- expansion
Lookup = Callable[[str], str | None]
Function = Callable[[str, str], str]  # (name, argument) -> value


def _matching(text: str, start: int, opener: str, closer: str) -> int:
    """Index of the `closer` matching the opener just before `start` (nesting counted)."""
    depth = 1
    i = start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise DialplanError(f"unbalanced {opener}{closer} in {text!r}")


def expand(text: str, lookup: Lookup, function: Function) -> str:
    """pbx_substitute_variables: `${...}` and `$[...]`, innermost first."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            end = _matching(text, i + 2, "{", "}")
            inner = expand(text[i + 2 : end], lookup, function)
            out.append(_variable(inner, lookup, function))
            i = end + 1
        elif text.startswith("$[", i):
            end = _matching(text, i + 2, "[", "]")
            inner = expand(text[i + 2 : end], lookup, function)
            out.append(evaluate(inner))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_FUNC = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\((.*)\)$", re.DOTALL)
_SUBSTR = re.compile(r"^(.*?):(-?\d+)(?::(-?\d+))?$")


def _variable(name: str, lookup: Lookup, function: Function) -> str:
    func = _FUNC.match(name)
    if func:
        return function(func.group(1).upper(), func.group(2))
    sub = _SUBSTR.match(name)
    if sub:
        value = lookup(sub.group(1)) or ""
        offset = int(sub.group(2))
        value = value[offset:]
        if sub.group(3) is not None:
            length = int(sub.group(3))
            value = value[:length]
        return value
    return lookup(name) or ""


def split_if(argument: str) -> tuple[str, str, str]:
    """`cond?true:false` (IF, GotoIf): split at the first `?` and the first `:` after it."""
    cond, _, branches = argument.partition("?")
    yes, _, no = branches.partition(":")
    return cond.strip(), yes, no


def truthy(value: str) -> bool:
    """pbx_checkcondition: empty is false, a number is its value, any other text is true."""
    value = value.strip()
    if not value:
        return False
    try:
        return float(value) != 0
    except ValueError:
        return True


def split_args(data: str) -> list[str]:
    """Application arguments: commas separate, except inside quotes, (), [] and {}; `\\,` is literal."""
    args: list[str] = []
    cur: list[str] = []
    depth = 0
    quoted = False
    i = 0
    while i < len(data):
        c = data[i]
        if c == "\\" and i + 1 < len(data):
            cur.append(data[i + 1])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted and c in "([{":
            depth += 1
        elif not quoted and c in ")]}":
            depth = max(0, depth - 1)
        elif c == "," and not quoted and depth == 0:
            args.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    args.append("".join(cur))
    return args


# ---------------------------------------------------------------------------- $[ ] expressions
_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\|\||&&|!=|<=|>=|=~|[|&=<>+\-*/%!?:()]|[^\s|&=<>+\-*/%!?:()"]+)')
_OPS = {"|", "&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "!", "=~", "?", ":", "(", ")"}


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    op: bool


def _tokens(expr: str) -> Iterator[_Tok]:
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            return
        m = _TOKEN.match(expr, pos)
        if m is None:
            raise DialplanError(f"cannot read expression {expr!r}")
        text = m.group(1)
        pos = m.end()
        if text.startswith('"'):
            yield _Tok(text[1:-1].replace('\\"', '"'), False)
        elif text in ("||", "&&"):
            yield _Tok(text[0], True)
        else:
            yield _Tok(text, text in _OPS)


def _num(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _operands(op: str, left: str, right: str) -> tuple[float, float]:
    """Both sides of an arithmetic operator as numbers (the expression fails otherwise)."""
    a, b = _num(left), _num(right)
    if a is None or b is None:
        raise DialplanError(f"non-numeric operand for {op}: {left!r}, {right!r}")
    return a, b


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


class _Parser:
    """Recursive descent over ast_expr2's grammar (lowest precedence first)."""

    def __init__(self, expr: str) -> None:
        self.toks = list(_tokens(expr))
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, *ops: str) -> str | None:
        t = self.peek()
        if t is not None and t.op and t.text in ops:
            self.i += 1
            return t.text
        return None

    def parse(self) -> str:
        if not self.toks:
            return ""
        value = self.cond()
        if self.peek() is not None:
            raise DialplanError(f"unexpected {self.peek()!r} in expression")
        return value

    def cond(self) -> str:
        c = self.or_()
        if self.take("?"):
            yes = self.or_()
            no = self.or_() if self.take(":") else ""
            return yes if truthy(c) else no
        return c

    def or_(self) -> str:
        left = self.and_()
        while self.take("|"):
            right = self.and_()
            left = left if truthy(left) else (right if truthy(right) else "0")
        return left

    def and_(self) -> str:
        left = self.cmp()
        while self.take("&"):
            right = self.cmp()
            left = left if truthy(left) and truthy(right) else "0"
        return left

    def cmp(self) -> str:
        left = self.add()
        while True:
            op = self.take("=", "!=", "<", ">", "<=", ">=", "=~")
            if op is None:
                return left
            right = self.add()
            if op == "=~":
                m = re.match(right, left)
                left = (m.group(1) if m and m.groups() else str(len(m.group(0)))) if m else "0"
                continue
            a, b = _num(left), _num(right)
            pair: tuple[float, float] | tuple[str, str] = (
                (a, b) if a is not None and b is not None else (left, right)
            )
            x, y = pair
            result = {
                "=": x == y,
                "!=": x != y,
                "<": x < y,  # type: ignore[operator]
                ">": x > y,  # type: ignore[operator]
                "<=": x <= y,  # type: ignore[operator]
                ">=": x >= y,  # type: ignore[operator]
            }[op]
            left = "1" if result else "0"

    def add(self) -> str:
        left = self.mul()
        while True:
            op = self.take("+", "-")
            if op is None:
                return left
            right = self.mul()
            a, b = _operands(op, left, right)
            left = _fmt(a + b if op == "+" else a - b)

    def mul(self) -> str:
        left = self.unary()
        while True:
            op = self.take("*", "/", "%")
            if op is None:
                return left
            right = self.unary()
            a, b = _operands(op, left, right)
            if b == 0:
                left = "0"
            elif op == "*":
                left = _fmt(a * b)
            elif op == "/":
                left = _fmt(int(a / b))
            else:
                left = _fmt(a % b)

    def unary(self) -> str:
        if self.take("!"):
            return "0" if truthy(self.unary()) else "1"
        if self.take("-"):
            v = _num(self.unary())
            if v is None:
                raise DialplanError("non-numeric operand for unary -")
            return _fmt(-v)
        return self.atom()

    def atom(self) -> str:
        if self.take("("):
            v = self.cond()
            if not self.take(")"):
                raise DialplanError("missing ) in expression")
            return v
        t = self.peek()
        if t is None:
            return ""  # `$["" = ]`: an empty operand, as when a variable expands to nothing
        if t.op:
            return ""
        self.i += 1
        return t.text


def evaluate(expr: str) -> str:
    """The value of a `$[...]` expression (its inside, already expanded)."""
    return _Parser(expr).parse()


__all__ = [
    "Context",
    "Dialplan",
    "DialplanError",
    "Extension",
    "Step",
    "evaluate",
    "expand",
    "split_args",
    "split_if",
    "truthy",
]
