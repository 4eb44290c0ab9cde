"""Read the exports CX teams actually have (CSV/TSV/TXT, JSONL, JSON, Parquet, Excel,
gzip-compressed text) into validated feedback rows.

Readers only split a file into raw rows with their source line numbers; rows that cannot
even be split (ragged CSV rows, malformed JSON lines, an unclosed quote at the end of the
file) become rejects right here. Everything else is checked by :mod:`voc.io.validate`.

Line numbers: CSV and JSONL give the physical line where a record starts (header = line 1;
a quoted field with newlines spans several lines). JSON arrays give the line where each
object starts. Excel gives the sheet row (data row 1 is line 2). Parquet gives the row
number (1-based).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.errors import ConfigError, EmptyInput, InputFileNotFound, UnreadableInput, UnsupportedFormat, VocError
from voc.io.mapping import ColumnMapping
from voc.io.validate import IngestResult, Validator, redact_columns, reject_row, with_customer_rejects

if TYPE_CHECKING:
    from voc.customers.crm import CustomerFile

log = logging.getLogger("voc")

#: File extension -> format. ``.gz`` is stripped first (and also detected from magic bytes).
EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".tab": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
              ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel", ".xlsm": "excel",
              ".xls": "excel"}
FORMAT_NAMES = {"csv": "csv", "tsv": "csv", "txt": "csv", "text": "csv", "jsonl": "jsonl", "ndjson": "jsonl",
                "json": "json", "parquet": "parquet", "excel": "excel", "xlsx": "excel", "xls": "excel"}
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 18
# Single-byte Latin code pages that charset-normalizer confuses on short texts; a
# Western export in any of them is almost always cp1252 (Excel on Windows).
_LATIN_LIKE = {"ascii", "latin_1", "cp1252", "cp1250", "cp1254", "cp1257", "mac_roman", "mac_latin2", "cp437",
               "cp850", "cp852", "cp858", *(f"iso8859_{i}" for i in (2, 3, 4, 9, 10, 13, 14, 15, 16))}
_JSON = json.JSONDecoder(strict=False)  # tolerate raw tabs/newlines inside strings, common in exports
_QUOTED = re.compile(r'"(?:[^"]++|"")*+"')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # "\ud83d" in JSON text: maybe half an emoji
_SURROGATE = re.compile("[\ud800-\udfff]")

if csv.field_size_limit() < 2**31 - 1:  # long verbatims (and unclosed quotes) exceed the 128 KiB default
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


#: What a reader yields per chunk: raw rows, their source lines, reader-level rejects, counts.
_Chunk = tuple[pd.DataFrame, "list[int] | np.ndarray", list[dict[str, Any]], dict[str, int]]


@dataclass
class _Batch:
    """Rows, line numbers and reader-level rejects collected for the next chunk."""

    columns: list[str] | None = None
    rows: list[Any] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    blank: int = 0
    nul: int = 0

    def full(self, chunksize: int | None) -> bool:
        return bool(chunksize) and len(self.rows) + len(self.rejects) >= chunksize  # type: ignore[operator]

    def pending(self) -> bool:
        return bool(self.rows or self.rejects or self.blank or self.nul)

    def take(self) -> _Chunk:
        chunk = (pd.DataFrame(self.rows, columns=self.columns, dtype=object), self.lines, self.rejects,
                 {"blank_lines": self.blank, "nul_bytes": self.nul})
        self.rows, self.lines, self.rejects, self.blank, self.nul = [], [], [], 0, 0
        return chunk


@dataclass
class _Source:
    path: Path
    fmt: str
    gz: bool
    tsv_hint: bool
    encoding: str | None = None
    errors: str = "strict"
    delimiter: str | None = None
    sheet: str | int | None = None
    decode_errors: int = 0
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    def open_binary(self) -> IO[bytes]:
        return gzip.open(self.path, "rb") if self.gz else open(self.path, "rb")

    def open_text(self) -> IO[str]:
        assert self.encoding is not None
        return io.TextIOWrapper(self.open_binary(), encoding=self.encoding, errors=self.errors, newline="")


# -- opening: format, compression, encoding -------------------------------------------

def _open_source(path: str | Path, format: str | None, encoding: str | None, delimiter: str | None,
                 sheet: str | int | None) -> _Source:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputFileNotFound(f"input file {str(p)!r} not found; check the path (relative to {Path.cwd()})")
    if p.is_dir():
        raise InputFileNotFound(f"{str(p)!r} is a directory; pass the feedback file itself")
    suffixes = [s.lower() for s in p.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    ext = suffixes[-2] if gz and len(suffixes) > 1 else (suffixes[-1] if suffixes and not gz else "")
    fmt = FORMAT_NAMES.get(format.lower().lstrip(".")) if format is not None else EXTENSIONS.get(ext)
    if fmt is None:
        what = f"format {format!r} is not supported" if format else f"cannot tell the format of {p.name!r}"
        raise UnsupportedFormat(f"{what}; supported: {', '.join(sorted(EXTENSIONS))} (optionally .gz). "
                                f"Pass format= (or --format) with one of {', '.join(sorted(FORMAT_NAMES))}")
    if fmt in ("csv", "jsonl", "json") and not gz:
        with open(p, "rb") as f:
            gz = f.read(2) == b"\x1f\x8b"
    if p.stat().st_size == 0:
        raise EmptyInput(f"{p.name} is empty: no rows to analyse")
    src = _Source(p, fmt, gz, tsv_hint=(ext in (".tsv", ".tab") or (format or "").lower() == "tsv"), sheet=sheet)
    src.stats = {"path": str(p), "format": fmt, "encoding": None, "delimiter": None}
    if fmt in ("csv", "jsonl", "json"):
        src.encoding, src.errors = _choose_encoding(src, encoding)
        src.stats["encoding"] = src.encoding
        if src.errors != "strict":
            src.stats["decode_errors"] = src.decode_errors
    if delimiter is not None:
        d = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(delimiter.lower(), delimiter)
        if len(d) != 1:
            raise ConfigError(f"delimiter {delimiter!r} must be one character (or tab/comma/semicolon/pipe)")
        src.delimiter = d
    if gz:
        src.stats["compression"] = "gzip"
    return src


def _choose_encoding(src: _Source, encoding: str | None) -> tuple[str, str]:
    """The text encoding: the one given, a BOM, UTF-8 (tolerating a few stray bytes),
    charset-normalizer for non-Latin scripts, else cp1252 / latin-1."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ConfigError(f"unknown encoding {encoding!r}; try utf-8, cp1252 or latin-1") from exc
        return encoding, "strict"
    try:
        with src.open_binary() as f:
            sample = f.read(SAMPLE_BYTES)
    except (OSError, EOFError) as exc:
        raise UnreadableInput(f"{src.name}: cannot read the file ({exc})") from exc
    if not sample:
        raise EmptyInput(f"{src.name} is empty: no rows to analyse")
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", "strict"
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "strict"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if len(sample) >= 4 and max(even, odd) > 0.3 * len(sample) / 2 and min(even, odd) < 0.05 * max(even, odd):
        return ("utf-16-le" if odd > even else "utf-16-be"), "strict"
    invalid, non_ascii = _scan(src, "utf-8")
    src.decode_errors = invalid
    if invalid == 0:
        return "utf-8", "strict"
    if non_ascii - invalid >= 20 * invalid:
        log.warning("%s: %d bytes are not valid UTF-8 and were replaced by U+FFFD", src.name, invalid)
        return "utf-8", "replace"
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(sample).best()
        guess = best.encoding if best else None
    except Exception:  # noqa: BLE001 - detection is best effort; the fallback below is safe
        guess = None
    for enc in ([guess] if guess and guess not in _LATIN_LIKE else []) + ["cp1252"]:
        if _scan(src, enc)[0] == 0:
            return enc, "strict"
    return "latin-1", "strict"


def _scan(src: _Source, encoding: str) -> tuple[int, int]:
    """Decode the whole file in blocks (bounded memory): (undecodable bytes, non-ASCII characters)."""
    dec = codecs.getincrementaldecoder(encoding)(errors="replace")
    invalid = non_ascii = 0
    try:
        with src.open_binary() as f:
            while True:
                block = f.read(1 << 22)
                text = dec.decode(block, final=not block)
                if not text.isascii():  # (a U+FFFD already in a UTF-8 file is not a decoding error)
                    invalid += text.count("\ufffd") - (block.count(b"\xef\xbf\xbd") if encoding == "utf-8" else 0)
                    non_ascii += len(text) - len(text.encode("ascii", "ignore"))
                if not block:
                    return invalid, non_ascii
    except (OSError, EOFError) as exc:
        raise UnreadableInput(f"{src.name}: cannot read the file ({exc}); is the gzip file truncated?") from exc


def _decode_error(src: _Source, exc: UnicodeDecodeError, line: int | None = None) -> UnreadableInput:
    found = _first_undecodable(src)
    if found is not None:
        near = f" on line {found[0]}, byte {found[1]}"
    else:
        near = f" near line {line}" if line else ""
    return UnreadableInput(f"{src.name}: not valid {src.encoding}{near} ({exc.reason}); "
                           f"pass the right encoding (e.g. --encoding cp1252) or omit it to auto-detect")


def _first_undecodable(src: _Source) -> tuple[int, int] | None:
    """(line, byte in that line) of the first byte ``src.encoding`` cannot decode. The
    text reader decodes 8 KiB blocks, so the line it was on when decoding failed can be
    far before the bad byte. Only for encodings whose line feed is the byte 0x0A."""
    assert src.encoding is not None
    if codecs.lookup(src.encoding).name.startswith(("utf-16", "utf-32")):
        return None
    try:
        with src.open_binary() as f:
            for lineno, raw in enumerate(f, 1):
                try:
                    raw.decode(src.encoding if lineno == 1 else src.encoding.replace("utf-8-sig", "utf-8"))
                except UnicodeDecodeError as exc:
                    return lineno, exc.start + 1
    except (OSError, EOFError):
        return None
    return None


# -- CSV ------------------------------------------------------------------------------

class _LineFeed:
    """Feeds lines to ``csv.reader`` while keeping the raw lines of the current record
    (for rejects) and stripping NUL bytes, which the csv module cannot handle."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.buf: list[str] = []
        self.nul = 0

    def __iter__(self) -> Iterator[str]:
        for line in self.fh:
            if "\0" in line:
                self.nul += line.count("\0")
                line = line.replace("\0", "")
            self.buf.append(line)
            yield line


def _sniff_delimiter(src: _Source) -> str:
    """Pick among , ; TAB | the delimiter giving a multi-column header and the most
    rows with the header's field count (ties: the .tsv hint, then more columns)."""
    hint = "\t" if src.tsv_hint else ","
    try:
        with src.open_text() as fh:
            sample = fh.read(1 << 16).replace("\0", "")
            truncated = bool(fh.read(1))
    except UnicodeDecodeError:
        return hint
    best, best_key = hint, None
    for d in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=d) if r][:50]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]
        if not rows or len(rows[0]) < 2:
            continue
        n = len(rows[0])
        consistency = sum(len(r) == n for r in rows[1:]) / (len(rows) - 1) if len(rows) > 1 else 1.0
        key = (round(consistency, 1), d == hint, n)
        if best_key is None or key > best_key:
            best, best_key = d, key
    return best


def _unclosed_quote(text: str, delimiter: str) -> bool:
    """Whether the record starting ``text`` ends inside a quoted field (the csv module,
    non-strict, then silently returns the rest of the file as one field)."""
    unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    pos, n = 0, len(text)
    while pos < n:
        if text[pos] == '"':
            m = _QUOTED.match(text, pos)
            if m is None:
                return True
            pos = unquoted.match(text, m.end()).end()  # type: ignore[union-attr]
        else:
            pos = unquoted.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= n or text[pos] != delimiter:
            return False
        pos += 1
    return False


def _field_count(expected: int, found: int) -> str:
    return f"expected {expected} field{'s' * (expected != 1)}, found {found}"


def _clean_header(row: list[Any]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(row):
        name = "" if name is None else str(name).strip().lstrip("\ufeff")
        base = name or f"column_{i + 1}"
        name, k = base, 1
        while name in out:
            name, k = f"{base}.{k}", k + 1
        out.append(name)
    return out


def _check_header(src: _Source, names: list[str], line: int) -> None:
    """Record the column names (redacted) and warn when the header row looks like a record:
    exported without a header, a file's first record silently becomes its column names."""
    shown = redact_columns(names)
    why = None
    if shown != names:
        why = "holds personal data"
    elif any(len(n) > 60 and " " in n for n in names):
        why = "has a cell of more than 60 characters"
    if why:
        src.stats["header_looks_like_data"] = True
        log.warning("%s: the header row (line %d) %s, like a record; voc reads it as the column names, so if "
                    "the file has no header row, add one", src.name, line, why)
    src.stats["columns"] = shown


def _csv_chunks(src: _Source, chunksize: int | None) -> Iterator[_Chunk]:
    delim = src.delimiter or _sniff_delimiter(src)
    src.stats["delimiter"] = delim
    batch, prev_end = _Batch(), 0
    with src.open_text() as fh:
        feed = _LineFeed(fh)
        reader = csv.reader(feed, delimiter=delim, quotechar='"', doublequote=True, strict=False)
        while True:
            row, error = None, None
            try:
                row = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                raise _decode_error(src, exc, prev_end + 1) from exc
            except csv.Error as exc:
                error = str(exc)
            start, prev_end = prev_end + 1, reader.line_num
            rec, feed.buf = feed.buf, []
            raw = "".join(rec)
            if rec and (len(rec) > 1 or not rec[-1].endswith(("\n", "\r"))) and _unclosed_quote(raw, delim):
                error = (f"unclosed quote: the record starting on line {start} runs to the end of the file "
                         f"(line {prev_end}); close the quote in the export")
            if batch.columns is None:
                if error is not None:
                    raise UnreadableInput(f"{src.name}: cannot parse the header on line {start} ({error})")
                if row and any(f.strip() for f in row):
                    batch.columns = _clean_header(row)
                    _check_header(src, batch.columns, start)
                continue
            ncols = len(batch.columns)
            if error is not None:
                batch.rejects.append(reject_row(src.name, start, None, error, raw))
            elif not row or (len(row) != ncols and not any(f.strip() for f in row)):
                batch.blank += 1
                continue
            elif len(row) != ncols:
                batch.rejects.append(reject_row(src.name, start, None, _field_count(ncols, len(row)), raw))
            else:
                batch.rows.append(row)
                batch.lines.append(start)
            if batch.full(chunksize):
                batch.nul, feed.nul = feed.nul, 0
                yield batch.take()
        if batch.columns is None:
            raise EmptyInput(f"{src.name} has no header and no rows (only blank lines)")
        batch.nul, feed.nul = feed.nul, 0
        if batch.pending():
            yield batch.take()


# -- JSON Lines and JSON --------------------------------------------------------------

def _jsonl_chunks(src: _Source, chunksize: int | None, lines_in: Iterable[str] | None = None) -> Iterator[_Chunk]:
    """One object per line; a malformed line is a reject with its line number."""
    if lines_in is None:
        with src.open_text() as fh:
            try:
                yield from _jsonl_chunks(src, chunksize, fh)
            except UnicodeDecodeError as exc:
                raise _decode_error(src, exc) from exc
        return
    batch = _Batch()
    for lineno, line in enumerate(lines_in, 1):
        if "\0" in line:
            batch.nul += line.count("\0")
            line = line.replace("\0", "")
        text = line.strip().lstrip("\ufeff")  # files concatenated with `cat` keep each one's BOM
        if not text:
            batch.blank += 1
            continue
        try:
            obj = _json_value(src, _JSON.decode(text), text)
        except json.JSONDecodeError as exc:
            batch.rejects.append(reject_row(src.name, lineno, None, f"malformed JSON: {exc.msg} at column {exc.colno}",
                                            text))
        except RecursionError:
            batch.rejects.append(reject_row(src.name, lineno, None, "malformed JSON: nested too deeply", text))
        else:
            if isinstance(obj, dict):
                batch.rows.append(obj)
                batch.lines.append(lineno)
            else:
                batch.rejects.append(reject_row(src.name, lineno, None, _not_object(obj), text))
        if batch.full(chunksize):
            yield batch.take()
    if batch.pending():
        yield batch.take()


def _not_object(obj: Any) -> str:
    return f"expected a JSON object, found {type(obj).__name__}"


def _json_value(src: _Source, obj: Any, text: str) -> Any:
    """``obj`` with lone UTF-16 surrogates (a ``\\ud83d`` escape without its pair, left by
    a tool that cut an emoji in half) replaced by U+FFFD: they cannot be encoded as UTF-8,
    so every later step (Arrow, Parquet, the tokenizer) would fail on them."""
    if not _SURROGATE_ESCAPE.search(text):
        return obj
    fixed = _replace_surrogates(obj)
    if fixed != obj:
        src.stats["lone_surrogates"] = src.stats.get("lone_surrogates", 0) + 1
        if src.stats["lone_surrogates"] == 1:
            log.warning("%s: invalid \\u escapes (half of a surrogate pair) were replaced by U+FFFD", src.name)
    return fixed


def _replace_surrogates(obj: Any) -> Any:
    if isinstance(obj, str):
        return _SURROGATE.sub("\ufffd", obj)
    if isinstance(obj, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace_surrogates(v) for v in obj]
    return obj


def _json_chunks(src: _Source, chunksize: int | None) -> Iterator[_Chunk]:
    """A JSON array of objects, with the line where each object starts. The whole file
    is loaded (a JSON array cannot be streamed safely); use JSONL for very large files."""
    try:
        with src.open_text() as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise _decode_error(src, exc) from exc
    nul = text.count("\0")
    text = text.replace("\0", "")
    ws = re.compile(r"\s*")
    pos = ws.match(text).end()  # type: ignore[union-attr]
    if pos >= len(text):
        raise EmptyInput(f"{src.name} has no JSON content: no rows to analyse")
    if text[pos] == "{":
        try:
            obj = _JSON.decode(text)
        except (json.JSONDecodeError, RecursionError):  # several objects: JSON Lines with a .json name
            src.stats["format"] = "jsonl"
            yield from _jsonl_chunks(src, chunksize, io.StringIO(text))
            return
        keys = redact_columns(list(obj)[:10])
        raise UnreadableInput(f"{src.name}: one JSON object (keys {keys}), not an array of records; "
                              f"extract the list of records into a JSON array or JSON Lines file")
    if text[pos] != "[":
        raise UnreadableInput(f"{src.name}: expected a JSON array of objects or one object per line")
    entries: list[tuple[int, Any, str]] = []  # (line, object, raw text)
    pos, line, counted = ws.match(text, pos + 1).end(), 1, 0  # type: ignore[union-attr]
    try:
        while pos < len(text) and text[pos] != "]":
            line += text.count("\n", counted, pos)
            counted = pos
            try:
                obj, end = _JSON.raw_decode(text, pos)
            except RecursionError:
                raise UnreadableInput(f"{src.name}: the JSON element starting on line {line} is nested too deeply "
                                      f"to read; export flat records (JSON Lines)") from None
            obj = _json_value(src, obj, text[pos:end])
            entries.append((line, obj, text[pos:end] if not isinstance(obj, dict) else ""))
            pos = ws.match(text, end).end()  # type: ignore[union-attr]
            if pos < len(text) and text[pos] == ",":
                pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
            elif pos >= len(text) or text[pos] != "]":
                raise json.JSONDecodeError("expected ',' or ']' after an element", text, pos)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(f"{src.name}: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); "
                              f"fix the file or export JSON Lines so one bad record does not block the rest") from exc
    del text
    step = chunksize or max(1, len(entries))
    for lo in range(0, max(1, len(entries)), step):
        batch = _Batch(nul=nul if lo == 0 else 0)
        for ln, obj, raw in entries[lo:lo + step]:
            if isinstance(obj, dict):
                batch.rows.append(obj)
                batch.lines.append(ln)
            else:
                batch.rejects.append(reject_row(src.name, ln, None, _not_object(obj), raw))
        yield batch.take()


# -- Parquet and Excel ----------------------------------------------------------------

def _parquet_chunks(src: _Source, chunksize: int | None) -> Iterator[_Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src.path)
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableInput(f"{src.name}: not a readable Parquet file ({exc})") from exc
    names = list(pf.schema_arrow.names)
    unique = _clean_header(names) if len(set(names)) < len(names) else None  # "text", "text" -> "text", "text.1"
    src.stats["columns"] = unique or names
    total = pf.metadata.num_rows

    def ints(t: Any) -> Any:  # nullable ints: an int text/id column must give "42", not "42.0"
        return pd.Int64Dtype() if pa.types.is_integer(t) else None

    offset = 0
    for batch in pf.iter_batches(batch_size=chunksize or max(1, total)):
        if unique is not None:
            batch = batch.rename_columns(unique)
        df = batch.to_pandas(types_mapper=ints)
        yield df, np.arange(offset + 1, offset + len(df) + 1), [], {}
        offset += len(df)


def _excel_chunks(src: _Source, chunksize: int | None) -> Iterator[_Chunk]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(src.path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        if src.path.suffix.lower() == ".xls":
            raise UnsupportedFormat(f"{src.name}: legacy .xls workbooks cannot be read; open it in Excel and "
                                    f"save as .xlsx, or export CSV") from exc
        raise UnreadableInput(f"{src.name}: not a readable .xlsx workbook ({exc})") from exc
    try:
        names = wb.sheetnames
        if src.sheet is None:
            ws = wb[names[0]]
        elif isinstance(src.sheet, int):
            if not 0 <= src.sheet < len(names):
                raise ConfigError(f"{src.name} has {len(names)} sheets ({names}); there is no sheet {src.sheet}")
            ws = wb[names[src.sheet]]
        elif src.sheet in names:
            ws = wb[src.sheet]
        else:
            raise ConfigError(f"sheet {src.sheet!r} not found in {src.name}; sheets: {names}")
        src.stats["sheet"] = ws.title
        if len(names) > 1:
            src.stats["sheets"] = list(names)
            if src.sheet is None:
                log.info("%s has %d sheets; reading the first, %r (pass sheet= to choose)",
                         src.name, len(names), ws.title)
        batch = _Batch()
        for rownum, values in enumerate(ws.iter_rows(values_only=True), 1):
            vals = list(values)
            while vals and (vals[-1] is None or (isinstance(vals[-1], str) and not vals[-1].strip())):
                vals.pop()
            if batch.columns is None:
                if vals:
                    batch.columns = _clean_header(vals)
                    _check_header(src, batch.columns, rownum)
                continue
            ncols = len(batch.columns)
            if not vals:
                batch.blank += 1
                continue
            if len(vals) > ncols:
                batch.rejects.append(reject_row(src.name, rownum, None, _field_count(ncols, len(vals)),
                                                [_cell(v) for v in vals]))
            else:
                batch.rows.append(vals + [None] * (ncols - len(vals)))
                batch.lines.append(rownum)
            if batch.full(chunksize):
                yield batch.take()
        if batch.columns is not None and batch.pending():
            yield batch.take()
    finally:
        wb.close()


def _cell(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


_READERS: dict[str, Callable[[_Source, int | None], Iterator[_Chunk]]] = {
    "csv": _csv_chunks, "jsonl": _jsonl_chunks, "json": _json_chunks, "parquet": _parquet_chunks,
    "excel": _excel_chunks,
}


# -- public API -----------------------------------------------------------------------

def _results(src: _Source, mapping: ColumnMapping | None, chunksize: int | None,
             missing_optional: str = "error", customers: "CustomerFile | None" = None) -> Iterator[IngestResult]:
    validator = Validator(mapping, src.name, str(src.path), missing_optional, sparse=src.fmt in ("jsonl", "json"),
                          customers=customers)
    last: IngestResult | None = None
    rows_read = 0
    for i, (frame, lines, rejects, counts) in enumerate(_READERS[src.fmt](src, chunksize)):
        result = validator.run(frame, lines, rejects)
        rows_read += result.stats["rows_read"]
        if rows_read == 0:
            continue
        result.stats = {**src.stats, "blank_lines": 0, "nul_bytes": 0, **counts, **result.stats, "chunk": i}
        if result.stats.get("nul_bytes"):
            log.warning("%s: stripped %d NUL bytes", src.name, result.stats["nul_bytes"])
        if last is not None:
            yield last
        last = result
    if rows_read == 0 or last is None:
        raise EmptyInput(f"{src.name} has no rows (header only or blank): nothing to analyse")
    validator.finish()
    yield with_customer_rejects(last, validator)  # the customer file's rejects are known after the last chunk


def read_columns(path: str | Path, *, format: str | None = None, encoding: str | None = None,
                 delimiter: str | None = None, sheet: str | int | None = None) -> list[str]:
    """The column names of a feedback file (its header, or the keys of its first records),
    read as :func:`read_feedback` would, without validating any row."""
    src = _open_source(path, format, encoding, delimiter, sheet)
    for frame, _, _, _ in _READERS[src.fmt](src, 1):
        return [str(c) for c in frame.columns]
    raise EmptyInput(f"{src.name} has no rows (header only or blank): nothing to analyse")


def read_records(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None,
                 limit: int | None = None) -> tuple[list[list[str]], list[int]]:
    """Every CSV record of ``path`` with the line it starts on, header rows included, read
    with voc's encoding and delimiter detection: for exports whose layout has several
    header rows (``voc.io.presets``). A quoted answer spanning lines keeps the next
    record's line right."""
    src = _open_source(path, None, encoding, delimiter, None)
    if src.fmt != "csv":
        raise UnsupportedFormat(f"{src.name}: expected a CSV export, not {src.fmt}")
    delim = src.delimiter or _sniff_delimiter(src)
    rows: list[list[str]] = []
    starts: list[int] = []
    prev = 0
    with src.open_text() as fh:
        reader = csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True, strict=False)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                raise _decode_error(src, exc, prev + 1) from exc
            if row and any(f.strip() for f in row):
                rows.append([f.lstrip("\ufeff") if not rows and i == 0 else f for i, f in enumerate(row)])
                starts.append(prev + 1)
                if limit is not None and len(rows) >= limit:
                    break
            prev = reader.line_num
    return rows, starts


def head_records(path: str | Path, n: int = 3) -> list[list[str]]:
    """The first ``n`` CSV records of ``path`` (encoding and delimiter detected), for telling
    an export's layout from its header rows; empty when the file is not readable as CSV."""
    try:
        return read_records(path, limit=n)[0]
    except (VocError, OSError, UnicodeError, csv.Error):
        return []


def read_text(path: str | Path, *, encoding: str | None = None) -> str:
    """The whole of ``path`` as text, read with voc's encoding detection (a BOM, UTF-16
    without one, gzip): for exports that are one JSON document (voc.io.presets)."""
    src = _open_source(path, "json", encoding, None, None)
    with src.open_text() as fh:
        return fh.read().lstrip("\ufeff")


def read_feedback(path: str | Path, mapping: ColumnMapping | None = None, *, format: str | None = None,
                  encoding: str | None = None, delimiter: str | None = None,
                  sheet: str | int | None = None, missing_optional: str = "error",
                  customers: "CustomerFile | None" = None) -> IngestResult:
    """Read a feedback file into accepted rows and rejects (``accepted + rejected == rows_read``).

    Format comes from the extension unless ``format`` is given; encoding and delimiter
    are detected unless given. Raises :class:`~voc.errors.VocError` subclasses for
    missing, unsupported, unreadable or empty files and for unknown columns (with
    ``missing_optional="ignore"``, only for a missing text column). ``customers`` is a
    customer extract (:class:`voc.customers.crm.CustomerFile`) joined by customer id; its
    rejects join the file's.
    """
    src = _open_source(path, format, encoding, delimiter, sheet)
    result = IngestResult.combine(list(_results(src, mapping, None, missing_optional, customers)))
    s = result.stats
    log.info("%s: %d rows read, %d accepted, %d rejected", src.name, s["rows_read"], s["accepted"], s["rejected"])
    return result


def iter_feedback(path: str | Path, mapping: ColumnMapping | None = None, *, chunksize: int = 50_000,
                  format: str | None = None, encoding: str | None = None, delimiter: str | None = None,
                  sheet: str | int | None = None, missing_optional: str = "error") -> Iterator[IngestResult]:
    """Like :func:`read_feedback` in chunks of about ``chunksize`` rows, for files larger
    than memory. Line numbers stay global, and duplicate ids/texts are checked across
    chunks, so ``IngestResult.combine(list(iter_feedback(...)))`` equals ``read_feedback``.
    File errors (missing, unsupported format) are raised here, not on first iteration."""
    if chunksize < 1:
        raise ConfigError(f"chunksize must be at least 1, got {chunksize}")
    src = _open_source(path, format, encoding, delimiter, sheet)
    return _results(src, mapping, chunksize, missing_optional)
