"""The speech side's settings sections (HOTLINE_AUDIOSOCKET__..., HOTLINE_ASR__...)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AudioSocketSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9092


class AsrSettings(BaseModel):
    model_path: str | None = Field(
        default="./models/vosk-model-small-cn-0.22", description="Vosk 模型目录（获取方法见 README）"
    )
    max_streams: int = 4
    idle_timeout_s: float = Field(
        default=15.0, gt=0, description="语音流连续这么多秒没有音频即由我方结束，释放识别通道（通话继续）"
    )
    max_stream_s: float = Field(
        default=7200.0, gt=0, description="单路语音流的最长时长（秒），超过即由我方结束"
    )
