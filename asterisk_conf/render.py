"""Renders the Asterisk configuration from templates: every file Asterisk needs to start.

extensions, queues, manager and pjsip carry the hotline; asterisk, modules (exactly `MODULES`),
logger (the queue log), rtp, cdr (cdr_csv's Master.csv), musiconhold (the queue's hold audio) and
indications (the ringback a caller hears during a transfer) are what Asterisk needs besides.

Templates live in asterisk_conf/templates and use `{{name}}` placeholders (Asterisk's own
`${...}` is left alone). Every placeholder must have a value, so a renamed setting fails loudly
instead of producing a silently broken dialplan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core import dialplan
from core.recordings import DEFAULT_PBX_DIR as DEFAULT_RECORDINGS_DIR
from core.recordings import RecordingFolder

TEMPLATES = Path(__file__).with_name("templates")
FILES = (
    "extensions.conf",
    "queues.conf",
    "manager.conf",
    "pjsip.conf",
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "rtp.conf",
    "cdr.conf",
    "musiconhold.conf",
    "indications.conf",
    "features.conf",
)

MODULES: dict[str, str] = {
    # Dialplan and the applications extensions.conf runs (Answer, NoOp, Set, Goto, GotoIf and
    # Hangup are built into Asterisk's core).
    "pbx_config.so": "extensions.conf",
    "app_dial.so": "Dial: transfers, callbacks",
    "app_queue.so": "Queue, queues.conf, the queue log",
    "app_playback.so": "Playback: queue_overflow, transfer_failed, the hold music (保持)",
    "app_record.so": "Record: the after-hours message (留言), run by the IVR",
    "app_mixmonitor.so": "MixMonitor: every answered call recorded (录音), callbacks too",
    "res_agi.so": "AGI: the FastAGI IVR and survey",
    "res_speech.so": "required by res_agi",
    "app_chanspy.so": "ChanSpy: the live-transcript tap, hold, three-way calls, supervisors in a call",
    "app_audiosocket.so": "AudioSocket: the live-transcript tap",
    "res_audiosocket.so": "required by app_audiosocket",
    "func_logic.so": "IF()",
    "func_callerid.so": "CALLERID()",
    "func_channel.so": "CHANNEL(linkedid), read by the IVR",
    "func_volume.so": "VOLUME(RX): a held call's legs silenced (保持)",
    # SIP: seats' phones, the carrier trunk.
    "res_pjproject.so": "PJSIP",
    "res_sorcery_config.so": "PJSIP: pjsip.conf",
    "res_sorcery_memory.so": "PJSIP",
    "res_sorcery_astdb.so": "PJSIP: registered contacts",
    "res_pjsip.so": "PJSIP",
    "res_pjsip_session.so": "PJSIP calls",
    "chan_pjsip.so": "PJSIP channels",
    "res_pjsip_pubsub.so": "required by chan_pjsip",
    "res_pjsip_authenticator_digest.so": "phones' passwords",
    "res_pjsip_outbound_authenticator_digest.so": "the trunk's password",
    "res_pjsip_endpoint_identifier_ip.so": "the trunk identified by address",
    "res_pjsip_endpoint_identifier_user.so": "phones identified by user",
    "res_pjsip_registrar.so": "phones register",
    "res_pjsip_outbound_registration.so": "registration at the carrier",
    "res_pjsip_sdp_rtp.so": "audio of PJSIP calls",
    "res_pjsip_nat.so": "force_rport, rewrite_contact",
    "res_pjsip_caller_id.so": "caller numbers",
    "res_pjsip_dtmf_info.so": "DTMF by SIP INFO",
    "res_rtp_asterisk.so": "RTP, rtp.conf",
    # Media.
    "codec_ulaw.so": "G.711 u-law",
    "codec_alaw.so": "G.711 A-law",
    "codec_a_mu.so": "A-law <-> u-law",
    "format_wav.so": "prompts (.wav, hotline prompts build)",
    "format_pcm.so": "u-law / A-law files",
    "format_sln.so": "signed linear files",
    "bridge_simple.so": "two-party bridges",
    "bridge_native_rtp.so": "two-party bridges",
    "bridge_holding.so": "callers waiting in a queue",
    "res_musiconhold.so": "Queue's hold audio (musiconhold.conf)",
    "res_timing_timerfd.so": "timing for playback and hold audio",
    "res_mutestream.so": "MuteAudio: the seat mutes its microphone",
    # Records.
    "cdr_csv.so": "CDR Master.csv (cdr.conf [csv])",
}
"""modules.conf loads exactly these (`autoload = no`). The dialplan lint test checks that every
application extensions.conf uses is provided by one of them."""

QUEUE_WRAPUP_S = 10
"""app_queue's `wrapuptime`: after a seat's leg of a queue call ends, Asterisk offers it no call for
this long. The seat board's wrap-up (`HOTLINE_SEATS__WRAP_UP_S`) defaults to the same number and
`app.settings.asterisk_conf_values` renders the setting, so the two cannot drift."""

DEFAULT_QUEUE = "q-city-other"
"""Where a call waits when the IVR set no queue (an IVR failure): the city pool, category 其他."""

_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


@dataclass(frozen=True, slots=True)
class Seat:
    """A PJSIP endpoint of the sample; context `hotline-incoming` makes a test caller."""

    id: str
    password: str
    context: str = dialplan.SEATS_OUT


@dataclass(frozen=True, slots=True)
class Trunk:
    """The carrier trunk (endpoint `core.dialplan.TRUNK_ENDPOINT`), carrier-neutral.

    12345 / 12368 / 12309 leave the hotline by it; calls to 12348 arrive by it into the incoming
    context. Authentication and registration are optional: many carriers authenticate a trunk by
    its IP address. The defaults are a local test trunk (nothing needs to listen there: a Dial
    that fails re-queues the caller).
    """

    host: str = "127.0.0.1"
    port: int = 5070
    username: str = ""
    password: str = ""
    from_user: str = ""
    """The hotline's number as the carrier knows it (the From user of outgoing calls)."""
    from_domain: str = ""
    register: bool = False
    """Send a SIP REGISTER to the carrier (needs `username`)."""
    transport: str = "transport-udp"
    qualify_s: int = 0
    """Send OPTIONS every this many seconds (0: never). With it, a transfer to an unreachable
    carrier fails at once (CHANUNAVAIL) instead of after SIP's 32 s INVITE timeout; leave it off
    for a carrier that does not answer OPTIONS, or every transfer would fail."""


@dataclass(frozen=True, slots=True)
class AsteriskConfValues:
    ami_secret: str
    hotline_number: str = "12348"
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    script_ivr: str = "ivr"
    script_survey: str = "survey"
    prompt_base: str = "hotline"
    default_queue: str = DEFAULT_QUEUE
    queue_timeout: int = 300
    ring_timeout: int = 15
    wrapup_s: int = QUEUE_WRAPUP_S
    queue_maxlen: int = 30
    queues: Sequence[str] = field(default_factory=lambda: default_queues())
    transfer_dial: str = f"PJSIP/${{EXTEN}}@{dialplan.TRUNK_ENDPOINT}"
    transfer_ring_s: int = 60
    seat_ring_s: int = 30
    monitor_ring_s: int = 30
    """How long a supervisor's own phone rings before a monitor (班长监听) gives up."""
    callback_dial: str = "PJSIP/${EXTEN}"
    callback_ring_s: int = 30
    ami_user: str = "hotline"
    ami_port: int = 5038
    ami_bind: str = "127.0.0.1"
    ami_permit: str = "127.0.0.1/255.255.255.255"
    sip_bind: str = "127.0.0.1:5060"
    seats: Sequence[Seat] = field(default_factory=tuple)
    trunk: Trunk = field(default_factory=Trunk)
    rtp_start: int = 10000
    rtp_end: int = 20000
    prefix: str = "/usr"
    """Where Asterisk is installed (modules in <prefix>/lib/asterisk/modules); with /usr the
    variable files are under /var, otherwise under <prefix>/var."""
    etc_dir: str = "/etc/asterisk"
    """Where Asterisk reads these files (asterisk.conf `astetcdir`)."""
    recordings_dir: str = DEFAULT_RECORDINGS_DIR
    """Where MixMonitor records every answered call (`core.recordings`)."""
    systemname: str = ""
    """asterisk.conf `systemname`: Asterisk then starts every Uniqueid and Linkedid (our call ids)
    with `<systemname>-`, so the call ids of several Asterisk servers never collide. Empty: not set."""


def default_queues() -> list[str]:
    """Every queue routing can choose (routing/queue_rules.toml): the dialplan and the rules
    share one source, so a queue the IVR picks always exists in queues.conf."""
    from routing.calendar import load_holidays
    from routing.queues import load_queue_rules

    return load_queue_rules(load_holidays()).all_queues()


def dialplan_names() -> dict[str, str]:
    """The names every template reads from `core.dialplan` (not settable: one owner)."""
    return {
        "ctx_incoming": dialplan.INCOMING,
        "ctx_queue": dialplan.QUEUE,
        "ctx_transfer": dialplan.TRANSFER,
        "ctx_seat": dialplan.SEAT_TRANSFER,
        "ctx_callback": dialplan.CALLBACK,
        "ctx_seats_out": dialplan.SEATS_OUT,
        "ctx_asr_tap": dialplan.ASR_TAP,
        "ctx_consult": dialplan.CONSULT,
        "atxfer_feature": dialplan.ATXFER_FEATURE,
        "ctx_hold": dialplan.HOLD,
        "ctx_conference": dialplan.CONFERENCE,
        "hold_prefix": dialplan.HOLD_PREFIX,
        "conference_prefix": dialplan.CONFERENCE_PREFIX,
        "ctx_monitor": dialplan.MONITOR,
        "monitor_prefix": dialplan.MONITOR_PREFIX,
        "var_monitor_phone": dialplan.VAR_MONITOR_PHONE,
        "var_third": dialplan.VAR_THIRD,
        "var_call": dialplan.VAR_CALL,
        "hold_class": dialplan.HOLD_MUSIC_CLASS,
        "queue_exten": dialplan.QUEUE_EXTEN,
        "tap_exten": dialplan.TAP_EXTEN,
        "requeue_exten": dialplan.REQUEUE_EXTEN,
        "var_next": dialplan.VAR_NEXT,
        "var_queue": dialplan.VAR_QUEUE,
        "var_transferred": dialplan.VAR_TRANSFERRED,
        "var_transfer_from": dialplan.VAR_TRANSFER_FROM,
        "var_spy": dialplan.VAR_SPY,
        "trunk_endpoint": dialplan.TRUNK_ENDPOINT,
    }


def fill(template: str, values: Mapping[str, str], *, name: str = "template") -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"{name}: no value for {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(one, template)


def render_asterisk_conf(out_dir: Path, values: AsteriskConfValues) -> list[Path]:
    """Write every file of `FILES` into `out_dir`."""
    if not values.ami_secret.strip():
        raise ValueError("AMI 密码（ami_secret）不能为空")
    for text in (values.ami_secret, values.ami_user, *values.queues):
        if any(c in text for c in "\n[];"):
            raise ValueError(f"Asterisk 配置中不允许的值：{text!r}")
    plain = {
        k: str(v) for k, v in asdict(values).items() if isinstance(v, str | int) and not isinstance(v, bool)
    }
    queues = list(dict.fromkeys(values.queues))
    if values.default_queue not in queues:
        raise ValueError(f"默认队列 {values.default_queue!r} 不在队列列表中")
    plain.update(dialplan_names())
    if not 0 < values.rtp_start < values.rtp_end < 65536:
        raise ValueError(f"RTP 端口范围无效：{values.rtp_start}-{values.rtp_end}")
    for label, path in (
        ("prefix", values.prefix),
        ("etc_dir", values.etc_dir),
        ("recordings_dir", values.recordings_dir),
    ):
        if not path.startswith("/") or any(c in path for c in "\n[];"):
            raise ValueError(f"{label} 必须是绝对路径：{path!r}")
    if values.systemname and not re.fullmatch(r"[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*", values.systemname):
        raise ValueError(f"systemname 只能含字母、数字、下划线和连字符：{values.systemname!r}")
    plain["systemname_option"] = (
        f"systemname = {values.systemname}"
        if values.systemname
        else "; systemname: not set (call ids are <epoch>.<n>)"
    )
    plain["prefix"] = values.prefix.rstrip("/")
    plain["var_root"] = "" if values.prefix.rstrip("/") in ("", "/usr") else values.prefix.rstrip("/")
    plain["etc_dir"] = values.etc_dir.rstrip("/") or "/"
    recordings = RecordingFolder(values.recordings_dir.rstrip("/") or "/")
    plain["recording_file"] = recordings.dialplan_path()
    plain["conference_recording_file"] = recordings.conference_path()
    plain["hold_music"] = f"{values.prompt_base}/{dialplan.HOLD_MUSIC_PROMPT}"
    plain["modules"] = "\n".join(f"load => {m:<46}; {why}" for m, why in MODULES.items())
    plain["external_extens"] = "\n".join(_external(n, values) for n in dialplan.EXTERNAL_NUMBERS)
    # A consultation (咨询转接) and a third party (三方通话) dial the outside lines alike.
    plain["consult_external_extens"] = plain["conference_external"] = "\n".join(
        f"exten => {n},1,Dial({values.transfer_dial},{values.transfer_ring_s})\n same => n,Hangup()"
        for n in dialplan.EXTERNAL_NUMBERS
    )
    plain["queues"] = "\n".join(f"[{q}](hotline-queue-template)" for q in queues)
    plain["endpoints"] = "\n\n".join(_endpoint(s) for s in values.seats)
    plain["trunk"] = render_trunk(values.trunk)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file in FILES:
        text = fill((TEMPLATES / file).read_text(encoding="utf-8"), plain, name=file)
        target = out_dir / file
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def _external(number: str, values: AsteriskConfValues) -> str:
    """12345 / 12368 / 12309 through the trunk; a failed Dial re-queues the caller."""
    n = dialplan
    return (
        f"exten => {number},1,Set({n.VAR_TRANSFERRED}=1)\n"
        f" same => n,Set({n.VAR_TRANSFER_FROM}=${{{n.VAR_TRANSFER_FROM}}})\n"
        f" same => n,Dial({values.transfer_dial},{values.transfer_ring_s})\n"
        f' same => n,GotoIf($["${{DIALSTATUS}}"!="ANSWER"]?{n.REQUEUE_EXTEN},1)\n'
        f" same => n,Hangup()"
    )


def render_trunk(trunk: Trunk) -> str:
    """The trunk's pjsip.conf sections: endpoint, aor, identify, and auth/registration if asked."""
    for text in (
        trunk.host,
        trunk.username,
        trunk.password,
        trunk.from_user,
        trunk.from_domain,
        trunk.transport,
    ):
        if any(c in text for c in "\n[];"):
            raise ValueError(f"中继设置含有不允许的字符：{text!r}")
    if not trunk.host.strip():
        raise ValueError("中继地址（trunk host）不能为空")
    if not 0 < trunk.port < 65536:
        raise ValueError(f"中继端口无效：{trunk.port}")
    if trunk.register and not trunk.username:
        raise ValueError("中继注册（register）需要用户名（trunk username）")
    if trunk.username and not trunk.password:
        raise ValueError("中继设置了用户名但没有密码（trunk password）")
    name = dialplan.TRUNK_ENDPOINT
    auth = f"{name}-auth"
    uri = f"sip:{trunk.host}:{trunk.port}"
    endpoint = [
        f"[{name}]",
        "type = endpoint",
        f"transport = {trunk.transport}",
        f"context = {dialplan.INCOMING}",
        "disallow = all",
        "allow = ulaw,alaw",
        "direct_media = no",
        "dtmf_mode = auto",
        "rtp_symmetric = yes",
        "force_rport = yes",
        "rewrite_contact = yes",
        "language = zh",
        f"aors = {name}",
    ]
    if trunk.from_user:
        endpoint.append(f"from_user = {trunk.from_user}")
    if trunk.from_domain:
        endpoint.append(f"from_domain = {trunk.from_domain}")
    if trunk.username:
        endpoint.append(f"outbound_auth = {auth}")
    if trunk.qualify_s < 0:
        raise ValueError(f"中继探测间隔（qualify）无效：{trunk.qualify_s}")
    aor = f"[{name}]\ntype = aor\ncontact = {uri}"
    if trunk.qualify_s:
        aor += f"\nqualify_frequency = {trunk.qualify_s}"
    sections = ["\n".join(endpoint), aor]
    if not _loopback(trunk.host):
        # Calls from the carrier's address are the trunk's. Not for a loopback test trunk: the
        # seats' phones on the same host would be taken for the carrier (PJSIP identifies by IP
        # before username).
        sections.append(f"[{name}]\ntype = identify\nendpoint = {name}\nmatch = {trunk.host}")
    if trunk.username:
        sections.append(
            f"[{auth}]\ntype = auth\nauth_type = userpass\n"
            f"username = {trunk.username}\npassword = {trunk.password}"
        )
    if trunk.register:
        sections.append(
            f"[{name}-reg]\ntype = registration\ntransport = {trunk.transport}\n"
            f"outbound_auth = {auth}\nserver_uri = {uri}\n"
            f"client_uri = sip:{trunk.username}@{trunk.host}:{trunk.port}\nretry_interval = 60"
        )
    return "\n\n".join(sections)


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _endpoint(seat: Seat) -> str:
    return (
        f"[{seat.id}](seat-template)\ncontext = {seat.context}\nauth = {seat.id}\naors = {seat.id}\n"
        f"[{seat.id}](auth-template)\nusername = {seat.id}\npassword = {seat.password}\n"
        f"[{seat.id}](aor-template)"
    )
