"""Measure the shape of the code: arrows between parts, imports hidden in functions, large files,
and the share of complex functions. Run from the project root: `.venv/bin/python bench/house.py`.
"""

from __future__ import annotations

import ast
import json
import sys
from collections import defaultdict
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent / "tracker"


def part_of(module: str) -> str | None:
    bits = module.split(".")
    if bits[0] != "tracker":
        return None
    if len(bits) == 1:
        return "tracker"
    # The extension objects are infrastructure shared by every part, as core is.
    return "core" if bits[1] == "extensions" else bits[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(node: ast.AST, here: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = here.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            prefix = ".".join(base)
            return [f"{prefix}.{node.module}" if node.module else prefix]
        return [node.module or ""]
    return []


def measure() -> dict:
    edges: dict[tuple[str, str], int] = defaultdict(int)
    inner_imports = 0
    files = []
    blocks = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        here = module_name(path)
        mine = part_of(here)
        files.append((len(text.splitlines()), str(path.relative_to(ROOT.parent))))
        blocks += [b for b in cc_visit(text) if not hasattr(b, "methods")]
        tree = ast.parse(text)
        funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        kinds = ast.Import | ast.ImportFrom
        inside = {id(n) for f in funcs for n in ast.walk(f) if isinstance(n, kinds)}
        for node in ast.walk(tree):
            for target in imported(node, here, path.name == "__init__.py"):
                other = part_of(target)
                if other and mine and other != mine and other != "tracker":
                    edges[(mine, other)] += 1
                    if id(node) in inside:
                        inner_imports += 1
    mutual = sorted({tuple(sorted(e)) for e in edges if (e[1], e[0]) in edges})
    complex_ = [b for b in blocks if b.complexity > 10]
    files.sort(reverse=True)
    return {
        "edges": len(edges),
        "mutual_pairs": [f"{a} ↔ {b}" for a, b in mutual],
        "imports_inside_functions_across_parts": inner_imports,
        "largest_files": [f"{n} {p}" for n, p in files[:8]],
        "files_over_600_lines": sum(1 for n, _ in files if n > 600),
        "functions": len(blocks),
        "complexity_over_10": len(complex_),
        "complexity_over_10_share": round(100 * len(complex_) / len(blocks), 1),
    }


if __name__ == "__main__":
    result = measure()
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    print()
