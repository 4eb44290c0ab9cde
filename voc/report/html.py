"""Build report.html from an Analysis: aggregates only, so it stays small to mail.

One self-contained file: CSS and plotly.js inline (once), every chart's data inline, no
URL of any kind, so it opens offline from a mail attachment. The numbers come from
:mod:`voc.report.data`, the charts from :mod:`voc.report.charts`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from voc.drivers.scores import mean_and_se
from voc.language import not_analysed_message
from voc.language.stage import agent_mask
from voc.report import charts, data
from voc.report import customers as customer_section
from voc.report.data import Z95, fmt, pct

if TYPE_CHECKING:
    from voc.pipeline import Analysis

log = logging.getLogger("voc")

MAX_THEMES = 60  # rows of the themes table; every theme is in themes.xlsx / themes.csv
MAX_EXAMPLE_CHARS = 240
TOP_TREND_THEMES = 5
TOP_LEVEL_THEMES = 12


def _env() -> Environment:
    env = Environment(loader=PackageLoader("voc.report", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters["fmt"] = fmt
    env.filters["pct"] = pct
    return env


def _clip(text: str, n: int = MAX_EXAMPLE_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _date_range(docs: pd.DataFrame) -> str:
    if "date" not in docs.columns:
        return ""
    d = pd.to_datetime(docs["date"], errors="coerce").dropna()
    if d.empty:
        return ""
    return f"{d.min():%d %b %Y} to {d.max():%d %b %Y}"


def _impact_cell(row: pd.Series, sc: data.Score) -> dict[str, Any]:
    v, lo, hi = (row.get(f"{sc.label}:{c}") for c in ("impact", "impact_ci_low", "impact_ci_high"))
    if v is None or not np.isfinite(float(v)):
        return {"text": "–", "cls": "na", "title": "not enough scored documents", "sort": ""}
    v, lo, hi = float(v), float(lo), float(hi)
    better = sc.spec.higher_is_better
    if lo > 0 or hi < 0:
        good = (lo > 0) == better
        cls = "good" if good else "bad"
        note = "a strength" if good else "a pain point"
    else:
        cls, note = "na", "interval includes zero: no evidence either way"
    return {"text": fmt(v, sc.decimals, sign=True), "cls": cls, "sort": f"{v:.6f}",
            "title": f"impact on {sc.title}: {fmt(v, sc.decimals, True)} {sc.unit}, 95% CI {fmt(lo, sc.decimals)} "
                     f"to {fmt(hi, sc.decimals)} ({note})"}


def _theme_table(analysis: "Analysis", rows: pd.DataFrame, scores: list[data.Score],
                 shares: pd.DataFrame, flagged: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    flag_keys = set(zip(flagged["key"], flagged["period"])) if not flagged.empty else set()
    for _, r in rows.head(MAX_THEMES).iterrows():
        key = r["key"]
        spark = ""
        if key in shares.columns:
            vals = shares[key].tolist()
            spark = charts.sparkline(vals, flagged=[(key, p) in flag_keys for p in shares.index])
        sent = float(r["mean_sentiment"]) if pd.notna(r.get("mean_sentiment")) else np.nan
        out.append({
            "label": str(r["label"]), "group": str(r.get("group") or ""),
            "keywords": ", ".join(r["keywords"][:6]), "documents": int(r["documents"]), "share": float(r["share"]),
            "sentiment": sent, "negative_share": float(r.get("negative_share") or 0.0),
            "sent_cls": "bad" if sent < -0.15 else "good" if sent > 0.15 else "na",
            "impacts": [_impact_cell(r, sc) for sc in scores], "trend": str(r.get("trend") or "n/a"),
            "emerging": bool(r.get("emerging")), "spark": spark,
            "touchpoint": str(r["touchpoint"]) if pd.notna(r.get("touchpoint")) else "",
            "examples": [_clip(x) for x in r["examples"]],
        })
    return out


def _quotes(rows: pd.DataFrame) -> dict[str, str]:
    """Each theme's leading verbatim (the one that shows what the issue is), by key."""
    if rows.empty or "examples" not in rows.columns:
        return {}
    return {k: _clip(v[0]) for k, v in zip(rows["key"], rows["examples"]) if len(v)}


def _period_figures(analysis: "Analysis", scores: list[data.Score], rows: pd.DataFrame,
                    shares: pd.DataFrame, flagged: pd.DataFrame) -> dict[str, Any]:
    per, freq = data.periods(analysis)
    if per is None:
        return {}
    docs = analysis.documents
    mix_col = "sentiment_mix" if "sentiment_mix" in docs.columns else "sentiment"
    figs: dict[str, Any] = {}
    if mix_col in docs.columns:
        counts = pd.crosstab(per, docs[mix_col].astype("string"))
        figs["volume_time"] = charts.volume_over_time(counts, freq) if len(counts) >= 2 else None
    series = {}
    for sc in scores:
        frame = pd.DataFrame({"p": per, "y": data.score_values(docs, sc)}).dropna()
        if frame.empty:
            continue
        stats = frame.groupby("p")["y"].apply(lambda s: mean_and_se(s.to_numpy()))
        t = pd.DataFrame({"value": [a for a, _, _ in stats], "half": [Z95 * b for _, b, _ in stats],
                          "n": [c for _, _, c in stats]}, index=stats.index)
        if len(t) >= 2:
            series[sc.title] = t
    figs["scores_time"] = charts.scores_over_time(series, freq)
    if not rows.empty and not shares.empty:
        keys = [k for k in rows["key"].head(TOP_TREND_THEMES) if k in shares.columns]
        recent = flagged[flagged["dimension"] == "theme"] if not flagged.empty else flagged
        keys += [k for k in (recent["key"] if not recent.empty else []) if k in shares.columns and k not in keys][:4]
        labels = dict(zip(rows["key"], rows["label"].astype(str)))
        figs["themes_time"] = charts.theme_share_over_time(shares[keys], labels, recent, freq)
    figs["freq"] = freq
    return figs


def _breakdowns(analysis: "Analysis", scores: list[data.Score], rows: pd.DataFrame) -> list[dict[str, Any]]:
    docs = analysis.documents
    mapping = analysis.run.get("mapping") or {}
    columns = (["channel"] if "channel" in docs.columns else []) + [
        s for s in (mapping.get("segments") or []) if s in docs.columns and s != "channel"]
    keys = list(rows["key"].head(TOP_LEVEL_THEMES)) if not rows.empty else []
    labels = dict(zip(rows["key"], rows["label"].astype(str))) if not rows.empty else {}
    out = []
    for col in columns:
        table = data.breakdown(analysis, col)
        if table.empty:
            continue
        entry: dict[str, Any] = {"column": col, "levels": len(table), "only": str(table[col].iloc[0]),
                                 "n": int(table["documents"].iloc[0]), "rows": []}
        if len(table) >= 2:
            entry["chart"] = charts.breakdown_sentiment(table.head(25), col)
            overall = dict(zip(rows["key"], rows["share"].astype(float))) if not rows.empty else {}
            entry["heatmap"] = None if len(table) < 3 else charts.theme_level_heatmap(
                data.theme_by_level(analysis, col, keys).reindex(table[col].head(25)), overall, labels, col)
            for _, r in table.head(25).iterrows():
                cells = []
                for sc in scores:
                    n = int(r.get(f"{sc.label}:n", 0) or 0)
                    ci = (f"±{fmt(r.get(f'{sc.label}:ci'), sc.decimals)} (n={n:,})" if n >= data.MIN_RELIABLE
                          else f"n={n}: too few" if n else "no scores")
                    cells.append({"text": fmt(r.get(sc.label), sc.decimals, sc.metric == "nps") if n else "–",
                                  "ci": ci})
                entry["rows"].append({"level": str(r[col]), "documents": int(r["documents"]), "share": r["share"],
                                      "negative": r.get("negative", np.nan), "positive": r.get("positive", np.nan),
                                      "scores": cells})
        out.append(entry)
    return out


def _reason_kind(reason: str) -> str:
    """A reject reason without its row-specific values, so that reasons can be counted:
    "duplicate id '5703' (first seen on line 12)" -> "duplicate id (first seen on line …)"."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "", reason.split(":")[0])
    text = re.sub(r"\d+(\.\d+)?", "…", text)
    return " ".join(text.split())


def _methods(analysis: "Analysis") -> dict[str, Any]:
    run = analysis.run
    stages = run.get("stages") or {}
    rejects = analysis.rejects
    reasons: list[tuple[str, int]] = []
    if not rejects.empty and "reason" in rejects.columns:
        vc = rejects["reason"].astype(str).map(_reason_kind).value_counts().head(5)
        reasons = [(str(k), int(v)) for k, v in vc.items()]
    pii = (stages.get("clean") or {}).get("pii_redacted") or {}
    return {
        "counts": run.get("counts", {}), "reasons": reasons, "versions": run.get("versions", {}),
        "pii": {k: int(v) for k, v in pii.items() if v},
        "sentiment_model": (stages.get("sentiment") or {}).get("model", "?"),
        "embedder": (stages.get("embed") or {}).get("model", "?"),
        "themes": stages.get("themes") or {}, "touchpoints": stages.get("touchpoints") or {},
        "notes": ((stages.get("drivers") or {}).get("notes")) or [],
        "mode": run.get("mode", ""), "generated": run.get("voc_run", ""),
    }


_PLOTLY_SLOT = "/* voc: plotly.js goes here */"


def build_report(analysis: "Analysis", themes: pd.DataFrame | None = None, title: str = "Voice of the Customer report",
                 out_dir: Path | None = None) -> str:
    """The report as one HTML string. ``themes`` is the themes.csv table (computed when
    omitted); ``out_dir`` is where the run's outputs live (for the saved taxonomy)."""
    from voc.outputs import theme_table

    themes = theme_table(analysis) if themes is None else themes
    docs = analysis.documents
    scores = data.scores(analysis)
    rows = data.theme_rows(analysis, themes)
    shares = data.theme_trends(analysis)
    flagged = data.emerging(analysis)
    pains, strengths = data.priorities(analysis, "pain"), data.priorities(analysis, "strength")
    by_score: list[dict[str, Any]] = []
    for sc in scores:
        p = pains[(pains["score"] == sc.label) & (pains["metric"] == sc.metric)] if not pains.empty else pains
        s = strengths[(strengths["score"] == sc.label) & (strengths["metric"] == sc.metric)] \
            if not strengths.empty else strengths
        by_score.append({"title": sc.title, "chart": charts.impact_chart(p, s, sc), "n_pain": len(p),
                         "n_strength": len(s)})
    sentiment_driven = not scores and not (pains.empty and strengths.empty)
    if sentiment_driven:
        by_score.append({"title": "mean sentiment", "chart": charts.impact_chart(pains, strengths, None),
                         "n_pain": len(pains), "n_strength": len(strengths)})
    journey = data.touchpoint_sentiment(analysis, out_dir)
    figures: dict[str, Any] = {
        "matrix": charts.priority_matrix(rows, scores) if len(rows) >= 2 else None,
        "journey": charts.touchpoint_heatmap(journey),
        "journey_impact": charts.touchpoint_impact(
            data.touchpoint_drivers(analysis, scores[0], list(journey.index)), scores[0]) if scores else None,
        **_period_figures(analysis, scores, rows, shares, flagged),
    }
    kpi = data.kpis(analysis)
    channels = sorted(docs["channel"].astype("string").dropna().unique()) if "channel" in docs.columns else []
    latest = flagged[flagged["period"] == flagged["period"].max()] if not flagged.empty else flagged
    context = dict(
        title=title, n_docs=int((~agent_mask(docs)).sum()), n_agent=int(agent_mask(docs).sum()),
        date_range=_date_range(docs), channels=channels,
        kpis=kpi["cards"], comparison=kpi["comparison"], mix=kpi["mix"],
        pains=data.headline(analysis, "pain", examples=rows), strengths=data.headline(analysis, "strength", top=3,
                                                                                    examples=rows),
        has_scores=bool(scores), sentiment_driven=sentiment_driven, by_score=by_score,
        scores=scores, figures=figures, theme_rows=_theme_table(analysis, rows, scores, shares, flagged),
        n_themes=len(rows), max_themes=MAX_THEMES,
        buckets=data.buckets(themes, len(analysis.sentences)),
        n_aspects=int((themes["kind"].astype(str) == "aspect").sum()) if "kind" in themes.columns else 0,
        emerging=[{"period": data.period_name(pd.Timestamp(r["period"]), figures.get("freq", "month")),
                   "label": r["label"], "dimension": r["dimension"], "reason": r["reason"],
                   "share": pct(r["share"], 1), "volume": int(r["volume"]),
                   "q": fmt(r["q"], 3) if pd.notna(r["q"]) else "–"} for _, r in flagged.head(12).iterrows()],
        emerging_latest=[f"{r['label']}" + ("" if r["dimension"] == "theme" else f" ({r['dimension']})")
                         for _, r in latest.head(6).iterrows()] if not latest.empty else [],
        rising=[str(x) for x in rows[rows["trend"] == "rising"]["label"].head(5)] if not rows.empty else [],
        breakdowns=_breakdowns(analysis, scores, rows), methods=_methods(analysis),
        language_note=not_analysed_message(docs), languages=_languages(docs),
        customers=customer_section.section(analysis, _quotes(rows)),
        plotlyjs=_PLOTLY_SLOT,
    )
    html = _env().get_template("report.html.j2").render(**context)
    # plotly.js goes in last: which bundle depends on the trace types the page draws
    html = html.replace(_PLOTLY_SLOT, charts.plotly_bundle(html), 1)
    log.debug("report: %d charts, %d bytes", html.count('class="plotly-graph-div"'), len(html))
    return html


def _languages(docs: pd.DataFrame) -> str | None:
    """"Languages: English 81%, French 12%, German 5%, Japanese 2% (not analysed)" when the
    feedback holds more than one; ``und`` (too short to tell) is counted apart."""
    from voc.language import UND, analysed_mask, language_name

    if "language" not in docs.columns or docs.empty:
        return None
    lang = docs["language"].astype("string").fillna(UND)
    named = lang[lang != UND]
    if named.nunique() < 2:
        return None
    read = pd.Series(analysed_mask(docs), index=docs.index)
    parts = []
    for code, n in named.value_counts().head(8).items():
        share = n / len(docs)
        note = "" if read[lang == code].any() else " (not analysed)"
        parts.append(f"{language_name(str(code))} {share:.0%}{note}" if share >= 0.01 else
                     f"{language_name(str(code))} <1%{note}")
    rest = named.nunique() - 8
    und = int((lang == UND).sum())
    return ("Languages: " + ", ".join(parts) + (f", {rest} more" if rest > 0 else "")
            + (f"; {und / len(docs):.0%} too short to tell" if und else ""))


def write_report(analysis: "Analysis", path: Path, themes: pd.DataFrame | None = None,
                 title: str = "Voice of the Customer report") -> Path:
    """Write report.html atomically (temporary name, then rename)."""
    from voc.outputs import atomic_write

    path = Path(path)
    text = build_report(analysis, themes=themes, title=title, out_dir=path.parent)
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
    return path
