"""Small text helpers shared by the parts."""

import re


def natural_key(text: str | None) -> tuple:
    """Sort «Школа № 3» before «Школа № 10»: numbers compare as numbers."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", text or ""))
