"""argparse in Chinese: the usage prefix, the section titles, `-h` and the parse errors.

`chinese_parser` is the top-level parser; `commands` and `command` add sub-commands with Chinese
help; `localise` sets the titles and the formatter on a finished parser and all its sub-commands.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn, TypeAlias

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _ChineseHelp(argparse.RawDescriptionHelpFormatter):
    def add_usage(
        self, usage: str | None, actions: object, groups: object, prefix: str | None = None
    ) -> None:
        # argparse passes prefix "" when it builds a sub-command's prog: no second "用法：" there.
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)  # type: ignore[arg-type]


_ARG_ERRORS = (
    ("the following arguments are required:", "缺少必需的参数："),
    ("unrecognized arguments:", "无法识别的参数："),
    ("invalid choice:", "无效的选项："),
    ("expected one argument", "需要一个值"),
    ("(choose from", "（可选："),
    ("invalid int value:", "不是整数："),
    ("invalid float value:", "不是数字："),
    ("argument ", "参数 "),
)


class ChineseParser(argparse.ArgumentParser):
    """Parse errors in Chinese (its sub-commands are of this class too)."""

    def error(self, message: str) -> NoReturn:
        for english, chinese in _ARG_ERRORS:
            message = message.replace(english, chinese)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def chinese_parser(prog: str, description: str, epilog: str | None = None) -> ChineseParser:
    """The top-level parser, with a Chinese `-h`."""
    parser = ChineseParser(prog=prog, description=description, epilog=epilog, add_help=False)
    _add_help(parser)
    return parser


def commands(parser: argparse.ArgumentParser, dest: str) -> Commands:
    """The sub-commands of `parser` (the one given: `args.<dest>`)."""
    return parser.add_subparsers(dest=dest, title="子命令", metavar="命令")


def command(
    commands: Commands, name: str, text: str, *, description: str | None = None
) -> argparse.ArgumentParser:
    """A sub-command with its Chinese help (`-h` too)."""
    return _add_help(commands.add_parser(name, help=text, description=description or text, add_help=False))


def _add_help(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    return parser


def localise(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Chinese section titles and usage prefix on `parser` and every sub-command below it."""
    for each in (parser, *_all_subparsers(parser)):
        each._positionals.title = "参数"
        each._optionals.title = "选项"
        each.formatter_class = _ChineseHelp
    return parser


def _all_subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += [sub, *_all_subparsers(sub)]
    return found
