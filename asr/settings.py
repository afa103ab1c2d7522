"""The speech side's settings sections (HOTLINE_AUDIOSOCKET__..., HOTLINE_ASR__...)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class AudioSocketSettings(BaseModel):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9092


class AsrSettings(BaseModel):
    engine: Literal["auto", "vosk", "whisper"] = Field(
        default="auto",
        description="识别引擎：auto = 有 Vosk 模型用 Vosk（流式，实时转写），否则用 Whisper（整句识别）；"
        "vosk / whisper = 只用该引擎",
    )
    model_path: str | None = Field(
        default="./models/vosk-model-small-cn-0.22", description="Vosk 模型目录（获取方法见 README）"
    )
    whisper_model_path: str | None = Field(
        default="./models/faster-whisper-base",
        description="faster-whisper 模型目录（make install 自动安装并校验，见 README）",
    )
    whisper_verify_checksum: bool = Field(
        default=True,
        description="按 issue 18 的大小与 SHA-256 校验 model.bin；换用其他 Whisper 模型时设为 false",
    )
    whisper_threads: int = Field(default=2, ge=1, description="Whisper 解码所用 CPU 线程数")
    whisper_time_limit_s: float = Field(
        default=15.0, gt=0, description="单句 Whisper 解码的时间上限（秒），超过即停止并返回已识别部分"
    )
    whisper_max_audio_s: float = Field(
        default=30.0, gt=0, description="单句最多识别的音频时长（秒），更长的只识别开头部分"
    )
    post_call: bool = Field(
        default=True,
        description="通话结束后用 Whisper 转写录音（录音转写，存为通话的转写记录，供坐席查看、质检和检索）",
    )
    remote: bool = Field(
        default=False,
        description="语音识别在独立的语音识别进程（hotline serve --role speech）中：本进程不开 AudioSocket 服务，"
        "经 Redis 登记语音流；HOTLINE_AUDIOSOCKET__HOST/PORT 填 Asterisk 连接识别进程（或其前面的 TCP 负载均衡）的地址",
    )
    max_streams: int = 4
    idle_timeout_s: float = Field(
        default=15.0, gt=0, description="语音流连续这么多秒没有音频即由我方结束，释放识别通道（通话继续）"
    )
    max_stream_s: float = Field(
        default=7200.0, gt=0, description="单路语音流的最长时长（秒），超过即由我方结束"
    )
