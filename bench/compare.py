"""Two runs of a bench side by side: `python compare.py before.json after.json`.

Reads the JSON the benches write (bench/out/<bench>.json) and prints, per endpoint, each figure
of both runs and how many times faster (or slower) the second is."""

from __future__ import annotations

import json
import sys
from pathlib import Path

# the figure that says how fast, in the order they are looked for
TIMES = ("median_ms", "seconds")


def load(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def rows(before: dict, after: dict) -> list[tuple[str, str, str, str, str]]:
    table = []
    names = list(before["figures"]) + [n for n in after["figures"] if n not in before["figures"]]
    for name in names:
        old, new = before["figures"].get(name, {}), after["figures"].get(name, {})
        key = next((k for k in TIMES if k in old or k in new), None)
        if key is None:
            continue
        unit = "ms" if key.endswith("_ms") else "s"
        first, second = old.get(key), new.get(key)
        speedup = f"{first / second:.1f}×" if first and second else "—"
        ratio = "—"
        if "ratio" in old or "ratio" in new:
            ratio = f"{old.get('ratio', '—')} → {new.get('ratio', '—')}"
        table.append(
            (
                name,
                "—" if first is None else f"{first:g} {unit}",
                "—" if second is None else f"{second:g} {unit}",
                speedup,
                ratio,
            )
        )
    return table


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0])
        return 2
    before, after = load(argv[1]), load(argv[2])
    print(f"before: {before['title']} ({before['at']}, load {before.get('load', 0):.1f})")
    print(f"after:  {after['title']} ({after['at']}, load {after.get('load', 0):.1f})")
    header = ("endpoint", "before", "after", "faster", "× /health")
    table = [header, *rows(before, after)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
