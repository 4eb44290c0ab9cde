"""A customer extract (CRM: churn flag, CLTV, plan, tenure) joined to feedback by customer id.

Outcomes such as churn and revenue live in the CRM, not in the feedback export. A user
passes the extract beside the feedback (``voc analyze tickets.csv --customers crm.csv``);
its columns are joined to every feedback row by the customer id before validation, so
``--outcome churned=Churned`` and ``--segment plan`` read them like the export's own
columns. Nothing is dropped silently: a customer id the extract holds twice (which row
is right?) and an extract row that matches no customer in the feedback are rejects, with
their line numbers, in ``rejects.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import ConfigError


class CustomerFile:
    """One customer extract, read once, joined to each chunk of feedback as it is read.

    ``id_column`` is the extract's customer id column (default: the feedback mapping's
    customer column). Ids are compared as trimmed text."""

    def __init__(self, frame: pd.DataFrame, lines: np.ndarray, source: str, id_column: str | None = None) -> None:
        self.source = source
        self.id_column = id_column
        self._raw, self._lines = frame.reset_index(drop=True), np.asarray(lines, dtype=np.int64)
        self.table: pd.DataFrame | None = None  # one row per unique id, indexed by id, once resolved
        self.rejects_: list[dict[str, Any]] = []
        self.matched: set[str] = set()
        self.feedback_ids: set[str] = set()
        self._pos: dict[str, int] = {}  # customer id -> its row in the extract
        self._bad_values: set[str] = set()

    @classmethod
    def read(cls, path: str | Path, id_column: str | None = None) -> "CustomerFile":
        """Read a CSV / JSONL / Parquet / Excel extract with voc's own readers (encoding and
        delimiter detected, malformed lines rejected with their numbers)."""
        from voc.io.readers import _READERS, _open_source

        src = _open_source(path, None, None, None, None)
        frames, lines, pre = [], [], []
        for frame, ln, rejects, _ in _READERS[src.fmt](src, None):
            frames.append(frame)
            lines.append(np.asarray(ln, dtype=np.int64))
            pre += rejects
        if not frames or not sum(len(f) for f in frames):
            raise ConfigError(f"customer file {src.name} has no rows")
        out = cls(pd.concat(frames, ignore_index=True), np.concatenate(lines), src.name, id_column)
        out.rejects_ += [dict(r, source=src.name) for r in pre]
        return out

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, id_column: str | None = None) -> "CustomerFile":
        return cls(frame, np.arange(2, len(frame) + 2), "<customers>", id_column)

    def resolve(self, customer_column: str | None, feedback_columns: list[str]) -> None:
        """Index the extract by its id column; duplicate ids become rejects. Raises a
        clear error for a missing id column, or extract columns that clash with feedback's."""
        if self.table is not None:
            return
        from voc.io.validate import reject_row

        col = self.id_column or customer_column
        if not col:
            raise ConfigError("--customers needs the customer id: map it with --conversation customer=COLUMN "
                              "(and --customers-id COLUMN if the customer file names it differently)")
        if col not in self._raw.columns:
            raise ConfigError(f"customer file {self.source}: no column {col!r} for the customer id; it has "
                              f"{', '.join(map(str, self._raw.columns[:20]))}")
        clash = [c for c in self._raw.columns if c != col and c in feedback_columns]
        if clash:
            raise ConfigError(f"customer file {self.source}: columns {clash} are also in the feedback file; "
                              "rename them in one of the two so each outcome or segment has one source")
        ids = self._raw[col].astype("string").str.strip()
        empty = (ids.isna() | (ids == "")).to_numpy()
        dup = ids.duplicated(keep=False).to_numpy() & ~empty
        for pos in np.flatnonzero(empty | dup).tolist():
            line = int(self._lines[pos])
            if empty[pos]:
                reason = "empty customer id"
            else:
                others = self._lines[(ids == ids.iat[pos]).fillna(False).to_numpy()].tolist()
                reason = (f"customer id appears {len(others)} times in the customer file (lines "
                          f"{', '.join(map(str, others[:5]))}): which row holds the customer's values is unknown")
            self.rejects_.append(reject_row(self.source, line, col, reason, self._raw.iloc[pos].to_dict()))
        keep = ~(empty | dup)
        table = self._raw[keep].drop(columns=[col]).copy()
        table.index = pd.Index(ids[keep].astype(str), name="_customer_id")
        self.table = table
        self._pos = dict(zip(table.index, np.flatnonzero(keep).tolist()))
        self._id = col

    def join(self, raw: pd.DataFrame, customer_column: str) -> pd.DataFrame:
        """``raw`` (feedback rows) with the extract's columns added, by customer id."""
        self.resolve(customer_column, [str(c) for c in raw.columns])
        assert self.table is not None
        if customer_column not in raw.columns:
            return raw
        ids = raw[customer_column].astype("string").str.strip()
        present = set(ids.dropna()) - {""}
        self.feedback_ids |= present
        self.matched.update(present & self._pos.keys())
        joined = self.table.reindex(ids.fillna("").to_numpy())
        joined.index = raw.index
        return pd.concat([raw, joined], axis=1)

    def reject_value(self, customer: str, column: str, reason: str) -> None:
        """A value of the extract that cannot be read (an outcome that is not yes/no): the
        extract's row is the reject, once, and its customer's feedback is kept."""
        if customer in self._bad_values or customer not in self._pos:
            return
        self._bad_values.add(customer)
        self.rejects_.append(self._reject(customer, column, reason))

    def rejects(self) -> list[dict[str, Any]]:
        """Duplicate or empty ids, and extract rows no feedback customer matched (call
        after every chunk was joined)."""
        out = list(self.rejects_)
        if self.table is not None:
            for cid in self.table.index.difference(pd.Index(sorted(self.matched))):
                out.append(self._reject(cid, self._id, "customer id matches no customer in the feedback"))
        return out

    def _reject(self, customer: str, column: str, reason: str) -> dict[str, Any]:
        from voc.io.validate import reject_row

        pos = self._pos[customer]
        return reject_row(self.source, int(self._lines[pos]), column, reason, self._raw.iloc[pos].to_dict())

    def stats(self) -> dict[str, int]:
        n = 0 if self.table is None else len(self.table)
        return {"customer_file_rows": int(len(self._raw)), "customer_file_matched": int(len(self.matched)),
                "customer_file_unmatched": int(n - len(self.matched)),
                "customers_without_file_row": int(len(self.feedback_ids - self.matched))}
