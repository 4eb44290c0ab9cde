"""Exports as they come out of survey tools: ``--preset NAME`` maps their layout.

A preset reads one tool's export, turns every open-ended answer into a document that
keeps its question (the report splits by ``question``), takes the score from the right
column, keeps the tool's metadata a CX team segments by, leaves out personal fields (IP
address, recipient names and e-mail, location), and returns the rows with the column
mapping and their lines in the file, so a rejected answer points at the line it came from.
A user's own mapping flags still override what the preset chose.

:func:`detect` reads a file's first lines and names the preset it looks like, so
``voc analyze export.csv`` can say "this looks like a Qualtrics export; use --preset
qualtrics" instead of failing on a missing ``text`` column.

Presets: ``qualtrics`` (CSV, the three-header-row layout: column ids, question texts,
``{"ImportId": ...}``) and ``surveymonkey`` (CSV "expanded": question texts, then
``Response`` / ``Open-Ended Response`` / a choice under each column).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import ConfigError, EmptyInput, InputFileNotFound
from voc.io.mapping import ColumnMapping, ScoreSpec

#: Qualtrics metadata never used as a segment: personal data, or nothing a CX team splits by
_QUALTRICS_DROP = {"startdate", "enddate", "status", "ipaddress", "duration (in seconds)", "recipientlastname",
                   "recipientfirstname", "recipientemail", "externalreference", "locationlatitude",
                   "locationlongitude", "recordeddate", "responseid", "progress", "finished", "distributionchannel",
                   "userlanguage"}


@dataclass
class PresetResult:
    """One document per row of ``frame`` (``line``: the export line it came from)."""

    frame: pd.DataFrame
    mapping: ColumnMapping
    lines: np.ndarray
    notes: list[str] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)  # records of the wrong width, with their line


@dataclass(frozen=True)
class Preset:
    name: str
    description: str


PRESETS = {"qualtrics": Preset("qualtrics", "Qualtrics survey export (CSV with three header rows): each open-ended "
                                            "answer becomes a document with its question; NPS from the NPS question; "
                                            "embedded data as segments"),
           "surveymonkey": Preset("surveymonkey", "SurveyMonkey export (CSV, 'expanded', two header rows: question, "
                                                  "then Response / Open-Ended Response / choice): each open-ended answer "
                                                  "becomes a document with its question; a 0-10 'recommend' question is "
                                                  "NPS; Collector ID and Custom Data as segments")}
#: SurveyMonkey metadata never used as a segment: personal data, or nothing a CX team splits by
_MONKEY_DROP = {"respondent id", "start date", "end date", "ip address", "email address", "first name", "last name"}


def _head(path: Path, n: int = 3) -> list[list[str]]:
    import csv

    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
            reader = csv.reader(f)
            return [row for _, row in zip(range(n), reader)]
    except OSError:
        return []


def detect(path: str | Path) -> str | None:
    """The preset a file looks like, from its first lines; None when none fits."""
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    rows = _head(p)
    if len(rows) >= 3 and {"ResponseId", "RecordedDate"} <= set(rows[0]) and rows[2] and \
            rows[2][0].startswith('{"ImportId"'):
        return "qualtrics"
    if len(rows) >= 2 and {"Respondent ID", "Collector ID"} <= set(rows[0]):
        return "surveymonkey"
    return None


def read(path: str | Path, preset: str, mapping: ColumnMapping | None = None) -> PresetResult:
    """Read ``path`` as the ``preset``'s layout. ``mapping`` (the user's flags) overrides
    the preset's choices where it names a column."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)} (voc presets lists them)")
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFound(f"input file {str(p)!r} not found")
    return _qualtrics(p, mapping) if preset == "qualtrics" else _surveymonkey(p, mapping)


def _table(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[dict[str, Any]]]:
    """The export's records as text cells (header rows included), the line each starts on,
    and the records whose field count differs from the first row's, as rejects."""
    from voc.io.readers import read_records
    from voc.io.validate import reject_row

    rows, starts = read_records(path)
    if not rows:
        raise EmptyInput(f"{path.name} is empty: no rows to analyse")
    width = len(rows[0])
    keep = [i for i, r in enumerate(rows) if len(r) == width]
    rejects = [reject_row(path.name, starts[i], None, f"expected {width} fields, found {len(rows[i])}",
                          ",".join(rows[i])) for i in range(len(rows)) if len(rows[i]) != width]
    return pd.DataFrame([rows[i] for i in keep], dtype=str), np.asarray([starts[i] for i in keep]), rejects


def _import_id(cell: str) -> str:
    try:
        return str(json.loads(cell).get("ImportId", ""))
    except (ValueError, AttributeError):
        return ""


def _qualtrics(path: Path, user: ColumnMapping | None) -> PresetResult:
    raw, starts, rejects = _table(path)
    if len(raw) < 3 or not str(raw.iat[2, 0]).startswith('{"ImportId"'):
        raise ConfigError(f"{path.name} is not a Qualtrics export in the current layout (three header rows: column "
                          "ids, question texts, {\"ImportId\": ...}); export it again from Qualtrics as CSV")
    ids, questions, imports = (raw.iloc[i].tolist() for i in range(3))
    body = raw.iloc[3:].reset_index(drop=True)
    if body.empty:
        raise EmptyInput(f"{path.name} has its three header rows and no responses")
    col = {c: j for j, c in enumerate(ids)}
    if "ResponseId" not in col:
        raise ConfigError(f"{path.name}: no ResponseId column; export the responses again with it (voc keys each "
                          "answer by response and question)")
    imp = [_import_id(c) for c in imports]
    # open-ended answers: ImportId QIDn_TEXT (or QIDn_m_TEXT for "other, please say"); Text iQ's
    # topic / sentiment columns (QIDn_TEXT_<hash>Topics ...) are Qualtrics' own analysis, not answers
    text_cols = [j for j, i in enumerate(imp) if re.fullmatch(r"QID\d+(?:_\d+)?_TEXT", i)]
    if not text_cols:
        raise ConfigError(f"{path.name}: no open-ended question (ImportId QIDn_TEXT) in this Qualtrics export")
    nps_cols = [j for j, i in enumerate(imp) if re.fullmatch(r"QID\d+", i) and f"{i}_NPS_GROUP" in imp]
    meta = {c.lower(): j for j, c in enumerate(ids)}
    segments = [j for j, (c, i) in enumerate(zip(ids, imp)) if c.lower() not in _QUALTRICS_DROP
                and not i.startswith("QID") and not i.startswith("_") and c.strip()]
    finished = body.iloc[:, meta["finished"]].map({"1": "yes", "0": "no", "True": "yes", "False": "no"}) \
        if "finished" in meta else None
    rows = []
    for j in text_cols:
        answer = body.iloc[:, j].astype(str).str.strip()
        has = answer != ""
        part = pd.DataFrame({
            "id": body.iloc[:, col["ResponseId"]] + ":" + ids[j], "response_id": body.iloc[:, col["ResponseId"]],
            "question": questions[j].strip() or ids[j], "text": answer,
            "date": body.iloc[:, col["RecordedDate"]] if "RecordedDate" in col else "",
            "line": starts[3:]})
        if "distributionchannel" in meta:
            part["channel"] = body.iloc[:, meta["distributionchannel"]]
        if finished is not None:
            part["finished"] = finished
        for k in nps_cols:
            part[f"{ids[k]} (NPS)"] = body.iloc[:, k]
        for k in segments:
            part[ids[k]] = body.iloc[:, k]
        rows.append(part[has])
    frame = pd.concat(rows, ignore_index=True).sort_values(["line", "id"], kind="stable").reset_index(drop=True)
    lines = frame.pop("line").to_numpy()
    scores = [ScoreSpec(column=f"{ids[k]} (NPS)", kind="nps") for k in nps_cols]
    m = ColumnMapping(text="text", id="id", date="date" if "RecordedDate" in col else None,
                      channel="channel" if "channel" in frame.columns else None,
                      segments=["question", *(["finished"] if finished is not None else []),
                                *[ids[k] for k in segments]], scores=scores, keep=["response_id"])
    m = _override(m, user)
    notes = [f"Qualtrics export: {len(body)} responses, {len(text_cols)} open-ended question(s) → {len(frame)} "
             f"answers" + (f"; NPS from {', '.join(ids[k] for k in nps_cols)}" if nps_cols else "")]
    return PresetResult(frame, m, lines, notes, rejects)


def _surveymonkey(path: Path, user: ColumnMapping | None) -> PresetResult:
    raw, starts, rejects = _table(path)
    head = [str(c).strip() for c in raw.iloc[0]]
    if len(raw) < 2 or not {"Respondent ID", "Collector ID"} <= set(head):
        raise ConfigError(f"{path.name} is not a SurveyMonkey export (first row with Respondent ID and Collector ID, "
                          "second row with Response / Open-Ended Response); export it as CSV, expanded")
    sub = [str(c).strip() for c in raw.iloc[1]]
    body = raw.iloc[2:].reset_index(drop=True)
    if body.empty:
        raise EmptyInput(f"{path.name} has its two header rows and no responses")
    question, current = [], ""
    for h in head:  # a question's later sub-columns have an empty first-row cell
        current = h or current
        question.append(current)
    col = {h: j for j, h in enumerate(head) if h}
    meta_end = min((j for j, s_ in enumerate(sub) if s_), default=len(head))
    numeric = {j: pd.to_numeric(body.iloc[:, j].replace("", np.nan), errors="coerce") for j in range(meta_end, len(head))}
    text_cols, nps_cols = [], []
    for j in range(meta_end, len(head)):
        values = body.iloc[:, j].astype(str).str.strip()
        given = values[values != ""]
        nums = numeric[j].dropna()
        if sub[j] == "Response" and "recommend" in question[j].lower() and len(nums) == len(given) and len(nums) \
                and nums.between(0, 10).all() and (nums == nums.round()).all():
            nps_cols.append(j)
        elif sub[j] == "Open-Ended Response" or "please specify" in sub[j].lower() or (
                sub[j] == "Response" and len(given) and nums.empty and given.nunique() > max(10, 0.5 * len(given))):
            text_cols.append(j)  # free text: open-ended, "Other (please specify)", or a "Response" of varied words
    if not text_cols:
        raise ConfigError(f"{path.name}: no open-ended question (an 'Open-Ended Response' column) in this export")
    segments = [j for j in range(meta_end) if head[j] and head[j].lower() not in _MONKEY_DROP]
    date = col.get("End Date", col.get("Start Date"))
    rows = []
    for j in text_cols:
        answer = body.iloc[:, j].astype(str).str.strip()
        label = question[j] if sub[j] in ("Response", "Open-Ended Response") else f"{question[j]} (other)"
        part = pd.DataFrame({"id": body.iloc[:, col["Respondent ID"]] + f":{j}",
                             "respondent_id": body.iloc[:, col["Respondent ID"]], "question": label, "text": answer,
                             "line": starts[2:]})
        if date is not None:
            part["date"] = body.iloc[:, date]
        for k in nps_cols:
            part["nps" if len(nps_cols) == 1 else f"nps {k}"] = body.iloc[:, k]
        for k in segments:
            part[head[k]] = body.iloc[:, k]
        rows.append(part[answer != ""])
    frame = pd.concat(rows, ignore_index=True).sort_values(["line", "id"], kind="stable").reset_index(drop=True)
    lines = frame.pop("line").to_numpy()
    scores = [ScoreSpec(column="nps" if len(nps_cols) == 1 else f"nps {k}", kind="nps") for k in nps_cols]
    m = ColumnMapping(text="text", id="id", date="date" if date is not None else None,
                      segments=["question", *[head[k] for k in segments]], scores=scores, keep=["respondent_id"])
    m = _override(m, user)
    notes = [f"SurveyMonkey export: {len(body)} responses, {len(text_cols)} open-ended column(s) → {len(frame)} "
             f"answers" + (f"; NPS from {question[nps_cols[0]]!r}" if nps_cols else "")]
    return PresetResult(frame, m, lines, notes, rejects)


def _override(m: ColumnMapping, user: ColumnMapping | None) -> ColumnMapping:
    """The user's explicit choices win: scores, segments, date and channel they named."""
    if user is None:
        return m
    if user.scores:
        m.scores = list(user.scores)
    if user.segments:
        m.segments = list(dict.fromkeys([*m.segments, *user.segments]))
    for role in ("date", "channel"):
        if getattr(user, role):
            setattr(m, role, getattr(user, role))
    return m


def ingest(path: str | Path, preset: str, mapping: ColumnMapping | None = None,
           customers: Any = None) -> tuple[Any, ColumnMapping]:
    """:func:`read` then voc's validation, with each row's export line: an
    :class:`~voc.io.IngestResult` like :func:`voc.read_feedback` returns, and the mapping used."""
    from voc.io.validate import Validator, with_customer_rejects

    res = read(path, preset, mapping)
    validator = Validator(res.mapping, Path(path).name, customers=customers)
    out = with_customer_rejects(validator.run(res.frame, res.lines, res.rejects), validator)
    out.stats["preset"] = preset
    out.stats["preset_notes"] = res.notes
    return out, res.mapping
