"""The `hotline` command: serve, demo, db upgrade. Help texts are in Chinese."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from app.settings import Settings, demo_settings, load_database_settings, load_settings
from core.errors import ConfigurationError, HotlineError
from pbx.sim.demo import DEMO_CALLS_PER_HOUR, OVERLOAD_CALLS_PER_HOUR


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


class _ChineseParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        for english, chinese in _ARG_ERRORS:
            message = message.replace(english, chinese)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _ChineseParser(
        prog="hotline",
        description="12348 公共法律服务热线坐席系统",
        epilog="配置通过环境变量设置，前缀 HOTLINE_，分节用双下划线，例如 HOTLINE_DATABASE__URL。",
        formatter_class=_ChineseHelp,
        add_help=False,
    )
    p._optionals.title = "选项"
    p.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    sub = p.add_subparsers(dest="command", title="子命令", metavar="命令")

    def add(name: str, text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=text, description=text, formatter_class=_ChineseHelp, add_help=False)
        sp._optionals.title = "选项"
        sp.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
        return sp

    serve = add("serve", "启动生产服务（AMI 桥接、IVR、语音识别与坐席控制台）")
    serve.add_argument("--host", help="监听地址（默认取 HOTLINE_WEB__HOST）")
    serve.add_argument("--port", type=int, help="监听端口（默认取 HOTLINE_WEB__PORT）")
    demo = add("demo", "启动演示：内置 PBX 模拟器、模拟来电和坐席控制台，访问 http://127.0.0.1:8000")
    demo.add_argument("--port", type=int, default=8000, help="控制台端口（默认 8000）")
    demo.add_argument(
        "--calls-per-hour", type=float, help=f"模拟来电量（每小时，默认 {DEMO_CALLS_PER_HOUR:.0f}）"
    )
    over = f"超负荷演示：每小时 {OVERLOAD_CALLS_PER_HOUR:.0f} 通，远超演示坐席的承载能力，看监控大屏告急"
    demo.add_argument("--overload", action="store_true", help=over)
    db = add("db", "数据库维护")
    db_sub = db.add_subparsers(dest="db_command", title="子命令", metavar="命令")
    up = db_sub.add_parser("upgrade", help="将数据库结构升级到最新版本", add_help=False)
    up.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    prompts = add("prompts", "语音提示音")
    prompts_sub = prompts.add_subparsers(dest="prompts_command", title="子命令", metavar="命令")
    pb = prompts_sub.add_parser(
        "build", help="用 espeak-ng 生成 8 kHz 提示音（开发用；可替换为真人录音）", add_help=False
    )
    pb.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    pb.add_argument("--menu", help="菜单文件（默认 ivr/menu.toml）")
    pb.add_argument("--out", default="prompts_build", help="输出目录（默认 prompts_build）")
    user = add("user", "账号管理")
    user_sub = user.add_subparsers(dest="user_command", title="子命令", metavar="命令")
    ua = user_sub.add_parser("add", help="新建账号（密码从标准输入或交互输入读取）", add_help=False)
    ua.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    ua.add_argument("username", help="登录名")
    ua.add_argument(
        "--role", choices=["seat", "supervisor", "admin"], required=True, help="角色：坐席、班长或管理员"
    )
    ua.add_argument("--name", required=True, help="显示名称")
    ua.add_argument("--seat", help="坐席编号（角色为坐席时必填）")
    ua.add_argument("--team", help="班长管辖的团队编号")
    ua.add_argument("--district", help="班长管辖的区划代码，例如 310106")
    seats = add("seats", "坐席与团队（生产部署）")
    seats_sub = seats.add_subparsers(dest="seats_command", title="子命令", metavar="命令")
    si = seats_sub.add_parser(
        "import",
        help="从 CSV 导入团队、坐席和话机（可重复导入，按工号更新）",
        description=(
            "从 CSV 导入团队、坐席和话机。表头（中文或英文）：工号/seat_id、姓名/name、团队/team（必填），"
            "团队编号/team_id、区/district、类型/kind、技能/skills、话机密码/phone_password、启用/active（选填）。"
            "团队按名称自动创建；新坐席必须填写话机密码。任何一行有错时不写入任何数据，并按行号列出错误。"
        ),
        formatter_class=_ChineseHelp,
        add_help=False,
    )
    si.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    si.add_argument("file", help="CSV 文件（UTF-8 或 GBK 编码）")
    ac = add("asterisk-conf", "生成 Asterisk 配置并通知 Asterisk 重新加载")
    ac_sub = ac.add_subparsers(dest="asterisk_command", title="子命令", metavar="命令")
    ar = ac_sub.add_parser(
        "render", help="按数据库中的坐席生成 Asterisk 启动所需的全部配置文件", add_help=False
    )
    ar.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    ar.add_argument("--out", required=True, help="输出目录（Asterisk 读取配置的目录，如 /etc/asterisk）")
    al = ac_sub.add_parser(
        "reload",
        help="重新生成配置，并经 AMI 让 Asterisk 重新加载 PJSIP、队列和拨号方案（不中断通话）",
        add_help=False,
    )
    al.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    al.add_argument("--out", required=True, help="Asterisk 读取配置的目录（先在此重新生成配置）")
    for parser in (p, *_all_subparsers(p)):
        parser._positionals.title = "参数"
        parser._optionals.title = "选项"
        parser.formatter_class = _ChineseHelp
    return p


def _all_subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += [sub, *_all_subparsers(sub)]
    return found


def _add_user(args: argparse.Namespace) -> None:
    import getpass

    from console_web.auth import Passwords
    from core.access import Role
    from store.accounts import add_account, check_seat_named
    from store.db import Database
    from store.repositories import Repositories

    check_seat_named(Role(args.role), args.seat)
    password = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("密码：")
    if len(password) < 8:
        raise ConfigurationError("密码至少 8 位")
    db = Database(load_database_settings().url)
    try:
        add_account(
            Repositories(db),
            username=args.username,
            role=Role(args.role),
            display_name=args.name,
            password_hash=Passwords().hash(password),
            seat=args.seat,
            team=args.team,
            district=args.district,
        )
    finally:
        db.dispose()


WS_MAX_MESSAGE_BYTES = 64 * 1024


def uvicorn_options(settings: Settings, host: str, port: int) -> dict[str, object]:
    """How `hotline serve` runs uvicorn (a function, so that tests can read it)."""
    return {
        "host": host,
        "port": port,
        "log_level": settings.log_level,
        "lifespan": "on",
        # Client addresses come from console_web.security.TrustedProxies, which believes
        # X-Forwarded-For only from HOTLINE_WEB__TRUSTED_PROXIES (uvicorn's own default trusts 127.0.0.1).
        "proxy_headers": False,
        # The console's websocket only pushes; a browser never needs to send more than a few bytes.
        "ws_max_size": WS_MAX_MESSAGE_BYTES,
    }


def _import_seats(file: str) -> str:
    from pathlib import Path

    from store.db import Database
    from store.repositories import Repositories
    from store.seat_import import import_seats_file

    db = Database(load_database_settings().url)
    try:
        return import_seats_file(Repositories(db), Path(file)).summary()
    finally:
        db.dispose()


def _asterisk_conf(command: str, out: str) -> None:
    from pathlib import Path

    from app.settings import load_asterisk_setup_settings
    from asterisk_conf.setup import reload_asterisk, render_from_database

    settings = load_asterisk_setup_settings()
    report = render_from_database(settings, Path(out))
    print(report.summary())
    if command == "reload":
        for module, message in asyncio.run(reload_asterisk(settings)):
            print(f"已重新加载 {module}：{message}")


def _run_web(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from app.main import build_app

    config = uvicorn.Config(build_app(settings), **uvicorn_options(settings, host, port))  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    asyncio.run(server.serve())
    if not server.started:
        raise SystemExit(1)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "serve":
            settings = load_settings()
            _run_web(settings, args.host or settings.web.host, args.port or settings.web.port)
        elif args.command == "demo":
            overrides: dict[str, object] = {"web": {"port": args.port}}
            rate = OVERLOAD_CALLS_PER_HOUR if args.overload else args.calls_per_hour
            if rate is not None:
                overrides["sim"] = {"enabled": True, "calls_per_hour": rate}
            settings = demo_settings(**overrides)
            print(f"演示已启动：在浏览器打开 http://127.0.0.1:{args.port}  （按 Ctrl+C 退出）", flush=True)
            _run_web(settings, "127.0.0.1", args.port)
        elif args.command == "db" and args.db_command == "upgrade":
            from store.migrate import upgrade

            upgrade(load_database_settings().url)
            print("数据库已升级到最新版本")
        elif args.command == "prompts" and args.prompts_command == "build":
            from pathlib import Path

            from ivr.prompts import build_prompts

            report = build_prompts(Path(args.menu) if args.menu else None, Path(args.out))
            print(
                f"提示音已生成：新建 {len(report.built)} 个，未变 {len(report.unchanged)} 个，"
                f"保留录音 {len(report.kept_recordings)} 个 → {args.out}"
            )
        elif args.command == "user" and args.user_command == "add":
            _add_user(args)
            print(f"账号已创建：{args.username}")
        elif args.command == "seats" and args.seats_command == "import":
            print(_import_seats(args.file))
        elif args.command == "asterisk-conf" and args.asterisk_command in ("render", "reload"):
            _asterisk_conf(args.asterisk_command, args.out)
        else:
            _parser().print_help()
            return 2
    except HotlineError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
