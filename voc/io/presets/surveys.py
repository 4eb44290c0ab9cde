"""Survey tools' exports: Qualtrics (three header rows) and SurveyMonkey (two), one
document per open-ended answer with its question as a segment."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from voc.errors import ConfigError, EmptyInput
from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.io.presets.base import PresetResult, override, records

#: Qualtrics metadata never used as a segment: personal data, or nothing a CX team splits by
_QUALTRICS_DROP = {"startdate", "enddate", "status", "ipaddress", "duration (in seconds)", "recipientlastname",
                   "recipientfirstname", "recipientemail", "externalreference", "locationlatitude",
                   "locationlongitude", "recordeddate", "responseid", "progress", "finished", "distributionchannel",
                   "userlanguage"}


#: SurveyMonkey metadata never used as a segment: personal data, or nothing a CX team splits by
_MONKEY_DROP = {"respondent id", "start date", "end date", "ip address", "email address", "first name", "last name"}


def looks_like_qualtrics(rows: list[list[str]]) -> bool:
    return len(rows) >= 3 and {"ResponseId", "RecordedDate"} <= set(rows[0]) and bool(rows[2]) and \
        rows[2][0].startswith('{"ImportId"')


def looks_like_surveymonkey(rows: list[list[str]]) -> bool:
    return len(rows) >= 2 and {"Respondent ID", "Collector ID"} <= set(rows[0])


def _import_id(cell: str) -> str:
    try:
        return str(json.loads(cell).get("ImportId", ""))
    except (ValueError, AttributeError):
        return ""


def qualtrics(path: Path, user: ColumnMapping | None) -> PresetResult:
    raw, starts, rejects = records(path)
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
    m = override(m, user)
    notes = [f"Qualtrics export: {len(body)} responses, {len(text_cols)} open-ended question(s) → {len(frame)} "
             f"answers" + (f"; NPS from {', '.join(ids[k] for k in nps_cols)}" if nps_cols else "")]
    return PresetResult(frame, m, lines, notes, rejects)


def surveymonkey(path: Path, user: ColumnMapping | None) -> PresetResult:
    raw, starts, rejects = records(path)
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
    m = override(m, user)
    notes = [f"SurveyMonkey export: {len(body)} responses, {len(text_cols)} open-ended column(s) → {len(frame)} "
             f"answers" + (f"; NPS from {question[nps_cols[0]]!r}" if nps_cols else "")]
    return PresetResult(frame, m, lines, notes, rejects)
