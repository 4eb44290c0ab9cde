"""Regression tests for what the fuzz corpus broke in voc/io, one per bug, named after it."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from voc.errors import UnknownColumn, UnreadableInput
from voc.io import ColumnMapping, IngestResult, ScoreSpec, iter_feedback, read_feedback


def test_lone_surrogate_escape_in_jsonl_crashed_with_unicode_encode_error(tmp_path: Path) -> None:
    # fuzz case jsonl-lone-surrogate-escapes: "\ud83d" without its pair (an emoji cut in half)
    path = tmp_path / "s.jsonl"
    path.write_text('{"text": "bad \\ud83d half"}\n{"text": "pair \\ud83d\\ude00 ok"}\n', encoding="utf-8")
    r = read_feedback(path)
    assert r.frame["text"].tolist() == ["bad \ufffd half", "pair 😀 ok"]
    assert r.stats["lone_surrogates"] == 1


def test_lone_surrogate_escape_in_json_array_crashed(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('[{"text": "x \\udc00 y", "\\ud800": 1}]', encoding="utf-8")
    r = read_feedback(path)
    assert r.frame["text"].tolist() == ["x \ufffd y"]


def test_parquet_duplicate_column_names_crashed_with_attribute_error(tmp_path: Path) -> None:
    # fuzz case parquet-duplicate-column-names
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["first", "second"]), pa.array(["a", "b"])],
                                        names=["text", "text"]), path)
    r = read_feedback(path)
    assert r.frame["text"].tolist() == ["first", "second"]
    assert r.stats["columns"] == ["text", "text.1"]
    assert IngestResult.combine(list(iter_feedback(path, chunksize=1))).frame["text"].tolist() == ["first", "second"]


def test_parquet_binary_text_came_out_as_bytes_repr(tmp_path: Path) -> None:
    # fuzz case parquet-binary-text: the text was "b'caf\\xc3\\xa9'"
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"text": pa.array([b"caf\xc3\xa9", b"\xff ok"])}), path)
    assert read_feedback(path).frame["text"].tolist() == ["café", "\ufffd ok"]


def test_deeply_nested_json_crashed_with_recursion_error(tmp_path: Path) -> None:
    # fuzz case json-deeply-nested
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.json"
    path.write_text(f'[\n{{"text": "fine"}},\n{deep}\n]', encoding="utf-8")
    with pytest.raises(UnreadableInput, match="deep.json: the JSON element starting on line 3 is nested too deeply"):
        read_feedback(path)
    path = tmp_path / "deep.jsonl"
    path.write_text(f'{{"text": "fine"}}\n{deep}\n', encoding="utf-8")
    r = read_feedback(path)
    assert r.frame["text"].tolist() == ["fine"]
    assert r.rejects["line"].tolist() == [2] and r.rejects["reason"].tolist() == ["malformed JSON: nested too deeply"]


def test_jsonl_concatenated_with_bom_per_file_rejected_the_second_file(tmp_path: Path) -> None:
    # fuzz case bom-bom-per-line-concatenated-jsonl: `cat a.jsonl b.jsonl` keeps b's BOM
    path = tmp_path / "c.jsonl"
    path.write_text('\ufeff{"text": "from a"}\n\ufeff{"text": "from b"}\n', encoding="utf-8")
    r = read_feedback(path)
    assert r.frame["text"].tolist() == ["from a", "from b"] and len(r.rejects) == 0


def test_decode_error_named_line_1_for_a_bad_byte_on_line_3(tmp_path: Path) -> None:
    # fuzz case mixed-forced-wrong-encoding: the text reader decodes 8 KiB at a time
    path = tmp_path / "w.csv"
    path.write_bytes("id,text\n1,fine\n2,Noël\n".encode("cp1252"))
    with pytest.raises(UnreadableInput, match=r"w.csv: not valid utf-8 on line 3, byte 5"):
        read_feedback(path, encoding="utf-8")


def test_chunked_jsonl_rejected_a_key_first_seen_in_a_later_chunk(tmp_path: Path) -> None:
    # fuzz cases jsonl-broken-shuffled-1/4/5: "nps" only appears after the first chunk
    lines = [json.dumps({"text": f"row {i}"}) for i in range(5)] + [json.dumps({"text": "scored", "nps": 12})]
    path = tmp_path / "k.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    m = ColumnMapping(scores=[ScoreSpec("nps", "nps")])
    whole = read_feedback(path, m)
    chunked = IngestResult.combine(list(iter_feedback(path, m, chunksize=2)))
    for r in (whole, chunked):
        assert r.stats["rows_read"] == 6 and r.rejects["line"].tolist() == [6]
        assert r.rejects["reason"].tolist() == ["nps 12 out of range 0-10"]
    path.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")  # never present: still an error
    with pytest.raises(UnknownColumn, match="score column 'nps' not found"):
        list(iter_feedback(path, m, chunksize=2))
    with pytest.raises(UnknownColumn, match="'nps' not found"):
        read_feedback(path, m)
    assert len(read_feedback(path, m, missing_optional="ignore").frame) == 5


def test_file_without_header_lost_its_first_record_silently(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    # found by the PII artifact grep: the first record became the column names, listed in
    # run.json and in unknown-column errors. It still becomes the header, but not silently.
    import logging

    path = tmp_path / "noheader.csv"
    path.write_text("jane.roe@example.com,The delivery was late and nobody answered my calls for a week\n"
                    "x@y.org,The parcel never arrived at all\n", encoding="utf-8")
    logger = logging.getLogger("voc")
    logger.addHandler(caplog.handler)
    try:
        r = read_feedback(path)
    finally:
        logger.removeHandler(caplog.handler)
    assert r.stats["header_looks_like_data"] is True
    assert r.stats["columns"][0] == "[EMAIL]"
    assert any("header row (line 1) holds personal data" in m for m in caplog.messages)
    assert "jane.roe" not in caplog.text
    normal = tmp_path / "ok.csv"
    normal.write_text("id,text\n1,fine\n", encoding="utf-8")
    assert "header_looks_like_data" not in read_feedback(normal).stats
