"""Reading a ~20 KB protocol with the demo directory: median and p95 of read_protocol().

The protocol is built from seeds 003 (header, attendees, agenda, «СЛУШАЛИ») and 001 (the decisions
with fifteen schools), the decisions repeated with new numbers until the text reaches 20 KB.
Run: `cd bench && ../.venv/bin/python protocol_reader.py [runs]`.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.protocols.matching import Directory, entries_from_tree  # noqa: E402
from tracker.protocols.reader import read_protocol  # noqa: E402

SEEDS = ROOT / "tests" / "fixtures" / "seeds"
TARGET_BYTES = 20_000
RUNS = 50
WARMUP = 3


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def renumbered(decisions: str, shift: int) -> str:
    """«1.», «1.2.» at the start of a line become «6.», «6.2.» for a shift of 5."""
    return re.sub(r"(?m)^(\d+)\.", lambda m: f"{int(m.group(1)) + shift}.", decisions)


def build_protocol() -> str:
    """Seed 003 up to its decisions, then seed 001's decisions renumbered until 20 KB."""
    kholm, petrozavodsk = seed("003"), seed("001")
    head = kholm[: kholm.index("**РЕШИЛИ:**")]
    start = petrozavodsk.index("Решили:") + len("Решили:")
    end = petrozavodsk.index("Заместитель председателя комитета -")
    decisions = petrozavodsk[start:end]
    parts = [head, "РЕШИЛИ:\n", decisions]
    shift = 5
    while len("".join(parts).encode("utf-8")) < TARGET_BYTES:
        # points 1-5 become 6-10, 11-15, …: same wording, new numbers, the same 15 schools
        parts.append(renumbered(decisions, shift))
        shift += 5
    parts.append("\nПредседатель:\n\nН.В. Шадеркова\n\nСекретарь:\n\nЛ.В. Кузнецова\n")
    return "".join(parts)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    roots = yaml.safe_load((ROOT / "tracker/demo/data/organizations.yaml").read_text("utf-8"))
    entries, ids = entries_from_tree(roots)
    text = build_protocol()

    started = time.perf_counter()
    directory = Directory(entries, ids["ptz-uo"])
    result = read_protocol(text, directory)  # first call: dictionaries load, caches fill
    first = time.perf_counter() - started

    for _ in range(WARMUP):
        read_protocol(text, Directory(entries, ids["ptz-uo"]))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        # a new Directory each time, as a request would build it
        read_protocol(text, Directory(entries, ids["ptz-uo"]))
        times.append(time.perf_counter() - started)

    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    executors = sum(len(d["executors"]) for d in result["decisions"])
    print(
        f"protocol: {len(text.encode('utf-8')) / 1024:.1f} KB, {len(text.splitlines())} lines, "
        f"{len(result['attendees'])} attendees, {len(result['decisions'])} decisions, "
        f"{executors} executors, {len(result['warnings'])} warnings"
    )
    print(f"first call (pymorphy3 dictionaries, caches): {first * 1000:.0f} ms")
    print(
        f"read_protocol, {runs} runs: median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
