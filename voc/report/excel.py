"""themes.xlsx: the report's tables for people who live in spreadsheets.

Sheets: Themes (every theme with volume, sentiment, impact on each score with its 95%
interval, trend and three redacted examples), Priorities (the ranked pain points and
strengths), Drivers (the full drivers table), Theme share by period, the customer tables
when the run has them (journey transitions, repeat contact, service times, outcomes; see
:mod:`voc.report.customers`), Summary (scores with intervals, counts) and About (what the
columns mean). Customer text is always written as text: a verbatim that starts with "="
never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.drivers.scores import KIND_METRICS, mean_and_se
from voc.report import customers, data

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from voc.pipeline import Analysis

PERCENT = {"share", "negative_share", "documents_share", "repeat_rate", "repeat_low", "repeat_high", "switch_rate",
           "switch_low", "switch_high", "rate_with", "rate_without"}
ABOUT = [
    ("Themes", "One row per issue, grouped under its aspect (what customers talk about; the issue is what they say "
               "about it, negative, neutral or positive). General sentiment with no aspect and context (greetings, "
               "thanks, order details) are counted in the Summary sheet, not listed. Per issue: how many documents mention it (documents, share), its mean sentiment "
               "(-1 very negative .. +1 very positive), the share of its sentences that are negative, its impact on "
               "each score with the 95% interval, its trend over the period, whether it is emerging in the latest "
               "period, the touchpoint it is most often mentioned with, and three example sentences (redacted)."),
    ("Priorities", "The ranked pain points (kind = pain) and strengths per score: themes whose whole 95% interval "
                   "of impact lies on one side of zero, ranked by the end of the interval nearest zero."),
    ("Drivers", "Every theme and touchpoint against every score: mention delta (score of those who mention it "
                "minus those who do not), impact, key-driver model coefficients and relative weights."),
    ("Theme share by period", "Share of each period's documents that mention each theme."),
    ("Summary", "Each score's metrics with 95% intervals, and the run's counts."),
    ("impact", "Score over everyone minus score over the customers who do not mention the theme: how far the score "
               "would move if those customers scored like the others. Negative = the theme drags the score down."),
    ("units", "NPS in points (-100..100); top-2/bottom-2 box and promoter/detractor shares in percentage points; "
              "means (stars, CES, CSAT mean) in the score's own units."),
]


def _cell(v: Any) -> Any:
    """A value openpyxl can store: plain Python, NaN as empty, lists joined, no control chars."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if v is None:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        v = " | ".join(map(str, v))
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime().replace(tzinfo=None)
    if isinstance(v, (dt.datetime, dt.date, int)):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return ILLEGAL_CHARACTERS_RE.sub("", str(v))


def _sheet(ws: "Worksheet", frame: pd.DataFrame, widths: dict[str, int] | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cols = list(frame.columns)
    ws.append([str(c) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1D2330")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in frame.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    for j, c in enumerate(cols, start=1):
        letter = get_column_letter(j)
        name = str(c)
        fmt = "0.0%" if name in PERCENT or name.endswith("share") else None
        if fmt is None and frame[c].dtype.kind == "f":
            fmt = "0.000"
        for cell in ws[letter][1:]:
            if cell.data_type == "f":  # customer text is never a formula
                cell.data_type = "s"
            if fmt and isinstance(cell.value, float):
                cell.number_format = fmt
            if name.startswith("example") or name == "keywords":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = (widths or {}).get(name)
        if width is None:
            sample = [len(name)] + [len(str(v)) for v in frame[c].head(200).tolist()]
            width = min(max(sample) + 2, 60)
        ws.column_dimensions[letter].width = max(width, 8)
    ws.freeze_panes = "B2" if len(cols) > 1 else "A2"
    if len(frame):
        ws.auto_filter.ref = ws.dimensions


def theme_sheet(analysis: "Analysis", themes: pd.DataFrame) -> pd.DataFrame:
    rows = data.theme_rows(analysis, themes)
    if rows.empty:
        return pd.DataFrame(columns=["theme_id", "label", "documents", "share", "mean_sentiment"])
    out = pd.DataFrame({"theme_id": rows["theme_id"], "aspect": rows["group"], "label": rows["label"],
                        "polarity": rows["polarity"] if "polarity" in rows.columns else None,
                        "keywords": rows["keywords"].map(lambda k: ", ".join(k[:8])),
                        "documents": rows["documents"], "share": rows["share"],
                        "mean_sentiment": rows.get("mean_sentiment"), "negative_share": rows.get("negative_share")})
    for sc in data.scores(analysis):
        for col, name in (("impact", "impact"), ("impact_ci_low", "ci low"), ("impact_ci_high", "ci high")):
            key = f"{sc.label}:{col}"
            out[f"{sc.title} {name}"] = rows[key] if key in rows.columns else np.nan
    out["trend"] = rows["trend"]
    out["emerging"] = rows["emerging"]
    out["touchpoint"] = rows["touchpoint"]
    for i in range(3):
        out[f"example {i + 1}"] = rows["examples"].map(lambda e, i=i: e[i] if len(e) > i else None)
    return out


def summary_sheet(analysis: "Analysis") -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    docs = analysis.documents
    for sc in data.scores(analysis):
        for name in KIND_METRICS.get(sc.spec.kind, ("mean",)):
            try:
                value, se, n = mean_and_se(data.score_values(docs, sc, name))
            except Exception:  # a metric the score's range does not support
                continue
            rows.append({"item": f"{sc.label} {name}", "value": value, "ci_low": value - data.Z95 * se,
                         "ci_high": value + data.Z95 * se, "n": n})
    mix_col = "sentiment_mix" if "sentiment_mix" in docs.columns else "sentiment"
    if mix_col in docs.columns and len(docs):
        for k, v in docs[mix_col].astype("string").value_counts(normalize=True).items():
            rows.append({"item": f"documents {k} (share)", "value": float(v), "n": len(docs)})
    sents = analysis.sentences
    if "kind" in sents.columns and len(sents):  # the buckets that are counted, never ranked
        for k, v in sents["kind"].astype("string").value_counts(normalize=True).items():
            rows.append({"item": f"sentences {k} (share)", "value": float(v), "n": len(sents)})
    for k, v in (analysis.run.get("counts") or {}).items():
        rows.append({"item": f"count: {k}", "value": v})
    rows.append({"item": "generated", "value": analysis.run.get("voc_run", "")})
    rows.append({"item": "voc version", "value": (analysis.run.get("versions") or {}).get("voc", "")})
    return pd.DataFrame(rows, columns=["item", "value", "ci_low", "ci_high", "n"])


def period_sheet(analysis: "Analysis", themes: pd.DataFrame) -> pd.DataFrame:
    shares = data.theme_trends(analysis)
    if shares.empty:
        return pd.DataFrame(columns=["theme_id", "label"])
    labels = {data._key(k): str(v) for k, v in zip(themes.get("theme_id", []), themes.get("label", []))}
    t = shares.T
    t.columns = [f"{p:%Y-%m-%d}" for p in t.columns]
    t.insert(0, "label", [labels.get(k, k) for k in t.index])
    t.insert(0, "theme_id", t.index)
    return t.reset_index(drop=True)


def _quotes(analysis: "Analysis", themes: pd.DataFrame) -> dict[str, str]:
    """Each issue's leading verbatim by key, as the Themes sheet's first example."""
    rows = data.theme_rows(analysis, themes)
    if rows.empty:
        return {}
    return {k: v[0] for k, v in zip(rows["key"], rows["examples"]) if len(v)}


def write_excel(analysis: "Analysis", path: Path, themes: pd.DataFrame | None = None) -> Path:
    """Write themes.xlsx atomically (temporary name, then rename)."""
    from openpyxl import Workbook

    from voc.outputs import atomic_write, theme_table

    themes = theme_table(analysis) if themes is None else themes
    extra = customers.sheets(analysis, _quotes(analysis, themes))
    about = ABOUT + [a for a in customers.ABOUT if any(name == a[0] for name, _, _ in extra)]
    sheets: list[tuple[str, pd.DataFrame, dict[str, int]]] = [
        ("Themes", theme_sheet(analysis, themes), {"label": 24, "keywords": 40, "example 1": 60, "example 2": 60,
                                                    "example 3": 60}),
        ("Priorities", analysis.priorities, {}),
        ("Drivers", analysis.drivers, {}),
        ("Theme share by period", period_sheet(analysis, themes), {"label": 24}),
        *extra,
        ("Summary", summary_sheet(analysis), {"item": 34}),
        ("About", pd.DataFrame(about, columns=["sheet or term", "what it means"]),
         {"sheet or term": 24, "what it means": 120}),
    ]

    def write(tmp: Path) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        for name, frame, widths in sheets:
            _sheet(wb.create_sheet(name), frame if frame is not None else pd.DataFrame(), widths)
        wb.save(tmp)

    path = Path(path)
    atomic_write(path, write)
    return path
