"""Editing policy YAML text in tests, and finding the line an error should name."""

from __future__ import annotations


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r} in the policy file"
    return text.replace(old, new)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line number of the `occurrence`-th line containing `fragment`."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def remove_item(text: str, list_name: str, key: str) -> str:
    """Remove the entry `key` from the top-level list `list_name` (canonical layout)."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"{list_name}:\n")
    first = lines.index(f"  - key: {key}\n", start)
    end = first + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return "".join(lines[:first] + lines[end:])
