"""The store's settings sections (HOTLINE_DATABASE__..., HOTLINE_REDIS__..., HOTLINE_JOURNAL__...)."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
