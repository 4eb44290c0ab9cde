"""Row validation: ids, texts, scores, dates, duplicates and the reject table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from voc.errors import ConfigError, EmptyInput, UnknownColumn
from voc.io import ColumnMapping, ScoreSpec, frame_to_feedback, validate
from voc.io.validate import parse_dates, parse_scores


def run(df: pd.DataFrame, mapping: ColumnMapping | None = None):
    r = validate(df, mapping, np.arange(len(df)) + 2, "/some/dir/survey.csv")
    assert r.stats["accepted"] + r.stats["rejected"] == r.stats["rows_read"] == len(df)
    return r


def reasons(r) -> dict[int, str]:
    return dict(zip(r.rejects["line"], r.rejects["reason"]))


def test_output_columns_types_and_order():
    df = pd.DataFrame({"id": ["b", "a"], "comment": ["slow", "fast"], "when": ["2024-02-01", "2024-01-01"],
                       "src": ["web", "app"], "region": ["EU", "US"], "q1": ["3", "5"], "agent": ["x", "y"]})
    m = ColumnMapping(text="comment", id="id", date="when", channel="src", segments=["region"],
                      scores=[ScoreSpec("q1", "csat")], keep=["agent"])
    r = run(df, m)
    f = r.frame
    assert list(f.columns) == ["doc_id", "text", "line", "date", "channel", "region", "csat", "agent", "duplicate_text"]
    assert f["doc_id"].tolist() == ["b", "a"]  # input order kept
    assert str(f["date"].dtype) == "datetime64[ns]" and f["csat"].dtype == "float64"
    assert f["line"].dtype == "int64" and f["duplicate_text"].dtype == bool
    assert f["channel"].tolist() == ["web", "app"] and f["agent"].tolist() == ["x", "y"]


def test_doc_id_is_stable_and_line_dependent():
    df = pd.DataFrame({"text": ["same", "same", "other"]})
    a, b = run(df), run(df)
    assert a.frame["doc_id"].tolist() == b.frame["doc_id"].tolist()
    ids = a.frame["doc_id"].tolist()
    assert len(set(ids)) == 3 and all(len(i) == 16 for i in ids)
    import hashlib

    assert ids[0] == hashlib.sha1(b"survey.csv:2:same").hexdigest()[:16]


def test_empty_text_rejected():
    df = pd.DataFrame({"text": ["ok", "", "   \t", None]})
    r = run(df)
    assert r.frame["line"].tolist() == [2]
    assert reasons(r) == {3: "empty text", 4: "empty text", 5: "empty text"}
    assert set(r.rejects["source"]) == {"survey.csv"} and set(r.rejects["column"]) == {"text"}


def test_duplicate_ids_first_wins():
    df = pd.DataFrame({"id": ["A", "B", "A", " A ", "C", "C"], "text": ["one", "two", "three", "four", "", "six"]})
    r = run(df, ColumnMapping(id="id"))
    assert r.frame["doc_id"].tolist() == ["A", "B", "C"]
    assert reasons(r) == {4: "duplicate id 'A' (first seen on line 2)", 5: "duplicate id 'A' (first seen on line 2)",
                          6: "empty text"}
    assert r.stats["duplicate_ids"] == 2
    assert r.frame.set_index("doc_id").loc["C", "line"] == 7  # the first C had no text: the second one keeps the id


def test_empty_id_rejected():
    r = run(pd.DataFrame({"id": ["1", ""], "text": ["a", "b"]}), ColumnMapping(id="id"))
    assert reasons(r) == {3: "empty id"}


def test_duplicate_texts_flagged_not_removed():
    df = pd.DataFrame({"text": ["Great  service!", "great service!", "great\nservice! ", "Great service", "other"]})
    r = run(df)
    assert r.frame["duplicate_text"].tolist() == [False, True, True, False, False]
    assert r.stats["duplicate_texts"] == 2 and len(r.frame) == 5
    assert r.frame["text"].iloc[2] == "great\nservice! "  # the raw text is kept as read


def test_scores_checked():
    df = pd.DataFrame({"text": list("abcdefg"),
                       "nps": ["10", "11", "abc", "", "-1", "7.5", "4,5"],
                       "pts": ["150", "5", "5", "5", "5", "5", "5"]})
    m = ColumnMapping(scores=[ScoreSpec("nps", "nps"), ScoreSpec("pts", "custom", low=0, high=100)])
    r = run(df, m)
    assert reasons(r) == {2: "pts 150 out of range 0-100", 3: "nps 11 out of range 0-10",
                          4: "score 'nps' not numeric: 'abc'", 6: "nps -1 out of range 0-10"}
    assert r.frame["nps"].tolist()[1:] == [7.5, 4.5] and np.isnan(r.frame["nps"].iloc[0])
    assert r.rejects.set_index("line").loc[3, "column"] == "nps"


def test_score_label_and_numeric_input():
    df = pd.DataFrame({"text": ["a", "b"], "q": [4, 6]})
    r = run(df, ColumnMapping(scores=[ScoreSpec("q", "csat", name="satisfaction")]))
    assert r.frame["satisfaction"].tolist() == [4.0]
    assert reasons(r) == {3: "satisfaction 6 out of range 1-5"}


def test_several_problems_joined():
    df = pd.DataFrame({"text": [" "], "nps": ["x"], "d": ["never"]})
    r = run(df, ColumnMapping(date="d", scores=[ScoreSpec("nps", "nps")]))
    assert r.rejects["reason"].iloc[0] == "empty text; unparseable date 'never'; score 'nps' not numeric: 'x'"
    assert r.rejects["column"].iloc[0] == "text; d; nps"
    assert json.loads(r.rejects["record"].iloc[0]) == {"text": " ", "nps": "x", "d": "never"}


def test_mixed_date_formats():
    values = ["2024-03-01", "2024-03-01T10:30:00Z", "2024-03-01 12:30:00+02:00", "3/1/2024", "3/1/2024 2:15 PM",
              "13/01/2024", "01.03.2024", "1.3.2024 08:00", "2024/03/01", "March 1, 2024", "", None, "soon", "12",
              "0024-03-01", "13/01/24"]
    dates, bad, oob = parse_dates(pd.Series(values, dtype=object))
    assert str(dates.dtype) == "datetime64[ns]"
    got = [None if pd.isna(d) else str(d) for d in dates]
    assert got[:11] == ["2024-03-01 00:00:00", "2024-03-01 10:30:00", "2024-03-01 10:30:00", "2024-03-01 00:00:00",
                        "2024-03-01 14:15:00", "2024-01-13 00:00:00", "2024-03-01 00:00:00", "2024-03-01 08:00:00",
                        "2024-03-01 00:00:00", "2024-03-01 00:00:00", None]
    assert bad.tolist() == [False] * 12 + [True, True, False, False]
    assert oob.tolist() == [False] * 14 + [True, False]
    assert got[15] == "2024-01-13 00:00:00"  # day-first only when month-first is impossible


def test_dates_from_datetime_cells_and_tz_columns():
    cells = pd.Series([pd.Timestamp("2024-05-01 10:00"), "2024-05-02", None], dtype=object)
    dates, bad, _ = parse_dates(cells)
    assert dates.tolist()[:2] == [pd.Timestamp("2024-05-01 10:00"), pd.Timestamp("2024-05-02")] and not bad.any()
    aware = pd.Series(pd.to_datetime(["2024-05-01 10:00"]).tz_localize("US/Eastern"))
    assert parse_dates(aware)[0].iloc[0] == pd.Timestamp("2024-05-01 14:00")


def test_date_rejects_in_validate():
    df = pd.DataFrame({"text": ["a", "b", "c"], "d": ["2024-01-01", "xx", ""]})
    r = run(df, ColumnMapping(date="d"))
    assert reasons(r) == {3: "unparseable date 'xx'"}
    assert pd.isna(r.frame["date"].iloc[1])  # an empty date is allowed


def test_parse_scores_types():
    vals, bad = parse_scores(pd.Series([1, None, 3.5], dtype=object))
    assert vals.tolist()[0] == 1.0 and np.isnan(vals.iloc[1]) and not bad.any()
    _, bad = parse_scores(pd.Series(["inf", "1e2", "5 stars"]))
    assert bad.tolist() == [True, False, True]


def test_frame_to_feedback_handles_python_types():
    df = pd.DataFrame({"id": [1, 2, 3], "text": ["hello", 42, ["not", "text"]]})
    r = frame_to_feedback(df, ColumnMapping(id="id"))
    assert r.frame["doc_id"].tolist() == ["1", "2"] and r.frame["text"].tolist() == ["hello", "42"]
    assert r.frame["line"].tolist() == [1, 2]
    assert r.rejects["reason"].tolist() == ["text is a list or object, not text"]
    assert r.rejects["source"].tolist() == ["<dataframe>"]
    with pytest.raises(EmptyInput):
        frame_to_feedback(df.iloc[:0])


def test_column_name_case_is_forgiven_but_unknown_is_not():
    df = pd.DataFrame({"Comment": ["a"], "NPS": ["5"]})
    r = run(df, ColumnMapping(text="comment", scores=[ScoreSpec("nps", "nps")]))
    assert r.frame["nps"].tolist() == [5.0]
    with pytest.raises(UnknownColumn, match=r"date column 'created' not found.*'Comment', 'NPS'"):
        run(df, ColumnMapping(text="Comment", date="created"))


def test_output_name_clash_is_a_config_error():
    df = pd.DataFrame({"text": ["a"], "line": ["x"]})
    with pytest.raises(ConfigError, match="'line'"):
        run(df, ColumnMapping(keep=["line"]))


def test_text_column_detection_by_length_ignores_mapped_columns():
    df = pd.DataFrame({"code": ["A1", "B2"], "note": ["it broke after the update", "works well on my phone"],
                       "seg": ["a long segment name here", "another long segment name"]})
    r = run(df, ColumnMapping(segments=["seg"]))
    assert r.stats["text_column"] == "note" and r.stats["text_column_detected"]
