"""--preset: survey tools' exports as they come (a real Qualtrics sample, and a larger file
generated in the same layout)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.errors import ConfigError
from voc.io import presets

SAMPLE = Path(__file__).parent / "data" / "exports" / "qualtrics_sample.csv"
META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
        "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
        "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
META_IMPORT = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
               "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
               "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage"]


def qualtrics_export(path: Path, n: int, seed: int = 3) -> pd.DataFrame:
    """``n`` responses in Qualtrics' three-header-row layout: a multiple-choice question, an
    NPS question with its group column, two open-ended questions (one with Text iQ topics),
    two embedded data fields. Returns the responses as a frame (the body rows)."""
    from voc.datasets import make_feedback

    rng = np.random.default_rng(seed)
    texts = make_feedback(n=2 * n, random_state=seed)["text"].tolist()
    ids = [*META, "Q1", "Q2", "Q2_NPS_GROUP", "Q3", "Q3 - Topics", "Q4", "Region", "Plan"]
    questions = [*META, "How did you order?", "How likely are you to recommend us to a friend?", "Q2 - Group",
                 "What is the main reason for your score?", "Q3 - Topics", "Anything else you would like to tell us?",
                 "Region", "Plan"]
    imports = [*META_IMPORT, "QID1", "QID2", "QID2_NPS_GROUP", "QID3_TEXT", "QID3_TEXT_9f2Topics", "QID4_TEXT",
               "Region", "Plan"]
    rows = []
    for i in range(n):
        nps = int(rng.integers(0, 11))
        rows.append([f"2026-03-{1 + i % 28:02d} 10:00:00", f"2026-03-{1 + i % 28:02d} 10:04:00", "0",
                     f"10.0.{i % 250}.{i % 200}", "100", "240", "1" if i % 9 else "0",
                     f"2026-03-{1 + i % 28:02d} 10:04:00", f"R_{i:08d}", "Doe", "Jane", f"jane{i}@example.com", "",
                     "51.5", "-0.12", "anonymous" if i % 2 else "email", "EN",
                     str(1 + i % 3), str(nps), "Promoter" if nps >= 9 else "Passive" if nps >= 7 else "Detractor",
                     texts[2 * i], "Delivery; Price", texts[2 * i + 1] if i % 4 else "",
                     ["North", "South", "West"][i % 3], ["basic", "gold"][i % 2]])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(ids)
        w.writerow(questions)
        w.writerow([json.dumps({"ImportId": x}, separators=(",", ":")) for x in imports])
        w.writerows(rows)
    return pd.DataFrame(rows, columns=ids)


def test_the_real_qualtrics_sample_is_detected_and_read():
    assert presets.detect(SAMPLE) == "qualtrics"
    res = presets.read(SAMPLE, "qualtrics")
    assert res.frame["text"].tolist() == ["Hello World!"]
    assert res.frame["question"].tolist() == ["This is a free text question."]
    assert res.lines.tolist() == [4]  # three header rows, then the response
    assert res.mapping.id == "id" and res.frame["response_id"].tolist() == ["R_2YPOQ602ER1jkf1"]
    assert "Q2 - Topics" not in res.frame.columns  # Qualtrics' own Text iQ analysis is not an answer


def test_a_generated_export_becomes_one_document_per_answer(tmp_path):
    path = tmp_path / "survey.csv"
    body = qualtrics_export(path, 120)
    res = presets.read(path, "qualtrics")
    answers = (body["Q3"] != "").sum() + (body["Q4"] != "").sum()
    assert len(res.frame) == answers == 120 + 90
    assert set(res.frame["question"]) == {"What is the main reason for your score?",
                                          "Anything else you would like to tell us?"}
    nps = res.frame.set_index("id")["Q2 (NPS)"]
    assert nps["R_00000005:Q3"] == body.loc[5, "Q2"]
    assert [s.kind for s in res.mapping.scores] == ["nps"]
    # every row points at its response's line; no personal field is carried
    first = res.frame.index[res.frame["id"] == "R_00000007:Q4"][0]
    assert res.lines[first] == 4 + 7
    assert not {"IPAddress", "RecipientEmail", "RecipientFirstName", "LocationLatitude"} & set(res.frame.columns)
    assert {"Region", "Plan", "finished", "question"} <= set(res.mapping.segments)
    assert res.frame.loc[res.frame["response_id"] == "R_00000009", "finished"].iat[0] == "no"


def test_a_bad_score_is_a_reject_with_its_export_line(tmp_path):
    path = tmp_path / "survey.csv"
    qualtrics_export(path, 30)
    raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False)
    raw.iat[3 + 12, 18] = "eleven"  # response 12's NPS
    raw.to_csv(path, header=False, index=False)
    out, _ = presets.ingest(path, "qualtrics")
    assert set(out.rejects["line"]) == {4 + 12}
    assert "eleven" in " ".join(out.rejects["reason"].astype(str))


def test_unknown_preset_and_a_file_that_is_not_one_fail_clearly(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset 'freshdesk'.*qualtrics.*zendesk.*google-play"):
        presets.read(SAMPLE, "freshdesk")
    plain = tmp_path / "plain.csv"
    plain.write_text("text\nthe parcel was late\n", encoding="utf-8")
    assert presets.detect(plain) is None
    with pytest.raises(ConfigError, match="not a Qualtrics export"):
        presets.read(plain, "qualtrics")


def test_cli_suggests_the_preset_and_analyzes_with_it(tmp_path):
    from typer.testing import CliRunner

    from voc.cli import app

    path = tmp_path / "survey.csv"
    qualtrics_export(path, 150)
    res = CliRunner().invoke(app, ["analyze", str(path), "--out", str(tmp_path / "a")])
    assert res.exit_code != 0 and "--preset qualtrics" in res.output
    res = CliRunner().invoke(app, ["analyze", str(path), "--preset", "qualtrics", "--out", str(tmp_path / "b"), "-q"])
    assert res.exit_code == 0, res.output
    docs = pd.read_parquet(tmp_path / "b" / "documents.parquet")
    assert len(docs) == 150 + 112 and docs["question"].nunique() == 2
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert [s["kind"] for s in run["mapping"]["scores"]] == ["nps"]
    listing = CliRunner().invoke(app, ["presets"])
    assert listing.exit_code == 0 and "qualtrics" in listing.output


def surveymonkey_export(path: Path, n: int, seed: int = 4) -> pd.DataFrame:
    """``n`` responses in SurveyMonkey's expanded CSV layout: metadata, a single choice, a
    multiple choice over two sub-columns, a 0-10 recommend question, an open-ended question
    and a choice with an "Other (please specify)" text."""
    from voc.datasets import make_feedback

    rng = np.random.default_rng(seed)
    texts = make_feedback(n=2 * n, random_state=seed)["text"].tolist()
    head = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
            "Last Name", "Custom Data 1", "How did you hear about us?", "Which did you buy?", "",
            "How likely is it that you would recommend us to a friend or colleague?",
            "What could we do better?", "Which channel did you use?", ""]
    sub = ["", "", "", "", "", "", "", "", "", "Response", "Shoes", "Bags", "Response", "Open-Ended Response",
           "Response", "Other (please specify)"]
    rows = []
    for i in range(n):
        rows.append([str(11400000000 + i), ["4321", "4322"][i % 2], "03/02/2026 10:00:00 AM", "03/02/2026 10:05:00 AM",
                     "10.0.0.1", f"sam{i}@example.com", "Sam", "Lee", ["web", "store"][i % 2],
                     ["Friend", "Ad", "Search"][i % 3], "Shoes" if i % 2 else "", "Bags" if i % 3 else "",
                     str(int(rng.integers(0, 11))), texts[2 * i] if i % 5 else "", ["Web", "Other"][i % 2],
                     texts[2 * i + 1] if i % 2 else ""])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerow(sub)
        w.writerows(rows)
    return pd.DataFrame(rows)


def test_a_surveymonkey_export_becomes_one_document_per_answer(tmp_path):
    path = tmp_path / "monkey.csv"
    body = surveymonkey_export(path, 100)
    assert presets.detect(path) == "surveymonkey"
    res = presets.read(path, "surveymonkey")
    assert len(res.frame) == (body[13] != "").sum() + (body[15] != "").sum() == 80 + 50
    assert set(res.frame["question"]) == {"What could we do better?",
                                          "Which channel did you use? (other)"}
    assert [s.kind for s in res.mapping.scores] == ["nps"]
    assert res.frame.set_index("id").loc["11400000001:13", "nps"] == body.iat[1, 12]
    first = res.frame.index[res.frame["id"] == "11400000003:15"][0]
    assert res.lines[first] == 3 + 3  # two header rows
    assert not {"Email Address", "IP Address", "First Name"} & set(res.frame.columns)
    assert {"Collector ID", "Custom Data 1", "question"} <= set(res.mapping.segments)
    out, _ = presets.ingest(path, "surveymonkey")
    assert len(out.frame) == 130 and out.rejects.empty


def test_answers_over_several_lines_and_broken_records_keep_their_lines(tmp_path):
    path = tmp_path / "survey.csv"
    qualtrics_export(path, 20)
    raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False)
    raw.iat[3 + 4, 20] = "The parcel was late.\nAnd the box was crushed."  # response 4's answer spans two lines
    raw.to_csv(path, header=False, index=False)
    with open(path, "a", encoding="utf-8") as f:
        f.write("only,three,fields\n")  # a broken record at the end
    out, _ = presets.ingest(path, "qualtrics")
    line = out.frame.set_index("doc_id")["line"]
    assert line["R_00000004:Q3"] == 4 + 4 and line["R_00000005:Q3"] == 4 + 5 + 1  # one line further down
    assert out.rejects["line"].tolist() == [4 + 20 + 1] and "expected" in out.rejects["reason"].iat[0]
