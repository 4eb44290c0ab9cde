"""Cells a spreadsheet would run as a formula, defused for the CSVs voc writes.

Customer text, theme labels and rejected records end up in CSVs that people open in
Excel or Sheets, which execute a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR
(CSV injection, OWASP). Such cells get a leading ``'``; Parquet and JSON stay raw (they
are for programs). The same rule is rendered for DuckDB so ``voc export --format csv``
guards while it streams. ``unguard`` undoes it for readers of voc's own CSVs; a value
already starting with ``'`` before a trigger gets one more, so the round trip is exact.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(s: str) -> bool:
    return s.lstrip("'").startswith(TRIGGERS)


def guard(v: Any) -> Any:
    """``v`` with a leading ``'`` if a spreadsheet would run it; non-strings unchanged."""
    return "'" + v if isinstance(v, str) and _needs_quote(v) else v


def unguard(v: Any) -> Any:
    """The value ``guard`` was given."""
    return v[1:] if isinstance(v, str) and v.startswith("'") and _needs_quote(v) else v


def _map_text(frame: pd.DataFrame, fn: Any) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
            out[c] = out[c].map(fn)
    return out


def guard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell guarded (numbers stay numbers)."""
    return _map_text(frame, guard)


def unguard_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return _map_text(frame, unguard)


def guard_sql(column: str) -> str:
    """A DuckDB expression for ``guard`` on the VARCHAR column ``column`` (a quoted name)."""
    chars = ", ".join("chr(%d)" % ord(t) for t in TRIGGERS)
    return (f"CASE WHEN left(ltrim({column}, ''''), 1) IN ({chars}) "
            f"THEN '''' || {column} ELSE {column} END")
