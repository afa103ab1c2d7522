"""A private Asterisk running the project's rendered configuration, for the real-PBX tests.

`RealAsterisk.start()` renders our configuration (`asterisk_conf.render.render_asterisk_conf`,
every file Asterisk reads, nothing added) into a temporary directory that is also the renderer's
`prefix`: the installed modules are linked in and every Asterisk directory (astdb, spool, run, log,
sounds) of the rendered asterisk.conf lies inside it. Free loopback ports for SIP, RTP and AMI.
It then runs `asterisk -f -C <dir>/etc/asterisk.conf` in the foreground (not as a daemon) and waits
for `core waitfullybooted` on the private control socket. `stop()` ends it. Nothing outside the
temporary directory is written, so runs on one machine do not interfere.

The IVR's prompts are short silent WAV files named after the prompts of `ivr/menu.toml`: Asterisk
answers `GET DATA` on a missing file with -1 (which the IVR rightly takes as a hangup), and the
tests are about call flow, not audio.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

from asterisk_conf.render import AsteriskConfValues, Seat, Trunk, render_asterisk_conf
from core import dialplan
from ivr.menu import load_menu
from ivr.prompts import TONES
from tests.support.net import free_port

ASTERISK_ENV = "HOTLINE_TEST_ASTERISK"

CALLER = "13900139000"
SEATS = ("1001", "1002")
CARRIER_USER = dialplan.TRUNK_ENDPOINT
"""The trunk's far end: a test phone listening on `Ports.carrier`, where the trunk's static
contact points (as the renderer's loopback test trunk does); it does not register."""

SUPERVISOR_PHONE = "8001"  # 班长's own desk phone (班长监听 rings it first)
PASSWORDS = {
    CALLER: "pw-caller-1",
    "1001": "pw-seat-1001",
    "1002": "pw-seat-1002",
    SUPERVISOR_PHONE: "pw-sup-8001",
    CARRIER_USER: "",
}


def free_tcp_port() -> int:
    return free_port(socket.SOCK_STREAM)


def free_udp_port() -> int:
    return free_port(socket.SOCK_DGRAM)


def free_udp_range(size: int) -> tuple[int, int]:
    """`size` consecutive free UDP ports (even start, as RTP likes), e.g. for an RTP range."""
    for _ in range(200):
        start = free_udp_port() & ~1
        if start + size > 65000:
            continue
        socks = []
        try:
            for port in range(start, start + size):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return start, start + size - 1
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free UDP port range")


@dataclass(frozen=True)
class Ports:
    sip: int
    ami: int
    agi: int
    audiosocket: int
    carrier: int
    rtp: tuple[int, int]

    @classmethod
    def pick(cls) -> Ports:
        return cls(
            sip=free_udp_port(),
            ami=free_tcp_port(),
            agi=free_tcp_port(),
            audiosocket=free_tcp_port(),
            carrier=free_udp_port(),
            rtp=free_udp_range(40),
        )


def modules_dir(binary: Path) -> Path:
    """Where the binary's modules are: HOTLINE_TEST_ASTERISK_MODULES, else beside its prefix."""
    explicit = os.environ.get("HOTLINE_TEST_ASTERISK_MODULES")
    candidates = [Path(explicit)] if explicit else []
    prefix = binary.resolve().parent.parent
    candidates += [
        prefix / "lib" / "asterisk" / "modules",
        prefix / "lib64" / "asterisk" / "modules",
        prefix / "lib" / "x86_64-linux-gnu" / "asterisk" / "modules",
        Path("/usr/lib/asterisk/modules"),
        Path("/usr/lib/x86_64-linux-gnu/asterisk/modules"),
    ]
    for c in candidates:
        if (c / "chan_pjsip.so").is_file():
            return c
    raise FileNotFoundError(
        f"chan_pjsip.so not found for {binary} (tried {', '.join(map(str, candidates))}); "
        "set HOTLINE_TEST_ASTERISK_MODULES"
    )


def installed_data_dir(binary: Path) -> Path:
    """The binary's own astdatadir: Asterisk 22 reads its XML documentation from there at start
    (configuration options are registered against it) and refuses to boot without it."""
    explicit = os.environ.get("HOTLINE_TEST_ASTERISK_DATA")
    prefix = binary.resolve().parent.parent
    candidates = [Path(explicit)] if explicit else []
    candidates += [
        prefix / "var" / "lib" / "asterisk",
        prefix / "share" / "asterisk",
        Path("/var/lib/asterisk"),
        Path("/usr/share/asterisk"),
    ]
    for c in candidates:
        if (c / "documentation").is_dir():
            return c
    raise FileNotFoundError(
        f"Asterisk's documentation folder not found for {binary} (tried {', '.join(map(str, candidates))}); "
        "set HOTLINE_TEST_ASTERISK_DATA"
    )


def install_root(root: Path, binary: Path) -> None:
    """`root` as the renderer's `prefix`: the installed modules (and sbin) linked in, every
    variable directory of the rendered asterisk.conf (`<prefix>/var/...`) created empty, and the
    installed astdatadir's contents (its XML documentation, which Asterisk 22 needs to start)
    linked into ours, except `sounds` and `moh` (ours: the IVR's prompts, the hold audio)."""
    (root / "lib" / "asterisk").mkdir(parents=True, exist_ok=True)
    (root / "lib" / "asterisk" / "modules").symlink_to(modules_dir(binary))
    (root / "sbin").symlink_to(binary.resolve().parent)
    # As `make install` (and the distributions' packages) create them: cdr_csv does not create
    # its folder and writes no Master.csv without it.
    for sub in ("lib/asterisk/agi-bin", "spool/asterisk", "run/asterisk", "log/asterisk/cdr-csv"):
        (root / "var" / sub).mkdir(parents=True, exist_ok=True)
    data = root / "var" / "lib" / "asterisk"
    for entry in installed_data_dir(binary).iterdir():
        if entry.name not in ("sounds", "moh", "agi-bin") and not (data / entry.name).exists():
            (data / entry.name).symlink_to(entry)


def conf_values(root: Path, ports: Ports, ami_secret: str, systemname: str = "") -> AsteriskConfValues:
    """The renderer's input for the test PBX: installed at `root` (`install_root`), its ports,
    our AGI/AudioSocket, the test phones and the carrier phone behind the trunk."""
    seats = [Seat(s, PASSWORDS[s]) for s in (*SEATS, SUPERVISOR_PHONE)] + [
        Seat(CALLER, PASSWORDS[CALLER], context=dialplan.INCOMING)
    ]
    return AsteriskConfValues(
        ami_secret=ami_secret,
        agi_port=ports.agi,
        ami_port=ports.ami,
        sip_bind=f"127.0.0.1:{ports.sip}",
        seats=tuple(seats),
        wrapup_s=1,
        ring_timeout=15,
        trunk=Trunk(host="127.0.0.1", port=ports.carrier),
        rtp_start=ports.rtp[0],
        rtp_end=ports.rtp[1],
        prefix=str(root),
        etc_dir=str(root / "etc"),
        recordings_dir=str(recordings_dir(root)),
        systemname=systemname,
    )


def recordings_dir(root: Path) -> Path:
    """Where the test PBX's MixMonitor records the calls (录音)."""
    return root / "var" / "spool" / "asterisk" / "hotline-recordings"


def write_silence(path: Path) -> None:
    """Half a second of silence, 8 kHz 16-bit mono WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 4000)


def write_prompts(data: Path, prompt_base: str) -> None:
    """Silence for every prompt the IVR can play (`<astdatadir>/sounds/<prompt_base>`), and as
    the hold audio of musiconhold.conf's class (`<astdatadir>/moh`)."""
    book = load_menu()
    for name in {*book.prompts, *TONES, "office_found"}:
        write_silence(data / "sounds" / prompt_base / f"{name}.wav")
    write_silence(data / "moh" / "silence.wav")


@dataclass
class RealAsterisk:
    binary: Path
    ports: Ports
    ami_secret: str
    systemname: str = ""
    root: Path = field(init=False)
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        # The control socket's path must stay under ~100 bytes: a short private directory.
        self.root = Path(tempfile.mkdtemp(prefix="hl-ast-", dir="/tmp"))

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def conf(self) -> Path:
        return self.etc / "asterisk.conf"

    @property
    def log_dir(self) -> Path:
        """astlogdir of the rendered asterisk.conf: full, queue_log, cdr-csv/Master.csv."""
        return self.root / "var" / "log" / "asterisk"

    @property
    def voicemail_dir(self) -> Path:
        """Where this Asterisk records after-hours messages (the app reads it on the same host)."""
        return self.root / "var" / "spool" / "asterisk" / "hotline-voicemail"

    @property
    def recordings_dir(self) -> Path:
        return recordings_dir(self.root)

    @property
    def queue_log_file(self) -> Path:
        return self.log_dir / "queue_log"

    @property
    def cdr_file(self) -> Path:
        return self.log_dir / "cdr-csv" / "Master.csv"

    def render(self) -> None:
        values = conf_values(self.root, self.ports, self.ami_secret, self.systemname)
        install_root(self.root, self.binary)
        render_asterisk_conf(self.etc, values)
        write_prompts(self.root / "var" / "lib" / "asterisk", values.prompt_base)

    def start(self, timeout: float = 60.0) -> None:
        self.render()
        out = open(self.log_dir / "stdout.log", "wb")  # noqa: SIM115  # closed with the process
        self.process = subprocess.Popen(
            [str(self.binary), "-f", "-C", str(self.conf)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Asterisk 退出（{self.process.returncode}）：{self.tail()}")
            try:
                self.cli("core waitfullybooted", timeout=5)
                if self.process.poll() is None:
                    return
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"Asterisk 未能在 {timeout:.0f} 秒内启动：{self.tail()}") from None
                time.sleep(0.3)

    def cli(self, command: str, timeout: float = 10.0) -> str:
        result = subprocess.run(
            [str(self.binary), "-C", str(self.conf), "-rx", command],
            capture_output=True,
            timeout=timeout,
            check=True,
        )
        out = result.stdout.decode("utf-8", "replace")
        if "Unable to connect to remote asterisk" in out + result.stderr.decode("utf-8", "replace"):
            raise subprocess.CalledProcessError(1, command, result.stdout, result.stderr)
        return out

    def loaded_modules(self) -> list[str]:
        """The modules Asterisk is running (`module show` also lists declined ones)."""
        out = self.cli("module show")
        return sorted(m.group(1) for m in re.finditer(r"^(\S+\.so)\s.*\s{2,}Running\s", out, flags=re.M))

    def tail(self, lines: int = 30) -> str:
        text = ""
        for name in ("stdout.log", "full"):
            p = self.log_dir / name
            if p.exists():
                text += "\n".join(p.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def full_log(self) -> str:
        p = self.log_dir / "full"
        return p.read_text(errors="replace") if p.exists() else ""

    def dial_targets(self) -> list[str]:
        """What every Dial() so far tried to reach (first argument), from the full log."""
        return re.findall(r'\] Dial\("[^"]*", "([^",]*)', self.full_log())

    def queue_log(self) -> list[list[str]]:
        p = self.queue_log_file
        return [line.split("|") for line in p.read_text().splitlines()] if p.exists() else []

    def cdr_rows(self) -> list[list[str]]:
        """cdr_csv's Master.csv rows (accountcode, src, dst, dcontext, clid, channel, dstchannel,
        lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags,
        uniqueid, userfield; cdr.conf `loguniqueid`, `loguserfield`)."""
        p = self.cdr_file
        return list(csv.reader(p.read_text().splitlines())) if p.exists() else []

    def stop(self, keep_logs_in: Path | None = None) -> None:
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(Exception):
                self.cli("core stop now", timeout=10)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if keep_logs_in is not None and self.log_dir.exists():
            shutil.copytree(self.log_dir, keep_logs_in, dirs_exist_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)
