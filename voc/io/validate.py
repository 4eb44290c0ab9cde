"""Turn raw rows into voc's feedback table, sending every bad row to ``rejects``.

The promise voc makes to CX teams: a row is never silently dropped. Each input row
ends up either in ``frame`` or in ``rejects`` (with its source line and the reasons),
so ``accepted + rejected == rows_read`` always holds.

Choices worth knowing:

* ``doc_id`` is the mapped id column if any, else ``sha1("<file name>:<line>:<text>")[:16]``:
  stable across reruns on the same file, and different for the same text on two lines.
* ``duplicate_text`` flags every occurrence of a text *after the first* (whitespace
  collapsed, case-folded); rows are flagged, never removed. Keep-first is what a
  streaming reader can compute, so :func:`voc.io.iter_feedback` agrees with
  :func:`voc.io.read_feedback`.
* A repeated id is checked among otherwise valid rows: the first valid row keeps the id,
  later ones are rejected ("duplicate id 'X' (first seen on line N)").
* Dates: ISO 8601 first, then US ``m/d/Y``, then ``d/m/Y`` (only when ``m/d`` is
  impossible), ``d.m.Y``, ``Y/m/d``, then dateutil for month names. Offsets are
  converted to UTC and dropped; naive times are taken as UTC.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.errors import ConfigError, EmptyInput, UnknownColumn
from voc.io.mapping import CONVERSATION_ROLES, ColumnMapping, ScoreSpec

if TYPE_CHECKING:
    from voc.customers.crm import CustomerFile

log = logging.getLogger("voc")

REJECT_COLUMNS = ["source", "line", "column", "reason", "record"]
#: Column names taken as the text column when the mapping does not name one (priority order).
TEXT_NAMES = ("text", "comment", "comments", "review", "review_text", "feedback", "verbatim",
              "message", "body", "content", "response", "answer")
#: Stats that add up over chunks; the others describe the file and are the same in every chunk.
COUNT_KEYS = ("rows_read", "accepted", "rejected", "duplicate_ids", "duplicate_texts", "blank_lines", "nul_bytes")
MAX_RECORD_CHARS = 10_000  # bound the size of a reject's ``record`` (an unclosed quote can swallow a file)
_CUT_MARGIN = 512  # longer than any PII value but URLs: cutting here cannot leave half of one unredacted

_DATE_FORMATS = (
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d-%m-%Y %H:%M", "%d-%m-%Y",
)
# dateutil is lenient ("12" -> the 12th of this month): only offer it values with a 4-digit year or a word.
_DATEUTIL_OK = r"(?=.*\d)(?=.*(?:\b\d{4}\b|[A-Za-z]{3}))"
_DECIMAL_COMMA = r"^([+-]?\d+),(\d+)$"
_NOT_TEXT = object()  # marker for list/dict cells, which have no honest text form
_NS_MIN, _NS_MAX = pd.Timestamp.min, pd.Timestamp.max


@dataclass
class IngestResult:
    """Accepted rows, rejected rows and counts of one read (or one chunk of it)."""

    frame: pd.DataFrame
    rejects: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def combine(cls, parts: Sequence[IngestResult]) -> IngestResult:
        """Join chunk results (from :func:`voc.io.iter_feedback`) into one, summing the counts."""
        if not parts:
            raise EmptyInput("no rows: nothing to combine")
        frames = [p.frame for p in parts if len(p.frame)] or [parts[0].frame]
        rejects = [p.rejects for p in parts if len(p.rejects)] or [parts[0].rejects]
        stats = dict(parts[-1].stats)
        for key in COUNT_KEYS:
            if any(key in p.stats for p in parts):
                stats[key] = sum(int(p.stats.get(key, 0)) for p in parts)
        stats.pop("chunk", None)
        return cls(pd.concat(frames, ignore_index=True), pd.concat(rejects, ignore_index=True), stats)


def reject_row(source: str, line: int, column: str | None, reason: str, record: Any) -> dict[str, Any]:
    """One reject; ``record`` is raw text or a JSON-able row, stored with personal data
    redacted: rejects end up in rejects.csv, the report and the store, which must not
    hold the raw PII that the clean stage keeps from every other output."""
    if not isinstance(record, str):
        record = json.dumps(record, ensure_ascii=False, default=str)
    n = len(record)
    if n > MAX_RECORD_CHARS:  # redact a little more than is kept, then drop that margin: no half value survives
        head = redact_record(record[: MAX_RECORD_CHARS + _CUT_MARGIN])
        head = head[: max(0, min(MAX_RECORD_CHARS, len(head) - _CUT_MARGIN))]
        record = head + f"... [{n - MAX_RECORD_CHARS} more characters]"
    else:
        record = redact_record(record)
    return {"source": source, "line": int(line), "column": column, "reason": reason, "record": record}


def redact_record(text: str) -> str:
    """``text`` with personal data redacted, also field by field: in running text a card
    or phone right after a comma is left alone (it reads as part of a larger number), but
    in a raw CSV record ``7,07700 900123,...`` the comma is a field boundary."""
    from voc.pii import redact

    red = redact(text)
    if "," in red:
        red = ",".join(redact(f) for f in red.split(","))
    return red


def _rejects_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=REJECT_COLUMNS)
    df["line"] = df["line"].astype("int64")
    for c in ("source", "column", "reason", "record"):
        df[c] = df[c].astype("str")
    return df.sort_values("line", kind="stable").reset_index(drop=True)


def _show(value: Any, limit: int = 60) -> str:
    """A cell quoted for a reason message, personal data redacted (reasons reach rejects.csv,
    the report and logs), then shortened so reasons stay one readable line."""
    s = redact_record(str(value)[: 4 * limit + _CUT_MARGIN])
    return "'" + (s if len(s) <= limit else s[: limit - 1] + "…") + "'"


def redact_columns(columns: Sequence[Any]) -> list[str]:
    """Column names for an error message or log line; redacted, because a file without a
    header row makes its first record the column names."""
    return [redact_record(str(c)) for c in columns]


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    return value


def _cell_text(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):  # a Parquet binary column: text as UTF-8 bytes
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dict, list, tuple, set, np.ndarray)):
        return _NOT_TEXT
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return _cell_text(value.item())
    return str(value)


def as_text(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Cells as ``str`` dtype (NaN when missing) and a mask of list/dict cells.

    Excel, JSON and Parquet give ints, floats and dates where CSV gives strings; an int
    text or id column should still work (``42`` -> ``"42"``, not ``"42.0"``).
    """
    if isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.astype("str"), np.zeros(len(s), dtype=bool)
    values = [_cell_text(v) for v in s.astype(object)]
    bad = np.fromiter((v is _NOT_TEXT for v in values), dtype=bool, count=len(values))
    if bad.any():
        values = [None if v is _NOT_TEXT else v for v in values]
    return pd.Series(values, index=s.index, dtype="str"), bad


def parse_scores(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Scores as float64 (NaN when empty) and a mask of cells that are not numbers.

    Accepts a decimal comma ("4,5"), common in semicolon-separated European exports.
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        values = s.astype("float64")
        bad = ~np.isfinite(values.to_numpy()) & values.notna().to_numpy()
        return values.where(~bad), bad
    txt, containers = as_text(s)
    t = txt.str.strip()
    missing = (t.isna() | (t == "")).to_numpy()
    t = t.str.replace(_DECIMAL_COMMA, r"\1.\2", regex=True)
    values = pd.to_numeric(t.where(~missing), errors="coerce").astype("float64")
    arr = values.to_numpy()
    bad = (~missing & ~np.isfinite(arr)) | containers
    return values.where(~bad), bad


def parse_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Dates as naive-UTC ``datetime64[ns]``, a mask of unparseable cells, and of cells
    outside the datetime64[ns] range (years 1677-2262, usually a typo like 0024)."""
    index = s.index
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        parsed = s.dt.tz_convert("UTC")
        missing = s.isna().to_numpy()
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        parsed = s.dt.tz_localize("UTC")
        missing = s.isna().to_numpy()
    else:
        obj = s.astype(object)
        if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
            is_dt = np.zeros(len(s), dtype=bool)
        else:  # Excel and JSON mix datetime cells with strings
            is_dt = np.fromiter((isinstance(v, (datetime, date, np.datetime64)) and v is not pd.NaT for v in obj),
                                dtype=bool, count=len(obj))
        txt, _ = as_text(obj.where(~is_dt, None)) if is_dt.any() else as_text(s)
        txt = txt.str.strip()
        missing = (txt.isna() | (txt == "")).to_numpy() & ~is_dt
        parts: list[pd.Series] = []
        if is_dt.any():
            parts.append(_to_utc(pd.to_datetime(obj[is_dt], utc=True, errors="coerce")))
        todo = ~missing & ~is_dt
        for fmt in ("ISO8601", *_DATE_FORMATS, "mixed"):
            if not todo.any():
                break
            sub = txt[todo]
            if fmt == "mixed":
                sub = sub[sub.str.contains(_DATEUTIL_OK, regex=True)]
                if sub.empty:
                    break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = pd.to_datetime(sub, format=fmt, utc=True, errors="coerce")
            got = got[got.notna()]
            if len(got):
                parts.append(_to_utc(got))
                todo[index.get_indexer(got.index)] = False
        parsed = (pd.concat(parts) if parts else pd.Series([], dtype="datetime64[us, UTC]")).reindex(index)
    naive = parsed.dt.tz_convert(None)
    unparsed = naive.isna().to_numpy() & ~missing
    oob = (naive.notna() & ((naive < _NS_MIN) | (naive > _NS_MAX))).to_numpy()
    result = naive.where(~oob).astype("datetime64[ns]")
    return result, unparsed, oob


def _to_utc(got: pd.Series) -> pd.Series:
    return got.astype("datetime64[us, UTC]")


def _doc_ids(source: str, lines: np.ndarray, texts: pd.Series) -> list[str]:
    return [hashlib.sha1(f"{source}:{ln}:{t}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
            for ln, t in zip(lines.tolist(), texts.tolist())]


class Validator:
    """Validates rows chunk after chunk, keeping what must hold across the whole file:
    the resolved columns, the ids seen so far and hashes of the texts seen so far."""

    def __init__(self, mapping: ColumnMapping | None, source: str, path: str | None = None,
                 missing_optional: str = "error", sparse: bool = False, customers: "CustomerFile | None" = None) -> None:
        self.mapping = mapping or ColumnMapping()
        self.customers = customers  # a CRM extract joined to each chunk by customer id
        self.outcome_kinds: dict[str, str] = {}  # outcome name -> binary / number / hours, once resolved
        self.missing_optional = missing_optional
        # JSON records need not all have the same keys: a mapped key absent from the first
        # chunk may appear later, so it is only an error if no chunk has it (see finish()).
        self.sparse = sparse
        self.unseen: dict[str, str] = {}  # mapped column -> role, not found in any chunk yet
        self.seen_columns: dict[str, None] = {}
        self.auto_text = mapping is None or self.mapping.text == "text"
        self.source = Path(str(source)).name
        self.where = path or self.source
        self.columns: dict[str, Any] | None = None
        self.text_col: str | None = None
        self.text_detected = False
        self.seen_ids: dict[str, int] = {}
        self.seen_texts: set[int] = set()

    # -- column resolution ------------------------------------------------------------
    def _find(self, name: str, role: str, available: list[str]) -> str:
        if name in available:
            return name
        folded = [c for c in available if str(c).strip().casefold() == str(name).strip().casefold()]
        if len(folded) == 1:
            log.info("%s: using column %r for %s %r", self.source, redact_columns([folded[0]])[0], role, name)
            return folded[0]
        if self.sparse:
            self.unseen.setdefault(name, role)
            return name
        raise UnknownColumn(name, redact_columns(available), role=role, path=self.where)

    def _optional(self, name: str, role: str, available: list[str]) -> str | None:
        """Like ``_find``; with ``missing_optional="ignore"`` (scoring new feedback against a
        saved model) an absent optional column is logged and treated as not mapped."""
        try:
            return self._find(name, role, available)
        except UnknownColumn:
            if self.missing_optional != "ignore":
                raise
            log.warning("%s: no %s %r; scoring without it", self.source, role, name)
            return None

    def _resolve(self, raw: pd.DataFrame) -> None:
        m, cols = self.mapping, list(raw.columns)
        opt = self._optional
        resolved: dict[str, Any] = {
            "id": opt(m.id, "id column", cols) if m.id else None,
            "date": opt(m.date, "date column", cols) if m.date else None,
            "channel": opt(m.channel, "channel column", cols) if m.channel else None,
            "segments": [(s, c) for s in m.segments if (c := opt(s, "segment column", cols))],
            "scores": [(sp, c) for sp in m.scores if (c := opt(sp.column, "score column", cols))],
            "keep": [(k, c) for k in m.keep if (c := opt(k, "keep column", cols))],
            "outcomes": [(o, c) for o in m.outcomes if (c := opt(o.column, "outcome column", cols))],
            **{role: (opt(getattr(m, role), f"{role.replace('_', ' ')} column", cols) if getattr(m, role) else None)
               for role in CONVERSATION_ROLES},
        }
        if not self.auto_text or m.text in cols:
            self.text_col = self._find(m.text, "text column", cols)
        names = ["doc_id", "text", "line", "duplicate_text"]
        names += [r for r in ("date", "channel", *CONVERSATION_ROLES) if resolved[r]]
        for out, _ in (*resolved["segments"], *((sp.label, c) for sp, c in resolved["scores"]), *resolved["keep"],
                       *((o.name, c) for o, c in resolved["outcomes"])):
            if out in names:
                raise ConfigError(f"output column {out!r} is used twice (segment, score label, keep, outcome or a voc "
                                  f"column); rename it in the column mapping (scores and outcomes take a name)")
            names.append(out)
        self.columns = resolved

    def _detect_text(self, raw: pd.DataFrame) -> str | None:
        """The text column when the mapping does not name one: a common name, else the
        string column with the longest mean length that looks like prose."""
        c = self.columns or {}
        taken = {c.get("id"), c.get("date"), c.get("channel"), *(x for _, x in c.get("segments", [])),
                 *(x for _, x in c.get("scores", []))}
        candidates = [col for col in raw.columns if col not in taken]
        lowered = {str(col).strip().lower(): col for col in reversed(candidates)}
        for name in TEXT_NAMES:
            if name in lowered:
                return lowered[name]
        if raw.empty:
            return None
        best, best_len = None, 0.0
        for col in candidates:
            sample = raw[col].dropna().head(2000)
            strings = sample[[isinstance(v, str) for v in sample]].astype("str")
            if len(sample) == 0 or len(strings) < 0.8 * len(sample):
                continue
            mean_len = float(strings.str.len().mean())
            spaced = float(strings.str.contains(r"\s", regex=True).mean())
            if mean_len >= 10 and spaced >= 0.3 and mean_len > best_len:
                best, best_len = col, mean_len
        return best

    def _text_column(self, raw: pd.DataFrame) -> str | None:
        if self.text_col is None:
            found = self._detect_text(raw)
            if found is None:
                if raw.empty:
                    return None
                columns = redact_columns(raw.columns)
                raise UnknownColumn(self.mapping.text, columns, role="text column", path=self.where)
            log.info("%s: using %r as the text column", self.source, redact_columns([found])[0])
            self.text_col, self.text_detected = found, True
        return self.text_col

    # -- validation -------------------------------------------------------------------
    def run(self, raw: pd.DataFrame, lines: Any, pre_rejects: Sequence[dict[str, Any]] = ()) -> IngestResult:
        """Validate one batch of raw rows; ``pre_rejects`` are rows the reader could not
        even split into fields (ragged CSV rows, malformed JSON lines)."""
        raw = raw.reset_index(drop=True)
        lines_arr = np.asarray(lines, dtype=np.int64)
        if len(lines_arr) != len(raw):
            raise ValueError(f"lines has {len(lines_arr)} entries for {len(raw)} rows")
        if self.columns is None and len(raw.columns) == 0:
            # no columns to resolve against yet (a chunk of only malformed JSON lines): validate an
            # empty frame with the mapping's columns and resolve on a later chunk
            probe = Validator(self.mapping, self.source, self.where, self.missing_optional)
            probe.text_col = self.mapping.text
            return probe.run(pd.DataFrame(columns=self.mapping.input_columns(), dtype=object), lines_arr, pre_rejects)
        if self.customers is not None:
            raw = self._join_customers(raw)
        self.seen_columns.update(dict.fromkeys(str(c) for c in raw.columns))
        if self.columns is None:
            self._resolve(raw)
        for name in [u for u in self.unseen if u in raw.columns]:
            del self.unseen[name]
        cols = self.columns
        assert cols is not None
        n = len(raw)
        problems: dict[int, list[tuple[str, str]]] = {}

        def col(name: str | None) -> pd.Series:
            if name is not None and name in raw.columns:
                return raw[name]
            return pd.Series([None] * n, index=raw.index, dtype=object)

        def flag(mask: np.ndarray, column: str, reason: Any) -> None:
            for pos in np.flatnonzero(mask).tolist():
                problems.setdefault(pos, []).append((column, reason(pos) if callable(reason) else reason))

        out: dict[str, Any] = {}
        text_col = self._text_column(raw)
        text, containers = as_text(col(text_col))
        flag(containers, str(text_col), "text is a list or object, not text")
        stripped = text.str.strip()
        flag(((text.isna() | (stripped == "")).to_numpy() & ~containers), str(text_col), "empty text")

        ids = None
        if cols["id"]:
            ids, id_bad = as_text(col(cols["id"]))
            ids = ids.str.strip()
            flag(id_bad | (ids.isna() | (ids == "")).to_numpy(), cols["id"], "empty id")
        out["text"] = text
        out["line"] = lines_arr
        if cols["date"]:
            raw_dates = col(cols["date"])
            dates, unparsed, oob = parse_dates(raw_dates)
            flag(unparsed, cols["date"], lambda p: f"unparseable date {_show(raw_dates.iat[p])}")
            flag(oob, cols["date"], lambda p: f"date {_show(raw_dates.iat[p])} out of range")
            out["date"] = dates
        if cols["channel"]:
            out["channel"] = _label_text(col(cols["channel"]))
        for name, c in cols["segments"]:
            out[name] = _label_text(col(c))
        for spec, c in cols["scores"]:
            out[spec.label] = self._scores(spec, c, col(c), flag)
        for role in ("customer", "thread", "reply_to"):
            if cols[role]:
                ids_, bad_ = as_text(col(cols[role]))
                flag(bad_, cols[role], f"{role.replace('_', ' ')} is a list or object, not an id")
                ids_ = ids_.str.strip()
                out[role] = ids_.where(ids_ != "")
        times = {}
        for role in ("opened", "closed"):  # ticket times: unreadable ones reject their row, as dates do
            if cols[role]:
                raw_t = col(cols[role])
                parsed, unparsed, oob = parse_dates(raw_t)
                flag(unparsed, cols[role], lambda p, r=raw_t, n=role: f"unparseable {n} time {_show(r.iat[p])}")
                flag(oob, cols[role], lambda p, r=raw_t, n=role: f"{n} time {_show(r.iat[p])} out of range")
                out[role] = times[role] = parsed
        if len(times) == 2:
            before = (times["closed"] < times["opened"]).fillna(False).to_numpy(dtype=bool)
            flag(before, cols["closed"], lambda p: f"closed {_show(times['closed'].iat[p])} before opened "
                                                   f"{_show(times['opened'].iat[p])}")
        if cols["author_role"]:
            raw_roles = col(cols["author_role"])
            roles = author_roles(raw_roles)
            given = (as_text(raw_roles)[0].str.strip().fillna("") != "").to_numpy()
            flag(roles.isna().to_numpy() & given, cols["author_role"],
                 lambda p: f"author role {_show(raw_roles.iat[p])} is neither customer nor agent "
                           f"({', '.join(sorted(set(ROLE_WORDS)))})")
            out["author_role"] = roles.fillna("customer")  # an empty cell: feedback, as without the role
        for spec, c in cols["outcomes"]:  # churn flags, values, durations: a bad value rejects its row, with why
            out[spec.name] = self._outcome(spec, c, col(c), flag, col(cols["customer"]))
        for name, c in cols["keep"]:  # carried as read; all-text columns get the str dtype like the others
            kept = col(c)
            out[name] = kept.astype("str") if pd.api.types.infer_dtype(kept, skipna=True) == "string" else kept

        bad = np.zeros(n, dtype=bool)
        bad[list(problems)] = True
        n_dup_ids = 0
        if ids is not None:
            n_dup_ids = self._duplicate_ids(ids, cols["id"], lines_arr, bad, flag)
            bad[list(problems)] = True
        keep = ~bad

        frame = pd.DataFrame({k: (v[keep] if isinstance(v, np.ndarray) else v[keep].reset_index(drop=True))
                              for k, v in out.items()})
        if ids is not None:
            doc_ids = ids[keep].astype("str").reset_index(drop=True)
        else:
            doc_ids = pd.Series(_doc_ids(self.source, lines_arr[keep], text[keep]), dtype="str")
        frame.insert(0, "doc_id", doc_ids)
        dup_text = self._duplicate_texts(text[keep])
        frame["duplicate_text"] = dup_text
        frame["line"] = frame["line"].astype("int64")

        rows = list(pre_rejects)
        if problems:
            order = sorted(problems)
            records = raw.iloc[order].to_dict("records")
            for pos, rec in zip(order, records):
                found = problems[pos]
                columns = list(dict.fromkeys(c for c, _ in found if c))
                rows.append(reject_row(self.source, int(lines_arr[pos]), "; ".join(columns) or None,
                                       "; ".join(r for _, r in found), {str(k): _jsonable(v) for k, v in rec.items()}))
        rejects = _rejects_frame(rows)
        stats = {"rows_read": n + len(pre_rejects), "accepted": int(keep.sum()), "rejected": len(rejects),
                 "duplicate_ids": n_dup_ids, "duplicate_texts": int(dup_text.sum()),
                 "text_column": None if text_col is None else str(text_col),
                 "text_column_detected": self.text_detected,
                 **({"outcome_kinds": dict(self.outcome_kinds)} if self.outcome_kinds else {})}
        if len(rejects):
            log.debug("%s: %d of %d rows rejected", self.source, len(rejects), stats["rows_read"])
        return IngestResult(frame, rejects, stats)

    def _join_customers(self, raw: pd.DataFrame) -> pd.DataFrame:
        assert self.customers is not None
        if not self.mapping.customer:
            raise ConfigError("--customers needs the customer id column: --conversation customer=COLUMN")
        col = self._find(self.mapping.customer, "customer", [str(c) for c in raw.columns])
        return self.customers.join(raw, col)

    def customer_rejects(self) -> pd.DataFrame:
        """The customer file's rejects (duplicate ids, rows matching no feedback customer),
        once every chunk has been read."""
        return _rejects_frame(self.customers.rejects()) if self.customers is not None else _rejects_frame([])

    def finish(self) -> None:
        """After the last chunk: a mapped column that no record had is an unknown column
        (with ``missing_optional="ignore"``, only the text column)."""
        for name, role in self.unseen.items():
            if self.missing_optional != "ignore" or role == "text column":
                raise UnknownColumn(name, redact_columns(list(self.seen_columns)), role=role, path=self.where)

    def _outcome(self, spec: Any, column: str, values: pd.Series, flag: Any, customers: pd.Series) -> np.ndarray:
        """An outcome column as numbers (binary 0/1, value, hours); its kind is resolved on
        the first chunk and kept, so every chunk reads the column alike. A bad value from
        the customer file is that file's reject (its line), and the feedback rows stay."""
        from voc.customers.outcomes import KIND_WORDS, coerce

        resolved = self.outcome_kinds.get(spec.name)
        arr, bad, kind = coerce(values, spec if resolved is None else dataclasses.replace(spec, kind=resolved))
        self.outcome_kinds[spec.name] = kind

        def reason(p: int) -> str:
            return f"outcome '{spec.name}' {_show(values.iat[p])}: expected {KIND_WORDS.get(kind, kind)}"

        crm = self.customers
        if crm is not None and crm.table is not None and column in crm.table.columns:
            for p in np.flatnonzero(bad).tolist():
                crm.reject_value(str(customers.iat[p]).strip(), column, reason(p))
            return np.where(bad, np.nan, np.asarray(arr, dtype=float))
        flag(bad, column, reason)
        return np.asarray(arr, dtype=float)

    def _scores(self, spec: ScoreSpec, column: str, values: pd.Series, flag: Any) -> pd.Series:
        scores, bad = parse_scores(values)
        flag(bad, column, lambda p: f"score '{spec.label}' not numeric: {_show(values.iat[p])}")
        lo, hi = spec.bounds()
        arr = scores.to_numpy()
        out_of_range = np.zeros(len(arr), dtype=bool)
        with np.errstate(invalid="ignore"):
            if lo is not None:
                out_of_range |= arr < lo
            if hi is not None:
                out_of_range |= arr > hi
        span = f"{'' if lo is None else f'{lo:g}'}-{'' if hi is None else f'{hi:g}'}"
        flag(out_of_range, column, lambda p: f"{spec.label} {arr[p]:g} out of range {span}")
        return scores

    def _duplicate_ids(self, ids: pd.Series, column: str, lines: np.ndarray, bad: np.ndarray, flag: Any) -> int:
        """Reject later rows whose id a valid row already has (in this chunk or an earlier one)."""
        valid = ids[~bad]
        if valid.empty:
            return 0
        vlines = pd.Series(lines[~bad], index=valid.index)
        within = valid.duplicated(keep="first")
        earlier = valid.map(self.seen_ids) if self.seen_ids else pd.Series(np.nan, index=valid.index)
        dup = (within | earlier.notna()).to_numpy()
        if not dup.any():
            self.seen_ids.update(zip(valid.tolist(), vlines.tolist()))
            return 0
        first = earlier.fillna(vlines.groupby(valid.to_numpy()).transform("first")).astype("int64")
        mask = np.zeros(len(ids), dtype=bool)
        mask[np.flatnonzero(~bad)[dup]] = True
        flag(mask, column, lambda p: f"duplicate id {_show(ids.iat[p])} (first seen on line {int(first.loc[p])})")
        fresh = ~dup
        self.seen_ids.update(zip(valid[fresh].tolist(), vlines[fresh].tolist()))
        return int(dup.sum())

    def _duplicate_texts(self, texts: pd.Series) -> np.ndarray:
        """Flag texts seen before (whitespace collapsed, case-folded). Hashes, not texts,
        are kept across chunks to bound memory; plain Python is faster here than a regex."""
        seen = self.seen_texts
        dup = np.zeros(len(texts), dtype=bool)
        for i, t in enumerate(texts.tolist()):
            h = hash(" ".join(t.split()).casefold())
            if h in seen:
                dup[i] = True
            else:
                seen.add(h)
        return dup


#: What an author-role (or inbound flag) cell may say: the customer wrote it, or an agent /
#: the brand did. An inbound flag is true for customers.
ROLE_WORDS = {
    **dict.fromkeys(("customer", "client", "user", "requester", "end-user", "end_user", "consumer", "inbound",
                     "true", "yes", "1", "in"), "customer"),
    **dict.fromkeys(("agent", "brand", "staff", "support", "company", "admin", "employee", "operator", "outbound",
                     "false", "no", "0", "out"), "agent"),
}


def author_roles(s: pd.Series) -> pd.Series:
    """``customer`` / ``agent`` per cell (:data:`ROLE_WORDS`, case-insensitive; booleans as
    an inbound flag); NA for an empty cell or an unknown word (the validator rejects those)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.where(s.to_numpy(dtype=bool), "customer", "agent"), index=s.index, dtype="string")
    txt, _ = as_text(s.map(lambda v: str(v).lower() if isinstance(v, bool) else v))
    key = txt.str.strip().str.lower()
    key = key.str.replace(r"\.0$", "", regex=True)  # 1.0 / 0.0 from a numeric column
    return key.map(ROLE_WORDS).astype("string")


def _label_text(s: pd.Series) -> pd.Series:
    """Channel/segment cells as text; a list or object cell becomes its JSON form."""
    txt, containers = as_text(s)
    if containers.any():
        dumped = [json.dumps(_jsonable(v), ensure_ascii=False, default=str) for v in s[containers]]
        txt = txt.copy()
        txt[containers] = dumped
    return txt


def validate(raw: pd.DataFrame, mapping: ColumnMapping | None, lines: Any, source: str,
             missing_optional: str = "error", customers: "CustomerFile | None" = None) -> IngestResult:
    """Validate a DataFrame already in memory. ``lines`` gives each row's position in the
    source (e.g. ``df.index + 2`` for a CSV read with pandas: header is line 1);
    ``customers`` is a customer extract joined by customer id."""
    validator = Validator(mapping, source, missing_optional=missing_optional, customers=customers)
    result = with_customer_rejects(validator.run(raw, lines), validator)
    result.stats.update({"format": "dataframe", "path": None, "encoding": None, "delimiter": None,
                         "blank_lines": 0, "nul_bytes": 0})
    return result


def with_customer_rejects(result: IngestResult, validator: Validator) -> IngestResult:
    """``result`` with the customer file's rejects and counts added (after the last chunk)."""
    if validator.customers is None:
        return result
    extra = validator.customer_rejects()
    if len(extra):
        result.rejects = pd.concat([result.rejects, extra], ignore_index=True) if len(result.rejects) else extra
    result.stats.update(validator.customers.stats())
    result.stats["customer_file_rejected"] = int(len(extra))
    return result


def frame_to_feedback(df: pd.DataFrame, mapping: ColumnMapping | None = None, *,
                      missing_optional: str = "error", customers: "CustomerFile | None" = None) -> IngestResult:
    """Validate a DataFrame passed from Python; ``line`` is the 1-based row position.
    ``missing_optional="ignore"`` lets mapped columns other than text be absent."""
    if len(df) == 0:
        raise EmptyInput("the DataFrame has no rows: nothing to analyse")
    return validate(df, mapping, np.arange(1, len(df) + 1), "<dataframe>", missing_optional, customers)
