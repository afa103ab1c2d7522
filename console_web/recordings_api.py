"""Call recordings (录音): the list of a call's recorded segments and each one streamed to those
allowed (HTTP Range: seeking in the page's <audio>; a range past the end is 416).

The composition root puts an object satisfying `RecordingsBackend` on
`app.state.recordings_backend` (store.recordings.RecordingLibrary): it decides who may listen (the
seats that took part in the call, the supervisors whose scope holds it, the city-wide roles:
core.access) and refuses the others (403). Every listen and every download is written to the
audit log (who, when, which call and segment, how).

Recording alerts (录音告警: an answered call's file missing, an answered call never recorded) are
listed to the supervisors, inspectors and admins who see them (the call's district, or city-wide
when the district is unknown) and acknowledged (确认) by them: who and when kept, audited; an
acknowledged alert is no longer counted by the recordings' status line but stays listed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from console_web.deps import AppService, audio_response, audit, require_role
from console_web.routes import Acting, User
from console_web.views import from_fields
from core.access import Principal, Role
from core.asr_events import Leg
from core.blocking import offload
from core.privacy import mask_number
from core.recordings import PlaybackKind, Recording, RecordingAlert, TranscriptHit, TranscriptPage


class RecordingsBackend(Protocol):
    def of_call(self, principal: Principal, call_id: str) -> list[Recording]: ...

    def search(self, principal: Principal, query: str, *, page: int = 1, size: int = 20) -> TranscriptPage:
        """转写检索: the calls whose transcripts hold every word, among those the principal may hear."""
        ...

    def file(self, principal: Principal, call_id: str, segment: int) -> Path: ...

    def alerts(self, principal: Principal) -> list[RecordingAlert]: ...

    def acknowledge(self, principal: Principal, call_id: str, segment: int) -> RecordingAlert: ...

    async def alerts_changed(self) -> None:
        """An alert was acknowledged: the recordings' status line is told (it counts it no more)."""
        ...


recordings_backend = AppService[RecordingsBackend]("recordings_backend", "录音服务尚未启动")

ALERT_READERS = (Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN)


class RecordingOut(BaseModel):
    segment: int
    started_at: datetime
    ended_at: datetime
    seconds: float
    size: int | None
    sha256: str
    status: str
    status_label: str
    playable: bool
    audio_url: str
    download_url: str

    @classmethod
    def of(cls, r: Recording) -> RecordingOut:
        url = f"/api/calls/{r.call_id}/recordings/{r.segment}/audio"
        return from_fields(
            cls,
            r,
            seconds=round((r.ended_at - r.started_at).total_seconds(), 1),
            playable=r.status.value == "ok",
            audio_url=url,
            download_url=f"{url}?download=1",
        )


class RecordingsOut(BaseModel):
    call_id: str
    recordings: list[RecordingOut]


class RecordingAlertOut(BaseModel):
    call_id: str
    segment: int  # 0: the call has no recording at all
    kind: str
    kind_label: str
    district_code: str | None
    raised_at: datetime
    detail: str
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_by_name: str
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, a: RecordingAlert) -> RecordingAlertOut:
        return from_fields(cls, a, acknowledged=a.acknowledged_at is not None)


class RecordingAlertsOut(BaseModel):
    open: int  # not yet acknowledged
    alerts: list[RecordingAlertOut]  # open and acknowledged, newest first


class SnippetPartOut(BaseModel):
    text: str
    hit: bool


class SnippetLineOut(BaseModel):
    leg: str
    leg_label: str
    start_s: float
    parts: list[SnippetPartOut]


class TranscriptHitOut(BaseModel):
    call_id: str
    caller: str  # masked
    offered_at: datetime
    seat_id: str | None
    district_code: str | None
    recordings_url: str
    lines: list[SnippetLineOut]

    @classmethod
    def of(cls, h: TranscriptHit) -> TranscriptHitOut:
        legs = {leg.value: leg.label for leg in Leg}
        return cls(
            call_id=h.call_id,
            caller=mask_number(h.caller_number),
            offered_at=h.offered_at,
            seat_id=h.seat_id,
            district_code=h.district_code,
            recordings_url=f"/api/calls/{h.call_id}/recordings",
            lines=[
                SnippetLineOut(
                    leg=line.leg,
                    leg_label=legs.get(line.leg, line.leg),
                    start_s=line.start_s,
                    parts=[SnippetPartOut(text=p.text, hit=p.hit) for p in line.parts],
                )
                for line in h.lines
            ],
        )


class TranscriptSearchOut(BaseModel):
    words: list[str]
    page: int
    size: int
    has_more: bool
    hits: list[TranscriptHitOut]  # newest call first


def build_recordings_router() -> APIRouter:
    router = APIRouter()

    @router.get("/api/calls/{call_id}/recordings", response_model=RecordingsOut)
    def recordings(call_id: str, auth: User, request: Request) -> RecordingsOut:
        found = recordings_backend(request).of_call(auth.principal, call_id)
        return RecordingsOut(call_id=call_id, recordings=[RecordingOut.of(r) for r in found if r.answered])

    @router.get(
        "/api/calls/{call_id}/recordings/{segment}/audio",
        response_class=FileResponse,
        responses={
            200: {"content": {"audio/wav": {}}, "description": "通话录音（WAV）"},
            416: {"description": "请求的范围超出录音文件长度"},
        },
    )
    async def recording_audio(
        call_id: str, segment: int, auth: User, request: Request, download: bool = False
    ) -> FileResponse:
        """Streams one segment of the call's recording (Range requests too); audited."""
        path = await offload(recordings_backend(request).file, auth.principal, call_id, segment)
        kind = PlaybackKind.DOWNLOAD if download else PlaybackKind.LISTEN
        detail: dict[str, object] = {"segment": segment, "range": request.headers.get("range", "")}
        await offload(audit, request, auth, f"recording.{kind.value}", call_id, detail)
        return audio_response(path, download_name=f"{call_id}-{segment}.wav" if download else None)

    @router.get("/api/transcripts/search", response_model=TranscriptSearchOut)
    async def transcript_search(
        auth: User, request: Request, q: str = "", page: int = 1, size: int = 20
    ) -> TranscriptSearchOut:
        """转写检索: every word of `q` (space-separated) must occur in the call's transcripts; the
        calls the principal may hear (as for their recordings), newest first; audited."""
        found = await offload(recordings_backend(request).search, auth.principal, q, page=page, size=size)
        detail: dict[str, object] = {"words": list(found.words), "page": found.page, "hits": len(found.hits)}
        await offload(audit, request, auth, "transcript.search", "", detail)
        return TranscriptSearchOut(
            words=list(found.words),
            page=found.page,
            size=found.size,
            has_more=found.has_more,
            hits=[TranscriptHitOut.of(h) for h in found.hits],
        )

    @router.get("/api/recordings/alerts", response_model=RecordingAlertsOut)
    def recording_alerts(auth: User, request: Request) -> RecordingAlertsOut:
        require_role(auth.principal, ALERT_READERS, "仅班长、质检员和管理员可以查看录音告警")
        found = recordings_backend(request).alerts(auth.principal)
        return RecordingAlertsOut(
            open=sum(1 for a in found if a.acknowledged_at is None),
            alerts=[RecordingAlertOut.of(a) for a in found],
        )

    @router.post("/api/recordings/alerts/{call_id}/{segment}/ack", response_model=RecordingAlertOut)
    async def acknowledge_alert(
        call_id: str, segment: int, auth: Acting, request: Request
    ) -> RecordingAlertOut:
        """确认 one alert: kept as acknowledged (who, when), audited, no longer counted as open."""
        require_role(auth.principal, ALERT_READERS, "仅班长、质检员和管理员可以确认录音告警")
        backend = recordings_backend(request)
        alert = await offload(backend.acknowledge, auth.principal, call_id, segment)
        detail: dict[str, object] = {"segment": segment, "kind": alert.kind.value, "detail": alert.detail}
        await offload(audit, request, auth, "recording.alert_ack", call_id, detail)
        await backend.alerts_changed()
        return RecordingAlertOut.of(alert)

    return router
