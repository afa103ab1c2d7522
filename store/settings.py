"""The store's settings sections (HOTLINE_DATABASE__..., HOTLINE_REDIS__..., HOTLINE_JOURNAL__...)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from core.recordings import DEFAULT_PBX_DIR, DEFAULT_RETENTION_DAYS, RecordingFolder


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///./hotline.db"
    auto_migrate: bool = Field(default=False, description="在启动时自动迁移数据库（演示模式总是迁移）")


class RedisSettings(BaseModel):
    url: str | None = Field(default=None, description="多进程部署时用于事件分发的 Redis 地址")
    channel: str = "hotline:events"


class JournalSettings(BaseModel):
    """The local journal of events the database could not take (applied again once it is back)."""

    dir: str = Field(
        default="", description="事件日志目录；为空时放在 SQLite 数据库文件旁，或当前目录的 hotline-journal"
    )
    max_tries: int = Field(default=5, description="非连接类错误重试次数，超过后转入死信")


class RecordingSettings(BaseModel):
    """Call recordings (录音, HOTLINE_RECORDINGS__...): where Asterisk's MixMonitor writes them on
    the PBX host (`pbx_dir`, rendered into the dialplan), where the app reads that folder when it
    runs elsewhere (`app_dir`), how long they are kept and how often the keeper looks."""

    pbx_dir: str = Field(default=DEFAULT_PBX_DIR, description="Asterisk 在 PBX 主机上保存通话录音的目录")
    app_dir: str = Field(default="", description="应用读取录音目录的路径（与 Asterisk 不同主机时的挂载点）")
    retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS, ge=1, description="录音保存天数，超过后由定时任务删除并记入审计日志"
    )
    check_s: float = Field(default=3600.0, gt=0, description="录音保存期限与文件缺失的检查间隔（秒）")
    settle_s: float = Field(
        default=2.0, ge=0, description="通话结束后等待录音文件写完再计算大小与校验和（秒）"
    )

    @field_validator("pbx_dir", "app_dir")
    @classmethod
    def _absolute(cls, value: str) -> str:
        """A relative folder is the working directory's (the demo records beside its database)."""
        return str(Path(value).absolute()) if value and not value.startswith("/") else value

    @staticmethod
    def demo_dir() -> str:
        """Where the demo's simulator records: HOTLINE_RECORDINGS__PBX_DIR when set, else
        `hotline-recordings` in the working directory (Asterisk's spool is not the demo's)."""
        return os.environ.get("HOTLINE_RECORDINGS__PBX_DIR", "") or "hotline-recordings"

    def folder(self) -> RecordingFolder:
        return RecordingFolder(self.pbx_dir, self.app_dir)
