"""The web console's settings section (HOTLINE_WEB__...)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from core.access import DEFAULT_RIGHTS, Right, Role
from stats.board_alerts import AlertSettings

DEMO_SESSION_SECRET = "hotline-demo-session-secret-change-me"
"""The shipped session secret: accepted in demo mode only."""


class MonitorSettings(BaseModel):
    """Which roles hold which right (HOTLINE_WEB__MONITOR__MONITOR_ROLES,
    HOTLINE_WEB__MONITOR__BARGE_ROLES, HOTLINE_WEB__MONITOR__STEER_ROLES, e.g. `["admin", "supervisor"]`;
    `core.access.DEFAULT_RIGHTS` unless set): the defaults, until the admin saves the roles' rights on the
    console's 权限设置 page (`seats.rights.RoleRights`, kept in the database)."""

    monitor_roles: list[Role] = Field(
        default_factory=lambda: [r for r, rights in DEFAULT_RIGHTS.items() if Right.MONITOR in rights],
        description="可以监听、耳语的角色（seat / supervisor / admin / inspector）",
    )
    barge_roles: list[Role] = Field(
        default_factory=lambda: [r for r, rights in DEFAULT_RIGHTS.items() if Right.BARGE in rights],
        description="可以强插、强拆的角色",
    )
    steer_roles: list[Role] = Field(
        default_factory=lambda: [r for r, rights in DEFAULT_RIGHTS.items() if Right.STEER in rights],
        description="可以将坐席示忙、示闲、签出、调整当日队列的角色",
    )

    def rights(self) -> dict[Role, frozenset[Right]]:
        return {
            role: frozenset(
                right
                for right, roles in (
                    (Right.MONITOR, self.monitor_roles),
                    (Right.BARGE, self.barge_roles),
                    (Right.STEER, self.steer_roles),
                )
                if role in roles
            )
            for role in Role
        }


class BoardAlertSettings(BaseModel):
    """告警 on the supervisor board and the wallboard (`stats.board_alerts`)."""

    min_calls: int = Field(default=20, ge=1)  # calls offered in the window before 接通率低于目标 is raised
    window_s: float = Field(default=1800.0, gt=0)  # the answer-rate window: the last 30 minutes
    max_wait_s: float = Field(default=60.0, gt=0)  # 来电等待超时: a caller waiting longer than this
    check_s: float = Field(default=5.0, gt=0)  # how often the rules are checked

    def rules(self) -> AlertSettings:
        return AlertSettings(window_s=self.window_s, min_calls=self.min_calls, max_wait_s=self.max_wait_s)


ProcessRole = Literal["all", "telephony", "web", "speech"]
"""What one `hotline serve` process does (HOTLINE_ROLE, issue 21's scale-out):

* `all`: everything in one process (the default, and the demo);
* `telephony`: the one process that talks to the PBX: AMI bridge, tracker, IVR, speech, recorder,
  callbacks, reconciliation, alerts and report archive; it publishes every event to Redis and
  serves the console too (the web processes forward commands to it);
* `web`: serves the console and pushes events only: it follows the telephony process's events
  through Redis (`console_web.mirror`), answers reads from them and the database, and forwards
  every command to `web.telephony_url` (`console_web.forward`). It records nothing, so N of them
  divide the sockets and pages without writing anything twice;
* `speech`: speech recognition on a host of its own (`asr.remote`): the AudioSocket server, the
  engines and the post-call transcripts; it records the transcripts it makes and publishes them.
  The telephony process then runs with `HOTLINE_ASR__REMOTE=true`."""


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    session_secret: SecretStr = SecretStr(DEMO_SESSION_SECRET)
    transfer_numbers: dict[str, str] = Field(
        default_factory=lambda: {"12345": "12345", "12368": "12368", "12309": "12309"}
    )
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="请求体上限（字节），CSV 导入除外")
    max_import_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="CSV 导入（机构表、排班表）的请求体上限（字节）"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="可信反向代理的地址或网段；只有来自这些地址的 X-Forwarded-For 才被采信（默认不信任任何代理）",
    )
    monitor: MonitorSettings = Field(default_factory=lambda: MonitorSettings())
    alerts: BoardAlertSettings = Field(default_factory=lambda: BoardAlertSettings())
    telephony_url: str = Field(
        default="",
        description="web 角色进程所连的电话进程地址（HOTLINE_WEB__TELEPHONY_URL，如 http://10.0.0.5:8000）："
        "坐席与班长的操作、录音和管理类请求转发到这里执行",
    )
    report_archive_dir: str = Field(
        default="",
        description="报表归档目录（HOTLINE_WEB__REPORT_ARCHIVE_DIR）：每日零点后写入前一日（周日另写周报、月末另写月报）"
        "的 XLSX 报表，全市及各区各一份；空：不归档。hotline demo 使用工作目录下的 hotline-reports",
    )

    def report_archive_folder(self) -> Path | None:
        """`console_web.report_archive.ReportArchive`'s folder; None: no archive."""
        return Path(self.report_archive_dir) if self.report_archive_dir else None
