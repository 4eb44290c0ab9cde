"""Build report.html from an Analysis: aggregates only, so it stays small to mail."""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from voc.report import charts

if TYPE_CHECKING:
    from voc.pipeline import Analysis


def _env() -> Environment:
    return Environment(loader=PackageLoader("voc.report", "templates"), autoescape=select_autoescape(["html", "j2"]))


def _kpis(analysis: "Analysis") -> list[dict[str, str]]:
    docs = analysis.documents
    run = analysis.run
    out = [{"name": "Documents", "value": f"{len(docs):,}"},
           {"name": "Sentences", "value": f"{len(analysis.sentences):,}"}]
    if "sentiment" in docs and len(docs):
        neg = (docs["sentiment"] == "negative").mean()
        pos = (docs["sentiment"] == "positive").mean()
        out.append({"name": "Negative / positive", "value": f"{neg:.0%} / {pos:.0%}"})
    for spec in (run.get("mapping") or {}).get("scores", []):
        label = spec.get("name") or (spec["kind"] if spec["kind"] != "custom" else spec["column"])
        if label not in docs:
            continue
        s = pd.to_numeric(docs[label], errors="coerce").dropna()
        if s.empty:
            continue
        if spec["kind"] == "nps":
            value = f"{100 * ((s >= 9).mean() - (s <= 6).mean()):+.0f}"
        elif spec["kind"] in ("csat", "stars"):
            value = f"{s.mean():.2f} (top-2 {(s >= 4).mean():.0%})"
        else:
            value = f"{s.mean():.2f}"
        out.append({"name": f"{label.upper() if spec['kind'] != 'custom' else label} (n={len(s):,})", "value": value})
    rejected = run.get("counts", {}).get("rejected", 0)
    out.append({"name": "Rejected rows", "value": f"{rejected:,}"})
    return out


def _table(frame: pd.DataFrame, columns: list[str], rename: dict[str, str] | None = None, limit: int = 50) -> str:
    cols = [c for c in columns if c in frame.columns]
    if frame.empty or not cols:
        return ""
    t = frame[cols].head(limit).rename(columns=rename or {})
    return t.to_html(index=False, classes="table", border=0, escape=True, float_format=lambda v: f"{v:.3g}",
                     na_rep="")


def build_report(analysis: "Analysis", themes: pd.DataFrame | None = None, title: str = "Voice of the Customer report") -> str:
    from plotly.offline import get_plotlyjs

    from voc.outputs import theme_table

    themes = theme_table(analysis) if themes is None else themes
    pri = analysis.priorities
    pains = strengths = pd.DataFrame()
    if not pri.empty and "kind" in pri:
        pains = pri[pri["kind"].astype(str).str.contains("pain")]
        strengths = pri[pri["kind"].astype(str).str.contains("strength")]
    value_col = "impact" if "impact" in pri else None
    label_col = "label" if "label" in pri else (pri.columns[0] if len(pri.columns) else "label")
    figures: dict[str, Any] = {
        "sentiment": charts.sentiment_mix(analysis.documents),
        "themes": charts.theme_bars(themes),
        "pains": charts.impact_bars(pains.head(10), value_col, "impact_ci_low", "impact_ci_high", label_col,
                                    "Top pain points: what drags scores down") if value_col else None,
        "strengths": charts.impact_bars(strengths.head(10), value_col, "impact_ci_low", "impact_ci_high", label_col,
                                        "Top strengths: what lifts scores") if value_col else None,
        "touchpoints": charts.touchpoint_heatmap(analysis.sentences),
        "time": charts.volume_over_time(analysis.documents),
    }
    has_scores = bool((analysis.run.get("mapping") or {}).get("scores"))
    theme_cols = ["label", "documents", "share", "mean_sentiment", "negative_share", "keywords", "examples"]
    run = analysis.run
    env = _env()
    return env.get_template("report.html.j2").render(
        title=title, kpis=_kpis(analysis), figures=figures, plotlyjs=get_plotlyjs(),
        has_scores=has_scores,
        pains_table=_table(pains, ["label", "score", "n", "impact", "impact_ci_low", "impact_ci_high",
                                   "mention_delta", "touchpoint", "trend"], limit=10),
        strengths_table=_table(strengths, ["label", "score", "n", "impact", "impact_ci_low", "impact_ci_high",
                                           "mention_delta", "touchpoint", "trend"], limit=10),
        themes_table=_table(themes, theme_cols, {"mean_sentiment": "sentiment", "negative_share": "negative"}),
        counts=run.get("counts", {}), versions=run.get("versions", {}),
        sentiment_model=(run.get("stages", {}).get("sentiment") or {}).get("model", "?"),
        generated=run.get("voc_run", ""), escape=_html.escape,
    )


def write_report(analysis: "Analysis", path: Path, themes: pd.DataFrame | None = None) -> Path:
    from voc.outputs import atomic_write

    text = build_report(analysis, themes=themes)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return path
