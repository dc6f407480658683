"""Figures for the one Russian lexicon: what it costs a process to load (babel's CLDR data, the
territory file) and what its words cost per call on the speaking and hearing paths.

    .venv/bin/python -m bench.lexicon [--rounds 20000]

The import is timed in a fresh interpreter each time, so caches of this process do not flatter it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def fresh_import_ms(module: str, runs: int = 5) -> float:
    """Median milliseconds to import `module` in a new interpreter (interpreter start excluded)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return statistics.median(times) * 1000


def per_call_us(fn: Callable[[], object], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20000)
    rounds = parser.parse_args().rounds

    print("import, fresh interpreter (median of 5):")
    for module in ("speech.russian", "speech.territories", "speech.numbers", "dialogs.prompts"):
        print(f"  {module:<20} {fresh_import_ms(module):7.1f} ms")

    from speech import numbers, russian, territories
    from speech.account_format import account_from_keys, split_account

    started = time.perf_counter()
    territories.territories.cache_clear()
    territories.territories()
    parsed_ms = (time.perf_counter() - started) * 1000
    print(f"territory file read and parsed: {parsed_ms:.2f} ms (once per process)")

    print(f"per call ({rounds} rounds):")
    cases: dict[str, Callable[[], object]] = {
        "plural(21, …)": lambda: russian.plural(21, "попытка", "попытки", "попыток"),
        "MONTHS_GENITIVE[10]": lambda: russian.MONTHS_GENITIVE[10],
        "say_account('001110011-7')": lambda: numbers.say_account("001110011-7"),
        "split_account('001110011-7')": lambda: split_account("001110011-7"),
        "account_from_keys('0011100117')": lambda: account_from_keys("0011100117"),
        "parse_territory('из калтана')": lambda: numbers.parse_territory("из калтана"),
        "heard_words('account')": lambda: numbers.heard_words("account"),
    }
    for name, fn in cases.items():
        print(f"  {name:<34} {per_call_us(fn, rounds):8.2f} µs")


if __name__ == "__main__":
    main()
