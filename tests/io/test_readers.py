"""Reading every supported format: encodings, delimiters, line numbers, rejects, errors.

Fixtures are written into tmp_path by each test, so each test shows its own input.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from voc.errors import ConfigError, EmptyInput, InputFileNotFound, UnknownColumn, UnreadableInput, UnsupportedFormat
from voc.io import ColumnMapping, IngestResult, ScoreSpec, iter_feedback, read_feedback
from voc.io.validate import REJECT_COLUMNS


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def check_counts(r: IngestResult) -> None:
    """The core promise: every row read is either accepted or rejected, once."""
    s = r.stats
    assert s["accepted"] + s["rejected"] == s["rows_read"]
    assert len(r.frame) == s["accepted"] and len(r.rejects) == s["rejected"]
    assert list(r.rejects.columns) == REJECT_COLUMNS
    assert not set(r.frame["line"]) & set(r.rejects["line"])


MAPPING = ColumnMapping(text="text", id="id", scores=[ScoreSpec("nps", "nps")])


# -- CSV: encodings and delimiters -------------------------------------------------------

def test_csv_basic(tmp_path):
    r = read_feedback(write(tmp_path / "a.csv", "id,text,nps\n1,Great app,9\n2,Slow delivery,3\n"), MAPPING)
    check_counts(r)
    assert r.frame["doc_id"].tolist() == ["1", "2"]
    assert r.frame["text"].tolist() == ["Great app", "Slow delivery"]
    assert r.frame["line"].tolist() == [2, 3]
    assert r.frame["nps"].tolist() == [9.0, 3.0]
    assert r.stats["format"] == "csv" and r.stats["delimiter"] == "," and r.stats["encoding"] == "utf-8"


def test_csv_utf8_bom(tmp_path):
    r = read_feedback(write(tmp_path / "bom.csv", "id,text\n1,Très bien\n", "utf-8-sig"), ColumnMapping(id="id"))
    assert r.stats["encoding"] == "utf-8-sig"
    assert r.frame["doc_id"].tolist() == ["1"]  # the header's first name is "id", not "\ufeffid"
    assert r.frame["text"].tolist() == ["Très bien"]


def test_csv_utf16_bom(tmp_path):
    r = read_feedback(write(tmp_path / "u16.csv", "id,text\n1,Ça marche\n", "utf-16"), ColumnMapping(id="id"))
    assert r.stats["encoding"] == "utf-16"
    assert r.frame["text"].tolist() == ["Ça marche"]


def test_csv_cp1252(tmp_path):
    body = "id;text\n1;Café trop cher: 5 € de plus\n2;Déçu par la livraison à Noël\n"
    r = read_feedback(write(tmp_path / "win.csv", body, "cp1252"))
    assert r.stats["encoding"] == "cp1252"
    assert r.frame["text"].tolist() == ["Café trop cher: 5 € de plus", "Déçu par la livraison à Noël"]


def test_mostly_utf8_with_a_stray_byte_stays_utf8(tmp_path):
    good = "".join(f"{i},Très bon café numéro {i}\n" for i in range(30))
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,text\n" + good.encode("utf-8") + b"99,caf\xe9\n")
    r = read_feedback(path)
    assert r.stats["encoding"] == "utf-8" and r.stats["decode_errors"] == 1
    assert r.frame["text"].iloc[0] == "Très bon café numéro 0"
    assert r.frame["text"].iloc[-1] == "caf\ufffd"
    r = read_feedback(write(tmp_path / "fffd.csv", "id,text\n1,already broken \ufffd here\n"))
    assert r.stats["encoding"] == "utf-8" and "decode_errors" not in r.stats


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_delimiter_sniffing(tmp_path, delim):
    rows = ["id", "text", "nps"], ["1", "Fast, friendly, cheap", "10"], ["2", "Too slow, sadly", "2"]
    r = read_feedback(write(tmp_path / "d.csv", "".join(delim.join(x) + "\n" for x in rows)), MAPPING)
    assert r.stats["delimiter"] == delim
    assert r.frame["text"].tolist() == ["Fast, friendly, cheap", "Too slow, sadly"]


def test_delimiter_chosen_by_consistency(tmp_path):
    body = "id;text;price (EUR, incl. VAT)\n1;Nice, cheap;4,5\n2;Fine;3\n3;Ok, I guess, really;7,25\n"
    r = read_feedback(write(tmp_path / "eu.csv", body))
    assert r.stats["delimiter"] == ";"
    assert r.frame["text"].tolist() == ["Nice, cheap", "Fine", "Ok, I guess, really"]


def test_tsv_extension_and_explicit_delimiter(tmp_path):
    r = read_feedback(write(tmp_path / "d.tsv", "id\ttext\n1\tfine\n"), ColumnMapping(id="id"))
    assert r.stats["delimiter"] == "\t"
    r = read_feedback(write(tmp_path / "d.txt", "text|x\nok;fine|1\n"), delimiter="pipe")
    assert r.frame["text"].tolist() == ["ok;fine"]


# -- CSV: line numbers and broken rows ---------------------------------------------------

def test_line_numbers_after_multiline_record(tmp_path):
    body = ('id,text\r\n1,"first line\r\nsecond line\r\nthird line"\r\n2,after the multi-line record\r\n'
            '\r\n3,"quoted ""inner"" text"\r\n')
    r = read_feedback(write(tmp_path / "ml.csv", body), ColumnMapping(id="id"))
    check_counts(r)
    assert r.frame["line"].tolist() == [2, 5, 7]
    assert r.frame["text"].iloc[0] == "first line\r\nsecond line\r\nthird line"
    assert r.frame["text"].iloc[2] == 'quoted "inner" text'
    assert r.stats["blank_lines"] == 1


def test_ragged_rows_are_rejected_without_shifting(tmp_path):
    body = "id,text,nps\n1,ok,5\n2,too,many,fields,7\n3,few\n4,\"multi\nline\",8\n5,last,1\n"
    r = read_feedback(write(tmp_path / "rag.csv", body), MAPPING)
    check_counts(r)
    assert r.frame["doc_id"].tolist() == ["1", "4", "5"]
    assert r.frame["line"].tolist() == [2, 5, 7]
    rej = r.rejects.set_index("line")
    assert rej.loc[3, "reason"] == "expected 3 fields, found 5"
    assert rej.loc[4, "reason"] == "expected 3 fields, found 2"
    assert rej.loc[3, "record"] == "2,too,many,fields,7\n"
    assert rej.loc[3, "source"] == "rag.csv"


def test_unclosed_quote_at_end_is_rejected_with_its_line(tmp_path):
    body = 'id,text\n1,fine\n2,"never closed\n3,swallowed\n4,also swallowed\n'
    r = read_feedback(write(tmp_path / "q.csv", body), ColumnMapping(id="id"))
    check_counts(r)
    assert r.frame["doc_id"].tolist() == ["1"]
    assert r.rejects["line"].tolist() == [3]
    assert "unclosed quote" in r.rejects["reason"].iloc[0] and "line 5" in r.rejects["reason"].iloc[0]


def test_nul_bytes_are_stripped_and_counted(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,text\n1,he\x00llo\n2,wor\x00\x00ld\n")
    r = read_feedback(path, ColumnMapping(id="id"))
    assert r.frame["text"].tolist() == ["hello", "world"]
    assert r.stats["nul_bytes"] == 3


def test_gzip_csv(tmp_path):
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress("id,text\n1,zipped feedback\n".encode()))
    r = read_feedback(path, ColumnMapping(id="id"))
    assert r.frame["text"].tolist() == ["zipped feedback"] and r.stats["compression"] == "gzip"


# -- JSON Lines, JSON, Parquet, Excel ----------------------------------------------------

def test_jsonl_broken_line(tmp_path):
    body = ('{"id": "a", "text": "good", "nps": 9}\n{"id": "b", "text": "bro\n\n[1, 2]\n'
            '{"id": "c", "text": "fine", "extra": {"k": 1}}\n')
    r = read_feedback(write(tmp_path / "f.jsonl", body), MAPPING)
    check_counts(r)
    assert r.frame["doc_id"].tolist() == ["a", "c"] and r.frame["line"].tolist() == [1, 5]
    assert r.rejects["line"].tolist() == [2, 4]
    assert r.rejects["reason"].iloc[0].startswith("malformed JSON")
    assert r.rejects["reason"].iloc[1] == "expected a JSON object, found list"
    assert r.stats["format"] == "jsonl"


def test_jsonl_tolerates_raw_control_characters_in_strings(tmp_path):
    r = read_feedback(write(tmp_path / "t.jsonl", '{"text": "pasted\tfrom a spreadsheet"}\n'))
    assert r.frame["text"].tolist() == ["pasted\tfrom a spreadsheet"]


def test_json_array_lines_and_errors(tmp_path):
    data = [{"id": 1, "text": "one"}, {"id": 2, "text": "two"}, "oops"]
    r = read_feedback(write(tmp_path / "a.json", json.dumps(data, indent=2)), ColumnMapping(id="id"))
    check_counts(r)
    assert r.frame["doc_id"].tolist() == ["1", "2"] and r.frame["line"].tolist() == [2, 6]
    assert r.rejects["line"].tolist() == [10]
    with pytest.raises(UnreadableInput, match="line 3"):
        read_feedback(write(tmp_path / "bad.json", '[\n{"text": "a"},\n{"text": }\n]'))
    jl = read_feedback(write(tmp_path / "lines.json", '{"text": "a"}\n{"text": "b"}\n'))
    assert jl.stats["format"] == "jsonl" and jl.frame["line"].tolist() == [1, 2]


def test_parquet_unexpected_types(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    when = pd.to_datetime(["2024-01-01 12:00", "2024-01-02 00:00", "2024-01-03 00:00", "2024-01-04 00:00"])
    table = pa.table({  # written by pyarrow, as Spark or DuckDB would: no pandas metadata to restore dtypes
        "id": pa.array([2**53 + 1, 11, 12, None], pa.int64()),  # a float64 detour would change the big id
        "text": pa.array([101, 202, None, 303], pa.int32()),  # an int "text" column, with a gap
        "nps": ["7", "x", "9", "8"],
        "when": pa.array(when.tz_localize("Europe/Paris")),
    })
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    m = ColumnMapping(text="text", id="id", date="when", scores=[ScoreSpec("nps", "nps")])
    r = read_feedback(path, m)
    check_counts(r)
    assert r.frame["text"].tolist() == ["101"] and r.frame["doc_id"].tolist() == [str(2**53 + 1)]
    assert r.frame["date"].iloc[0] == pd.Timestamp("2024-01-01 11:00")
    assert r.rejects["reason"].tolist() == ["score 'nps' not numeric: 'x'", "empty text", "empty id"]
    assert r.rejects["line"].tolist() == [2, 3, 4]


def _workbook(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Survey"
    ws.append(["id", "text", "nps"])
    ws.append([1, "Great support", 10])
    ws.append([2, "Waited an hour", 12])
    ws.cell(row=6, column=1, value=3)  # rows 4-5 left empty
    ws.cell(row=6, column=2, value="After a gap")
    other = wb.create_sheet("Notes")
    other.append(["text"])
    other.append(["from the second sheet"])
    wb.save(path)
    return path


def test_excel_two_sheets(tmp_path):
    path = _workbook(tmp_path / "s.xlsx")
    r = read_feedback(path, MAPPING)
    check_counts(r)
    assert r.stats["sheets"] == ["Survey", "Notes"] and r.stats["sheet"] == "Survey"
    assert r.frame["line"].tolist() == [2, 6]  # the sheet row: data row 1 is line 2
    assert r.frame["doc_id"].tolist() == ["1", "3"]
    assert r.rejects["reason"].tolist() == ["nps 12 out of range 0-10"] and r.rejects["line"].tolist() == [3]
    second = read_feedback(path, sheet="Notes")
    assert second.frame["text"].tolist() == ["from the second sheet"]
    assert read_feedback(path, sheet=1).frame["text"].tolist() == ["from the second sheet"]
    with pytest.raises(ConfigError, match="Survey"):
        read_feedback(path, sheet="Missing")


# -- errors ------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(InputFileNotFound, match="nope.csv"):
        read_feedback(tmp_path / "nope.csv")


def test_unknown_format(tmp_path):
    with pytest.raises(UnsupportedFormat, match="data.dat"):
        read_feedback(write(tmp_path / "data.dat", "text\nx\n"))
    with pytest.raises(UnsupportedFormat, match="format 'yaml'"):
        read_feedback(write(tmp_path / "a.csv", "text\nx\n"), format="yaml")
    assert read_feedback(tmp_path / "data.dat", format="csv").frame["text"].tolist() == ["x"]


@pytest.mark.parametrize("body", ["", "id,text\n", "id,text\n\n\n", "\n\n"])
def test_empty_and_header_only(tmp_path, body):
    with pytest.raises(EmptyInput):
        read_feedback(write(tmp_path / "e.csv", body))


def test_empty_jsonl_and_parquet(tmp_path):
    with pytest.raises(EmptyInput):
        read_feedback(write(tmp_path / "e.jsonl", "\n\n"))
    pd.DataFrame({"text": pd.Series([], dtype="str")}).to_parquet(tmp_path / "e.parquet")
    with pytest.raises(EmptyInput):
        read_feedback(tmp_path / "e.parquet")


def test_unknown_column_lists_columns(tmp_path):
    path = write(tmp_path / "c.csv", "id,comment,score\n1,hi there,5\n")
    with pytest.raises(UnknownColumn) as info:
        read_feedback(path, ColumnMapping(text="comment", scores=[ScoreSpec("nps", "nps")]))
    msg = str(info.value)
    assert "'nps' not found in" in msg and "c.csv" in msg
    assert "'id', 'comment', 'score'" in msg


def test_text_column_autodetected(tmp_path):
    r = read_feedback(write(tmp_path / "a.csv", "id,Verbatim\n1,hello\n"))
    assert r.stats["text_column"] == "Verbatim" and r.frame["text"].tolist() == ["hello"]
    body = "id,code,what_they_said\n" + "".join(f"{i},A{i},the app keeps crashing on login {i}\n" for i in range(5))
    r = read_feedback(write(tmp_path / "b.csv", body))
    assert r.stats["text_column"] == "what_they_said"
    with pytest.raises(UnknownColumn, match="'id', 'code'"):
        read_feedback(write(tmp_path / "c.csv", "id,code\n1,A\n"))


# -- chunked reading ---------------------------------------------------------------------

def _messy_csv(tmp_path: Path) -> Path:
    lines = ["id,text,nps,when"]
    for i in range(40):
        text = f'"line one {i}\nline two"' if i % 7 == 0 else ("same text" if i % 5 == 0 else f"text {i}")
        lines.append(f"{i % 33},{text},{i % 13},2024-01-{i % 28 + 1:02d}")
    lines.insert(10, "x,ragged,row,with,extra")
    lines.insert(20, "y,bad date,3,not a date")
    return write(tmp_path / "messy.csv", "\n".join(lines) + "\n")


def _as_other_format(csv_path: Path, fmt: str) -> Path:
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False, on_bad_lines="skip")
    out = csv_path.with_suffix({"jsonl": ".jsonl", "parquet": ".parquet", "excel": ".xlsx"}[fmt])
    if fmt == "jsonl":
        out.write_text("{broken\n" + "".join(json.dumps(rec) + "\n" for rec in df.to_dict("records")))
    elif fmt == "parquet":
        df.to_parquet(out)
    else:
        df.to_excel(out, index=False)
    return out


@pytest.mark.parametrize(("fmt", "chunksize"), [("csv", 1), ("csv", 7), ("csv", 1000), ("jsonl", 1), ("jsonl", 7),
                                                ("parquet", 7), ("parquet", 1000), ("excel", 7), ("excel", 1000)])
def test_iter_feedback_matches_read_feedback(tmp_path, fmt, chunksize):
    path = _messy_csv(tmp_path)
    if fmt != "csv":
        path = _as_other_format(path, fmt)
    m = ColumnMapping(text="text", id="id", date="when", scores=[ScoreSpec("nps", "nps")])
    whole = read_feedback(path, m)
    parts = list(iter_feedback(path, m, chunksize=chunksize))
    assert all(len(p.frame) + len(p.rejects) <= chunksize for p in parts)
    joined = IngestResult.combine(parts)
    check_counts(whole)
    check_counts(joined)
    assert whole.stats["duplicate_ids"] > 0 and whole.stats["rejected"] > whole.stats["duplicate_ids"]
    assert whole.stats["duplicate_texts"] > 0
    pd.testing.assert_frame_equal(joined.frame, whole.frame)
    pd.testing.assert_frame_equal(joined.rejects, whole.rejects)
    for key in ("rows_read", "accepted", "rejected", "duplicate_ids", "duplicate_texts"):
        assert joined.stats[key] == whole.stats[key], key


def test_iter_feedback_raises_file_errors_eagerly(tmp_path):
    with pytest.raises(InputFileNotFound):
        iter_feedback(tmp_path / "missing.csv")


def test_first_chunk_of_only_broken_lines(tmp_path):
    path = write(tmp_path / "f.jsonl", '{oops\n{"id": "a", "text": "fine"}\n')
    parts = list(iter_feedback(path, ColumnMapping(id="id"), chunksize=1))
    joined = IngestResult.combine(parts)
    check_counts(joined)
    assert joined.frame["doc_id"].tolist() == ["a"] and joined.rejects["line"].tolist() == [1]
    with pytest.raises(UnknownColumn, match="'id', 'text'"):
        list(iter_feedback(path, ColumnMapping(id="missing"), chunksize=1))


def test_more_unreadable_inputs(tmp_path):
    with pytest.raises(UnreadableInput, match="line 1"):
        read_feedback(write(tmp_path / "h.csv", 'id,"text\n1,a\n'))
    with pytest.raises(UnreadableInput, match="not valid utf-8"):
        read_feedback(write(tmp_path / "w.csv", "text\ncafé\n", "cp1252"), encoding="utf-8")
    with pytest.raises(UnreadableInput, match="array"):
        read_feedback(write(tmp_path / "o.json", '{\n  "data": [{"text": "a"}]\n}\n'))
    with pytest.raises(UnreadableInput, match="Parquet"):
        read_feedback(write(tmp_path / "x.parquet", "not parquet"))
    with pytest.raises(UnsupportedFormat, match="xlsx"):
        read_feedback(write(tmp_path / "old.xls", "not a workbook"))


def test_excel_row_wider_than_header(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["id", "text"])
    wb.active.append([1, "fine", None, "  "])  # trailing empty cells are not extra fields
    wb.active.append([2, "spills", "over"])
    wb.save(tmp_path / "w.xlsx")
    r = read_feedback(tmp_path / "w.xlsx", ColumnMapping(id="id"))
    check_counts(r)
    assert r.frame["doc_id"].tolist() == ["1"]
    assert r.rejects["reason"].tolist() == ["expected 2 fields, found 3"] and r.rejects["line"].tolist() == [3]
    assert json.loads(r.rejects["record"].iloc[0]) == [2, "spills", "over"]
