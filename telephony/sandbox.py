"""A real Asterisk 22 for tests and the demo: Debian sid's package in a debootstrap chroot.

Why a chroot: Debian 12 has no `asterisk` package; sid has 22.x. The chroot shares the host's
network, so its Asterisk reaches the IVR on 127.0.0.1. It is built once into a cache directory;
each sandbox (`name`) renders our config templates into `/srv/hotline/<name>` inside it, with
its own ports, run/log/spool directories and secrets, so a test sandbox and the demo's can
run side by side.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import secrets as secrets_module
import shutil
import signal
import socket
import struct
import subprocess
import time
import wave
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jinja2

from telephony.kept_secrets import keep, read_kept
from telephony.settings import TelephonySettings

log = logging.getLogger(__name__)

SUITE = "sid"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("asterisk", "asterisk-core-sounds-ru-wav")
ASTERISK = "/usr/sbin/asterisk"
TEMPLATES = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "manager.conf",
    "extensions.conf",
    "queues.conf",
    "musiconhold.conf",
    "pjsip.conf",
    "indications.conf",
    "rtp.conf",
)
# Files Asterisk looks for although the hotline uses nothing in them.
EMPTY_CONFIGS = (
    "cdr.conf",
    "cel.conf",
    "features.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
    "ccss.conf",
)


class SandboxError(Exception):
    """The sandbox cannot be built or run; the message says what to do."""


def is_built(root: Path) -> bool:
    return (root / ASTERISK.lstrip("/")).exists()


def _check_reachable(mirror: str, timeout: float = 5.0) -> None:
    url = urlparse(mirror)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise SandboxError(
            f"cannot reach the Debian mirror {host}:{port} ({exc}). Building the Asterisk sandbox "
            "downloads Debian sid's asterisk (~550 MB unpacked): connect this machine, or copy a built "
            "chroot to HOTLINE_ASTERISK_ROOT."
        ) from exc


def build(root: Path, *, mirror: str = DEFAULT_MIRROR, say: Callable[[str], None] = print) -> bool:
    """Debootstrap Debian sid with Asterisk into `root` (once). False if it was already there.

    Builds into a temporary sibling directory and renames it at the end, so an interrupted
    build never leaves a half-made chroot where the sandbox would look for one.
    """
    root = Path(root)
    if is_built(root):
        return False
    if os.geteuid() != 0:
        raise SandboxError(
            "building the Asterisk sandbox needs root (debootstrap and chroot): run "
            "`sudo hotline asterisk build` (or scripts/test.sh / scripts/demo.sh as root)."
        )
    if shutil.which("debootstrap") is None:
        raise SandboxError(
            "debootstrap is not installed: `apt-get install debootstrap` (scripts/setup.sh does)."
        )
    _check_reachable(mirror)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.parent / f".{root.name}.building-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    logfile = root.parent / f"{root.name}.build.log"
    say(f"Building the Asterisk sandbox in {root} (Debian {SUITE}, 1-3 minutes; log: {logfile})")
    started = time.monotonic()
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(tmp), mirror]
    with open(logfile, "w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        tail = logfile.read_text(errors="replace").splitlines()[-15:]
        _remove_chroot(tmp)
        raise SandboxError(
            f"debootstrap failed (exit {result.returncode}); last lines of {logfile}:\n" + "\n".join(tail)
        )
    version = subprocess.run(
        ["chroot", str(tmp), ASTERISK, "-V"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if version.returncode != 0:
        _remove_chroot(tmp)
        raise SandboxError(f"the built chroot cannot run asterisk: {version.stderr.strip()}")
    os.rename(tmp, root)
    say(f"{version.stdout.strip()} ready in {root} after {time.monotonic() - started:.0f} s")
    return True


def _remove_chroot(path: Path) -> None:
    """Remove a failed build, unmounting what debootstrap may have left mounted in it first."""
    for sub in ("proc", "sys", "dev/pts"):
        mount = path / sub
        if os.path.ismount(mount):
            subprocess.run(["umount", "-l", str(mount)], check=False)
    shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now, below the kernel's ephemeral range.

    Why not the kernel's pick (bind to port 0): that is an ephemeral port, which any outgoing
    connection on the machine may take between this check and the listener's bind ("address
    already in use" under load). Below the range only another listener can take it.
    """
    low = _ephemeral_low()
    for _ in range(64):
        port = random.randrange(max(1024, low - 20000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # nothing free below the range: the kernel's pick
        s.bind(("127.0.0.1", 0))
        picked: int = s.getsockname()[1]
        return picked


def _ephemeral_low() -> int:
    """The first port the kernel hands to outgoing connections (32768 on Linux by default)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def write_hold_music(path: Path, seconds: float = 8.0) -> None:
    """A soft, slow chime at 8 kHz for the operators' queue (the chroot ships no music on hold)."""
    notes = (523.25, 659.25, 783.99, 659.25)  # C E G E
    rate, frames = 8000, []
    per_note = seconds / len(notes)
    for i in range(int(rate * seconds)):
        t = i / rate
        note = notes[int(t / per_note) % len(notes)]
        envelope = math.exp(-3.0 * (t % per_note))
        frames.append(int(3000 * envelope * math.sin(2 * math.pi * note * t)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(frames)}h", *frames))


class AsteriskSandbox:
    """One Asterisk instance in the chroot with our rendered configuration."""

    def __init__(
        self,
        root: Path,
        name: str = "default",
        *,
        ami_port: int = 5038,
        ami_user: str = "hotline",
        ami_secret: str | None = None,
        sip_port: int = 5060,
        sip_demo_password: str | None = None,
        ivr_host: str = "127.0.0.1",
        ivr_port: int = 9092,
        ivr_hosts: Sequence[str] = (),
        exten: str = "8800",
        operators: Sequence[str] = ("PJSIP/operator",),
        console_ami_user: str = "console",
        console_ami_secret: str | None = None,
        dialer_ami_user: str = "dialer",
        dialer_ami_secret: str | None = None,
        callback_dial: str = "Local/${EXTEN}@callback-resident",
        callback_ring_seconds: int = 30,
        sip_loopback_contact: str | None = None,
    ):
        self.root = Path(root)
        self.name = name
        self.base = f"/srv/hotline/{name}"  # inside the chroot
        self.host_dir = self.root / self.base.lstrip("/")
        self.ami_port = ami_port
        self.ami_user = ami_user
        self.sip_port = sip_port
        self.ivr_host = ivr_host
        self.ivr_port = ivr_port
        # Where the dialplan sends calls, round robin with failover: `host:port` each (the one IVR
        # at ivr_host:ivr_port unless given).
        self.ivr_hosts = tuple(ivr_hosts) or (f"{ivr_host}:{ivr_port}",)
        self.exten = exten
        self.operators = tuple(operators)
        self.console_ami_user = console_ami_user
        self.dialer_ami_user = dialer_ami_user  # `hotline campaign run`: Originate, OriginateResponse
        # Where an operator's callback goes once the operator answers (the number is ${EXTEN}).
        self.callback_dial = callback_dial
        self.callback_ring_seconds = callback_ring_seconds
        # Where the tests' loopback softphone sends its calls (host:port): this Asterisk, or a SIP
        # proxy in front of it.
        self.sip_loopback_contact = sip_loopback_contact or f"127.0.0.1:{sip_port}"
        kept = self._load_secrets()
        self.ami_secret = ami_secret or kept.get("ami_secret") or secrets_module.token_urlsafe(18)
        self.console_ami_secret = (
            console_ami_secret or kept.get("console_ami_secret") or secrets_module.token_urlsafe(18)
        )
        self.dialer_ami_secret = (
            dialer_ami_secret or kept.get("dialer_ami_secret") or secrets_module.token_urlsafe(18)
        )
        self.sip_demo_password = (
            sip_demo_password or kept.get("sip_demo_password") or secrets_module.token_hex(6)
        )
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(
        cls, settings: TelephonySettings, name: str = "default", **overrides: Any
    ) -> AsteriskSandbox:
        values: dict[str, Any] = dict(
            ami_port=settings.ami_port,
            ami_user=settings.ami_user,
            ami_secret=settings.ami_secret.get_secret_value() if settings.ami_secret else None,
            sip_port=settings.sip_port,
            sip_demo_password=(
                settings.sip_demo_password.get_secret_value() if settings.sip_demo_password else None
            ),
            ivr_host=settings.audiosocket_host,
            ivr_port=settings.audiosocket_port,
            ivr_hosts=settings.ivr_host_list,
        )
        values.update(overrides)
        return cls(settings.asterisk_root, name, **values)

    @classmethod
    def for_tests(
        cls, root: Path, ivr_port: int, name: str | None = None, ivr_hosts: Sequence[str] = ()
    ) -> AsteriskSandbox:
        """A sandbox on free ports, so tests never collide with a running demo."""
        return cls(
            root,
            name or f"test-{os.getpid()}",
            ami_port=free_port(),
            sip_port=free_port(),
            ivr_port=ivr_port,
            ivr_hosts=ivr_hosts,
            ami_secret=secrets_module.token_urlsafe(18),
            console_ami_secret=secrets_module.token_urlsafe(18),
            dialer_ami_secret=secrets_module.token_urlsafe(18),
            callback_dial="Local/${EXTEN}@test-resident",
        )

    # ---- paths -------------------------------------------------------------------------------
    @property
    def config_file(self) -> str:
        return f"{self.base}/etc/asterisk.conf"

    @property
    def recordings(self) -> Path:
        """Where the test caller's recordings appear, as a host path."""
        return self.host_dir / "recordings"

    @property
    def log_file(self) -> Path:
        return self.host_dir / "log" / "messages.log"

    @property
    def console_log(self) -> Path:
        return self.host_dir / "log" / "console.log"

    def _moddir(self) -> str:
        found = sorted(self.root.glob("usr/lib/*/asterisk/modules"))
        if not found:
            raise SandboxError(f"no Asterisk modules under {self.root}: is the sandbox built?")
        return "/" + str(found[0].relative_to(self.root))

    # ---- secrets -----------------------------------------------------------------------------
    def _secrets_file(self) -> Path:
        return self.host_dir / "secrets.json"

    def _load_secrets(self) -> dict[str, str]:
        return read_kept(self._secrets_file())

    def _save_secrets(self) -> None:
        keep(
            self._secrets_file(),
            {
                "ami_secret": self.ami_secret,
                "console_ami_secret": self.console_ami_secret,
                "dialer_ami_secret": self.dialer_ami_secret,
                "sip_demo_password": self.sip_demo_password,
            },
        )

    # ---- configuration -----------------------------------------------------------------------
    def render(self) -> Path:
        """Write our configuration into the chroot; returns the host directory."""
        if not is_built(self.root):
            raise SandboxError(
                f"the Asterisk sandbox is not built in {self.root}: run `hotline asterisk build`"
            )
        for sub in ("etc", "db", "spool", "run", "log", "cache", "moh", "recordings"):
            (self.host_dir / sub).mkdir(parents=True, exist_ok=True)
        self.host_dir.chmod(0o700)  # secrets live in etc/
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        context = {
            "name": self.name,
            "base": self.base,
            "moddir": self._moddir(),
            "ami_port": self.ami_port,
            "ami_user": self.ami_user,
            "ami_secret": self.ami_secret,
            "sip_port": self.sip_port,
            "demo_user": "demo",
            "demo_password": self.sip_demo_password,
            "demo_caller": "79001110011",
            "ivr_hosts": "&".join(self.ivr_hosts),
            "exten": self.exten,
            "operators": self.operators,
            "console_ami_user": self.console_ami_user,
            "console_ami_secret": self.console_ami_secret,
            "dialer_ami_user": self.dialer_ami_user,
            "dialer_ami_secret": self.dialer_ami_secret,
            "callback_dial": self.callback_dial,
            "callback_ring_seconds": self.callback_ring_seconds,
            "loopback_contact": self.sip_loopback_contact,
            "recordings": f"{self.base}/recordings",
        }
        templates = resources.files("telephony") / "asterisk"
        for name in TEMPLATES:
            text = env.from_string(templates.joinpath(name).read_text()).render(context)
            target = self.host_dir / "etc" / name
            target.write_text(text)
            target.chmod(0o600)
        for name in EMPTY_CONFIGS:
            target = self.host_dir / "etc" / name
            target.write_text(templates.joinpath("quiet.conf").read_text())
            target.chmod(0o600)
        music = self.host_dir / "moh" / "chime.wav"
        if not music.exists():
            write_hold_music(music)
        self._save_secrets()
        return self.host_dir

    # ---- running -----------------------------------------------------------------------------
    def _asterisk(self, *args: str) -> list[str]:
        return ["chroot", str(self.root), ASTERISK, "-C", self.config_file, *args]

    def cli(self, command: str, timeout: float = 15.0) -> str:
        """Run one Asterisk CLI command (`asterisk -rx`) and return its output."""
        result = subprocess.run(
            self._asterisk("-rx", command),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise SandboxError(f"asterisk -rx {command!r} failed: {(result.stderr or result.stdout).strip()}")
        return result.stdout

    def pid(self) -> int | None:
        try:
            pid = int((self.host_dir / "run" / "asterisk.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def is_running(self) -> bool:
        if self._process is not None and self._process.poll() is None:
            return True
        return self.pid() is not None

    def start(self, timeout: float = 60.0) -> float:
        """Render the configuration, start Asterisk in the background, wait until it is fully
        booted. Returns the seconds it took. Asterisk keeps running after this process exits."""
        if os.geteuid() != 0:
            raise SandboxError("running the Asterisk sandbox needs root (chroot)")
        if self.is_running():
            raise SandboxError(f"the sandbox {self.name!r} is already running (pid {self.pid()})")
        self.render()
        started = time.monotonic()
        console = open(self.console_log, "ab")
        try:
            self._process = subprocess.Popen(
                self._asterisk("-f", "-n"),
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            console.close()
        deadline = started + timeout
        while True:
            if self._process.poll() is not None:
                raise SandboxError(
                    f"Asterisk exited with {self._process.returncode} while starting; see {self.console_log} "
                    f"and {self.log_file}:\n{self.log_tail()}"
                )
            with contextlib.suppress(SandboxError, subprocess.TimeoutExpired):
                if "fully booted" in self.cli(
                    "core waitfullybooted", timeout=max(1.0, deadline - time.monotonic())
                ):
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise SandboxError(f"Asterisk did not boot in {timeout:.0f} s; see {self.log_file}")
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        log.info("Asterisk sandbox %r up in %.1f s (AMI 127.0.0.1:%d)", self.name, elapsed, self.ami_port)
        return elapsed

    def stop(self, timeout: float = 20.0) -> bool:
        """Stop Asterisk (gracefully, then by signal). False if it was not running."""
        pid = self.pid() or (self._process.pid if self._process and self._process.poll() is None else None)
        if pid is None:
            return False
        with contextlib.suppress(SandboxError, subprocess.TimeoutExpired):
            self.cli("core stop now", timeout=5)
        if not self._wait_gone(pid, timeout / 2):
            log.warning("Asterisk sandbox %r did not stop; sending SIGTERM", self.name)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, timeout / 2):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self._wait_gone(pid, 5)
        with contextlib.suppress(OSError):
            (self.host_dir / "run" / "asterisk.pid").unlink()
        return True

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.pid == pid:
                if self._process.poll() is not None:
                    return True
            else:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return True
            time.sleep(0.05)
        return False

    def restart(self, timeout: float = 60.0) -> float:
        self.stop()
        return self.start(timeout)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
