"""The aggregates the report shows, as plain DataFrames and dicts (no HTML here).

Everything the report needs is computed from an :class:`~voc.pipeline.Analysis` by these
free functions, so the HTML report and the spreadsheet export show the same numbers and
neither embeds a row per document: a report of 100k documents stays a few MB.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.drivers.scores import PRIMARY_METRIC, mean_and_se, metric
from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.language.stage import agent_mask
from voc.touchpoints.mentions import touchpoint_mentions

if TYPE_CHECKING:
    from voc.pipeline import Analysis

log = logging.getLogger("voc")

Z95 = 1.959963984540054
SENTIMENTS = ("negative", "mixed", "neutral", "positive")
#: How each metric is named on screen and in what unit its differences are given.
METRIC_TEXT: dict[str, tuple[str, str, int]] = {  # metric -> (suffix, unit of a difference, decimals)
    "nps": ("", "points", 1),
    "top2box": ("top-2 box %", "pp", 1),
    "bottom2box": ("bottom-2 box %", "pp", 1),
    "promoters": ("promoters %", "pp", 1),
    "detractors": ("detractors %", "pp", 1),
    "mean": ("mean", "", 2),
}


@dataclass(frozen=True)
class Score:
    """A score the run was given: its spec, the documents' column and the primary metric."""

    spec: ScoreSpec
    column: str
    metric: str

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def title(self) -> str:
        """e.g. "NPS", "CSAT top-2 box %", "Stars mean"."""
        base = self.spec.label.upper() if self.spec.kind in ("nps", "csat", "ces") else self.spec.label.capitalize()
        suffix = METRIC_TEXT.get(self.metric, (self.metric, "", 2))[0]
        return f"{base} {suffix}".strip()

    @property
    def unit(self) -> str:
        return METRIC_TEXT.get(self.metric, ("", "", 2))[1] or self.spec.label

    @property
    def decimals(self) -> int:
        return METRIC_TEXT.get(self.metric, ("", "", 2))[2]


def finite(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing, not a number or not finite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def fmt(value: Any, decimals: int = 1, sign: bool = False, thousands: bool = False) -> str:
    """A number for a reader: NaN as an en dash, a real minus sign (``thousands``: 12,340)."""
    v = finite(value)
    if v is None:
        return "–"
    spec = ("+" if sign else "") + ("," if thousands else "") + f".{decimals}f"
    return format(v, spec).replace("-", "−")


def pct(value: Any, decimals: int = 0) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(v) else f"{100 * v:.{decimals}f}%"


# --- scores -----------------------------------------------------------------------
def scores(analysis: "Analysis") -> list[Score]:
    """The scores of the run's mapping that have a column with at least one value."""
    mapping = analysis.run.get("mapping") or {}
    try:
        specs = ColumnMapping.from_dict(mapping).scores if mapping else []
    except Exception:  # a mapping from a newer/older voc: show no scores rather than fail
        log.warning("report: could not read the score mapping from run.json; scores are left out")
        specs = []
    metrics = ((analysis.run.get("config") or {}).get("drivers") or {}).get("metrics") or {}
    docs = analysis.documents
    out = []
    for spec in specs:
        col = spec.label if spec.label in docs.columns else spec.column
        if col not in docs.columns or pd.to_numeric(docs[col], errors="coerce").notna().sum() == 0:
            continue
        out.append(Score(spec, col, metrics.get(spec.label) or PRIMARY_METRIC.get(spec.kind, "mean")))
    return out


def score_values(docs: pd.DataFrame, score: Score, name: str | None = None) -> np.ndarray:
    """Per-document values whose mean is the metric (NaN = not scored, or out of range)."""
    x = pd.to_numeric(docs[score.column], errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    lo, hi = score.spec.bounds()
    if lo is not None:
        x = np.where(x < lo, np.nan, x)
    if hi is not None:
        x = np.where(x > hi, np.nan, x)
    return metric(score.spec, name or score.metric).values(x)


# --- periods ----------------------------------------------------------------------
def periods(analysis: "Analysis") -> tuple[pd.Series | None, str]:
    """Period start per document (NaT when undated) and "month"/"week", as the drivers
    stage assigned them; (None, "") without dates."""
    from voc.drivers.trends import assign_periods

    docs = analysis.documents
    if "date" not in docs.columns:
        return None, ""
    d = pd.to_datetime(docs["date"], errors="coerce", utc=False)
    if d.notna().sum() == 0:
        return None, ""
    freq = (((analysis.run.get("config") or {}).get("drivers") or {}).get("freq")) or "auto"
    try:
        return assign_periods(d, freq)
    except (TypeError, ValueError):
        return assign_periods(pd.to_datetime(docs["date"], errors="coerce", utc=True), freq)


def period_name(start: pd.Timestamp, freq: str) -> str:
    return start.strftime("%b %Y") if freq == "month" else f"week of {start:%d %b %Y}"


# --- KPIs -------------------------------------------------------------------------
MIN_RELIABLE = 30  # fewer scored answers than this: the figure is shown with a warning


def interval(score: Score, value: float, se: float) -> tuple[float, float]:
    """The 95% interval of a score's metric, clipped to the metric's range (an NPS
    interval never runs past -100..100)."""
    lo, hi = value - Z95 * se, value + Z95 * se
    bounds = metric(score.spec, score.metric).bounds
    if bounds is not None and all(np.isfinite(bounds)):
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return lo, hi


def _delta(cur: np.ndarray, prev: np.ndarray) -> tuple[float, float, bool, int, int]:
    v1, s1, n1 = mean_and_se(cur)
    v0, s0, n0 = mean_and_se(prev)
    d = v1 - v0
    half = Z95 * float(np.hypot(s1, s0))
    return d, half, bool(np.isfinite(d) and np.isfinite(half) and abs(d) > half), n1, n0


#: a previous period with fewer documents than this gets counts, not a percentage change
MIN_VOLUME_BASE = 30


def kpis(analysis: "Analysis") -> dict[str, Any]:
    """Headline numbers: volume, each score with its 95% interval, the sentiment mix, and
    the change of each between the latest period and the one before (with an interval)."""
    docs = analysis.documents
    agents = int(agent_mask(docs).sum())  # agents' replies are kept, not feedback: never counted as such
    n = len(docs) - agents
    per, freq = periods(analysis)
    cur = prev = None
    comparison = None
    if per is not None:
        starts = sorted(per.dropna().unique())
        if len(starts) >= 2:
            cur, prev = (per == starts[-1]).to_numpy(), (per == starts[-2]).to_numpy()
            last = pd.Timestamp(starts[-1])
            end = last + (pd.DateOffset(months=1) if freq == "month" else pd.Timedelta(days=7))
            dates = pd.to_datetime(docs["date"], errors="coerce")
            if getattr(dates.dt, "tz", None) is not None:
                dates = dates.dt.tz_localize(None)
            newest = dates.max()
            comparison = {"current": period_name(last, freq), "previous": period_name(pd.Timestamp(starts[-2]), freq),
                          "n_current": int(cur.sum()), "n_previous": int(prev.sum()), "freq": freq,
                          "partial": bool(newest.normalize() < (end - pd.Timedelta(days=1)).normalize()),
                          "newest": f"{newest:%d %b %Y}"}
    cards: list[dict[str, Any]] = []
    vol = {"name": "Feedback analysed", "value": f"{n:,}",
           "detail": "documents" + (f" (and {agents:,} agent replies, not feedback)" if agents else "")}
    if comparison:
        change = comparison["n_current"] / max(comparison["n_previous"], 1) - 1
        # a percentage of a handful reads as a surge ("+15612%" over a week with 3 messages): counts instead
        versus = (f"{change:+.0%} vs {comparison['previous']}" if comparison["n_previous"] >= MIN_VOLUME_BASE
                  else f"{comparison['n_previous']:,} in {comparison['previous']}")
        vol["delta"] = f"{comparison['n_current']:,} in {comparison['current']} ({versus})"
        vol["delta_class"] = "neutral"
    cards.append(vol)
    for sc in scores(analysis):
        y = score_values(docs, sc)
        value, se, k = mean_and_se(y)
        lo, hi = interval(sc, value, se)
        card = {"name": sc.title, "value": fmt(value, sc.decimals, sign=sc.metric == "nps"),
                "detail": f"95% CI {fmt(lo, sc.decimals)} to {fmt(hi, sc.decimals)} · n = {k:,}"
                          + (" · too few answers for a reliable figure" if k < MIN_RELIABLE else "")}
        if cur is not None:
            d, half, sig, n1, n0 = _delta(y[cur], y[prev])
            if np.isfinite(d):
                good = (d > 0) == sc.spec.higher_is_better
                card["delta"] = (f"{fmt(d, sc.decimals, sign=True)} {sc.unit} vs {comparison['previous']}"  # type: ignore[index]
                                 f" (±{fmt(half, sc.decimals)})")
                card["delta_class"] = ("good" if good else "bad") if sig else "neutral"
                card["delta_note"] = "change exceeds its 95% interval" if sig else "within noise (95% interval)"
        cards.append(card)
    mix_col = "sentiment_mix" if "sentiment_mix" in docs.columns else "sentiment"
    mix: dict[str, float] = {}
    if mix_col in docs.columns and n:
        labels = docs[mix_col].astype("string")
        counts = labels.value_counts()
        mix = {k: float(counts.get(k, 0)) / n for k in SENTIMENTS if counts.get(k, 0)}
        neg = (labels == "negative").fillna(False).to_numpy(dtype=float)
        card = {"name": "Negative feedback", "value": pct(neg.mean()),
                "detail": " · ".join(f"{k} {pct(v)}" for k, v in mix.items() if k != "negative"), "mix": mix}
        if cur is not None:
            d, half, sig, _, _ = _delta(100 * neg[cur], 100 * neg[prev])
            if np.isfinite(d):
                card["delta"] = f"{fmt(d, 1, sign=True)} pp vs {comparison['previous']} (±{fmt(half, 1)})"  # type: ignore[index]
                card["delta_class"] = ("bad" if d > 0 else "good") if sig else "neutral"
                card["delta_note"] = "change exceeds its 95% interval" if sig else "within noise (95% interval)"
        cards.append(card)
    return {"cards": cards, "comparison": comparison, "mix": mix}


# --- themes -----------------------------------------------------------------------
def _key(v: Any) -> str:
    """Theme ids arrive as ints in memory and as ints or strings from CSV; compare as text."""
    try:
        f = float(v)
        return str(int(f)) if f.is_integer() else str(v)
    except (TypeError, ValueError):
        return str(v)


def _as_list(v: Any) -> list[str]:
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x) for x in v]
    if isinstance(v, str) and v:
        return [x for x in v.split(" | ") if x]
    return []


def hidden_keys(themes: pd.DataFrame | None) -> set[str]:
    """Keys of the themes an analyst hid (theme edits): in themes.csv, out of the lists."""
    if themes is None or themes.empty or "hidden" not in themes.columns:
        return set()
    flag = themes["hidden"].map(lambda v: str(v).lower() in ("true", "1", "1.0"))
    return set(themes.loc[flag, "theme_id"].map(_key))


def informative(examples: list[str], keep: int = 3) -> list[str]:
    """The ``keep`` examples that say the most: a theme's most central sentences are often
    the shortest ("@united WHAT?!"), so prefer ones with more words (up to 30)."""
    return sorted(examples, key=lambda x: -min(len(x.split()), 30))[:keep]


def theme_trends(analysis: "Analysis") -> pd.DataFrame:
    """Period × theme key share of documents (columns are theme keys as text)."""
    tr = analysis.trends
    if tr.empty or not {"period", "dimension", "key", "share"}.issubset(tr.columns):
        return pd.DataFrame()
    t = tr[tr["dimension"] == "theme"].assign(key=lambda f: f["key"].map(_key),
                                              period=lambda f: pd.to_datetime(f["period"], errors="coerce"))
    return t.pivot_table(index="period", columns="key", values="share", aggfunc="first").sort_index()


def theme_rows(analysis: "Analysis", themes: pd.DataFrame) -> pd.DataFrame:
    """One row per theme that has documents (leaf themes), with its group, keywords,
    sentiment, impact on every score, trend, emerging flag and up to 3 examples."""
    if themes is None or themes.empty or "label" not in themes.columns:
        return pd.DataFrame()
    t = themes.copy()
    t["key"] = t["theme_id"].map(_key)
    parents = dict(zip(t["key"], t["label"].astype(str)))
    docs_of = dict(zip(t["key"], pd.to_numeric(t.get("documents", 0), errors="coerce").fillna(0)))
    t = t[~t["key"].isin(hidden_keys(themes))]
    if "level" in t.columns:
        t = t[pd.to_numeric(t["level"], errors="coerce").fillna(0) == 0]
    if "kind" in t.columns:  # the general / context buckets are counted once, not listed as themes
        t = t[~t["kind"].astype(str).isin(["general", "context"])]
    t = t[pd.to_numeric(t.get("documents", 0), errors="coerce").fillna(0) > 0]
    t["group"] = t["parent_id"].map(lambda p: parents.get(_key(p), "") if pd.notna(p) else "") \
        if "parent_id" in t.columns else ""
    # issues sit under their aspect: biggest aspect first, then its issues by volume
    t["_group_docs"] = t["parent_id"].map(lambda p: docs_of.get(_key(p), 0) if pd.notna(p) else 0) \
        if "parent_id" in t.columns else 0
    t["keywords"] = t.get("keywords", pd.Series([[]] * len(t), index=t.index)).map(_as_list)
    ex = t.get("examples", pd.Series([[]] * len(t), index=t.index)).map(_as_list)
    backed = pd.to_numeric(t.get("label_support", pd.Series(np.nan, index=t.index)), errors="coerce").fillna(0) > 0
    # an issue's first example carries its label's words: it shows the issue, so it leads
    t["examples"] = [[e[0]] + informative(e[1:], 2) if b and e else informative(e) for e, b in zip(ex, backed)]
    drv = analysis.drivers
    if not drv.empty and {"dimension", "key", "score"}.issubset(drv.columns):
        d = drv[(drv["dimension"] == "theme") & drv["score"].notna()]
        if "segment" in d.columns:
            d = d[d["segment"].fillna("all") == "all"]
        d = d.assign(key=d["key"].map(_key))
        for sc in scores(analysis):
            s = d[(d["score"] == sc.label) & (d["metric"] == sc.metric)].drop_duplicates("key").set_index("key")
            for col in ("impact", "impact_ci_low", "impact_ci_high", "mention_delta"):
                if col in s.columns:
                    t[f"{sc.label}:{col}"] = t["key"].map(s[col])
        base = d.drop_duplicates("key").set_index("key")
        for col in ("trend", "emerging", "touchpoint"):
            if col in base.columns:
                t[col] = t["key"].map(base[col])
    for col, default in (("trend", "n/a"), ("emerging", False), ("touchpoint", None)):
        if col not in t.columns:
            t[col] = default
    t["trend"] = t["trend"].map(lambda v: str(v) if isinstance(v, str) and v and v != "nan" else "n/a")
    t["emerging"] = t["emerging"].map(lambda v: str(v).lower() in ("true", "1", "1.0"))
    t["_group_docs"] = t[["_group_docs", "documents"]].max(axis=1)
    return (t.sort_values(["_group_docs", "group", "documents", "theme_id"], ascending=[False, True, False, True])
            .drop(columns="_group_docs").reset_index(drop=True))


def buckets(themes: pd.DataFrame | None, n_sentences: int) -> list[dict[str, Any]]:
    """The general-sentiment and context buckets: counted and shown once, never ranked."""
    if themes is None or themes.empty or "kind" not in themes.columns:
        return []
    out = []
    for kind, what in (("general", "general sentiment with no aspect (\u201clove it\u201d, \u201cwould not "
                        "recommend\u201d)"), ("context", "context: greetings, sign-offs, thanks, order details")):
        row = themes[themes["kind"].astype(str) == kind]
        if row.empty:
            continue
        n = int(pd.to_numeric(row["sentences"], errors="coerce").fillna(0).iloc[0]) if "sentences" in row else 0
        out.append({"kind": kind, "what": what, "sentences": n, "share": pct(n / max(n_sentences, 1), 1),
                    "examples": informative(_as_list(row["examples"].iloc[0]), keep=3) if "examples" in row else []})
    return out


def emerging(analysis: "Analysis", last: int = 3) -> pd.DataFrame:
    """Themes flagged emerging in any of the ``last`` periods (newest first), with why."""
    tr = analysis.trends
    if tr.empty or "emerging" not in tr.columns:
        return pd.DataFrame(columns=["period", "label", "reason", "share", "volume", "q"])
    t = tr[tr["dimension"] != "all"].copy()
    t["period"] = pd.to_datetime(t["period"], errors="coerce")
    recent = sorted(t["period"].dropna().unique())[-last:]
    t = t[t["period"].isin(recent) & t["emerging"].map(lambda v: str(v).lower() in ("true", "1", "1.0"))]
    t = t[~(t["dimension"].eq("theme") & t["key"].map(_key).isin(hidden_keys(analysis.themes)))]
    reasons = {"new": "new: absent before", "volume": "more often mentioned", "negative": "more negative",
               "volume+negative": "more often and more negative"}
    out = pd.DataFrame({"period": t["period"], "dimension": t["dimension"], "key": t["key"].map(_key),
                        "label": t["label"].astype(str),
                        "reason": t.get("emerging_reason", pd.Series("", index=t.index)).map(
                            lambda r: reasons.get(str(r), str(r))),
                        "share": t["share"], "volume": t["volume"], "q": t.get("emerging_q")})
    return out.sort_values(["period", "volume"], ascending=[False, False]).reset_index(drop=True)


# --- priorities -------------------------------------------------------------------
def priorities(analysis: "Analysis", kind: str) -> pd.DataFrame:
    """Pain points (``kind="pain"``) or strengths of the priority list, for every score."""
    pri = analysis.priorities
    if pri.empty or "kind" not in pri.columns:
        return pd.DataFrame()
    out = pri[pri["kind"].astype(str) == kind].copy()
    if "key" in out.columns:
        out["key"] = out["key"].map(_key)
        is_theme = out["dimension"].eq("theme") if "dimension" in out.columns else True
        out = out[~(is_theme & out["key"].isin(hidden_keys(analysis.themes)))]
    return out


def headline(analysis: "Analysis", kind: str, top: int = 5, examples: pd.DataFrame | None = None
             ) -> list[dict[str, Any]]:
    """The top pain points (or strengths) across scores, one entry per theme: its best
    rank, the scores it moves (with interval), how much feedback mentions it and, from
    ``examples`` (:func:`theme_rows`), one verbatim that says what the theme is about."""
    p = priorities(analysis, kind)
    if p.empty:
        return []
    titles = {s.label: s for s in scores(analysis)}
    quotes: dict[str, str] = {}
    if examples is not None and not examples.empty and "examples" in examples.columns:
        quotes = {k: v[0] for k, v in zip(examples["key"], examples["examples"]) if v}
    p = p.assign(_rank=pd.to_numeric(p["rank"], errors="coerce"))
    out = []
    for label, g in p.sort_values(["_rank", "volume"], ascending=[True, False]).groupby("label", sort=False):
        effects = []
        for _, r in g.iterrows():
            sc = titles.get(str(r["score"]))
            name = sc.title if sc else ("mean sentiment" if r["score"] == "sentiment" else str(r["score"]))
            dec = sc.decimals if sc else 3
            unit = sc.unit if sc else ""
            effects.append({"score": name, "impact": fmt(r["impact"], dec, sign=True), "unit": unit,
                            "ci": f"{fmt(r['impact_ci_low'], dec)} to {fmt(r['impact_ci_high'], dec)}"})
        r0 = g.iloc[0]
        aspect = r0.get("aspect")
        out.append({"label": str(label), "aspect": str(aspect) if isinstance(aspect, str) and aspect else "",
                    "volume": int(r0["volume"]), "share": pct(r0["share"], 1),
                    "negative_share": pct(r0.get("negative_share")), "trend": r0.get("trend") if isinstance(r0.get("trend"), str) else "n/a",
                    "emerging": str(r0.get("emerging")).lower() in ("true", "1"),
                    "touchpoint": str(r0["touchpoint"]) if pd.notna(r0.get("touchpoint")) else "",
                    "effects": effects, "rank": int(g["_rank"].min()),
                    "example": quotes.get(_key(r0.get("key")), "") if "key" in g.columns else ""})
        if len(out) >= top:
            break
    return out


# --- touchpoints ------------------------------------------------------------------
def journey_order(analysis: "Analysis", names: list[str], out_dir: Path | None = None) -> list[tuple[str, str]]:
    """(touchpoint, journey stage) in journey order: the taxonomy's stages, then its file
    order; touchpoints the taxonomy does not know go last by volume."""
    from voc.touchpoints.taxonomy import STAGES, Taxonomy, default_taxonomy_path, load_taxonomy

    taxonomy = None
    source = ((analysis.run.get("stages") or {}).get("touchpoints") or {}).get("taxonomy")
    state = out_dir / "model" / "touchpoints" / "state.json" if out_dir else None
    try:
        if state is not None and state.is_file():
            taxonomy = Taxonomy.from_entries(json.loads(state.read_text(encoding="utf-8"))["taxonomy"])
        elif source and Path(source).is_file():
            taxonomy = load_taxonomy(source)
        else:
            taxonomy = load_taxonomy(default_taxonomy_path())
    except Exception:  # order is cosmetic: fall back to volume order
        taxonomy = None
    known: dict[str, tuple[int, int, str]] = {}
    if taxonomy is not None:
        for i, tp in enumerate(taxonomy):
            stage = tp.stage or ""
            known[tp.name] = (STAGES.index(stage) if stage in STAGES else len(STAGES), i, stage)
    ordered = sorted([n for n in names if n in known], key=lambda n: known[n][:2])
    return [(n, known[n][2]) for n in ordered] + [(n, "") for n in names if n not in known]


def touchpoint_sentiment(analysis: "Analysis", out_dir: Path | None = None) -> pd.DataFrame:
    """Touchpoint rows (journey order) × share of negative / neutral / positive mentions
    (a clause counts once for each touchpoint it is tagged with, with its sentiment
    towards that one), with ``n`` and ``stage``."""
    s = analysis.sentences
    if s.empty or not {"touchpoint", "sentiment"}.issubset(s.columns):
        return pd.DataFrame()
    if "touchpoints" in s.columns:  # every tag, with the clause's sentiment towards it
        s = touchpoint_mentions(s)
    s = s[s["touchpoint"].astype(str).ne("none") & s["touchpoint"].notna()]
    if s.empty:
        return pd.DataFrame()
    tab = pd.crosstab(s["touchpoint"].astype(str), s["sentiment"].astype(str), normalize="index")
    tab = tab.reindex(columns=["negative", "neutral", "positive"], fill_value=0.0)
    counts = s["touchpoint"].astype(str).value_counts()
    order = journey_order(analysis, list(counts.index), out_dir)
    tab = tab.loc[[n for n, _ in order]]
    tab["n"] = counts.reindex(tab.index).to_numpy()
    tab["stage"] = [st for _, st in order]
    return tab


# --- breakdowns -------------------------------------------------------------------
def breakdown(analysis: "Analysis", column: str, min_docs: int = 1) -> pd.DataFrame:
    """Per level of ``column`` (channel, a segment): documents, sentiment shares and each
    score with its 95% interval half-width."""
    from voc.language.stage import agent_mask

    docs = analysis.documents
    if column not in docs.columns or docs.empty:
        return pd.DataFrame()
    docs = docs[~agent_mask(docs)].reset_index(drop=True)  # agents' replies are not feedback
    if docs.empty:
        return pd.DataFrame()
    levels = docs[column].astype("string").fillna("(missing)")
    mix_col = "sentiment_mix" if "sentiment_mix" in docs.columns else "sentiment"
    rows = []
    scs = scores(analysis)
    vals = {sc.label: score_values(docs, sc) for sc in scs}
    for lev, idx in levels.groupby(levels).indices.items():
        if len(idx) < min_docs:
            continue
        row: dict[str, Any] = {column: lev, "documents": len(idx), "share": len(idx) / len(docs)}
        if mix_col in docs.columns:
            m = docs[mix_col].astype("string").iloc[idx].dropna()  # documents voc read (not other languages)
            for k in SENTIMENTS:
                row[k] = float((m == k).mean()) if len(m) else float("nan")
        for sc in scs:
            v, se, k = mean_and_se(vals[sc.label][idx])
            row[f"{sc.label}"] = v
            row[f"{sc.label}:ci"] = Z95 * se
            row[f"{sc.label}:n"] = k
        rows.append(row)
    return pd.DataFrame(rows).sort_values("documents", ascending=False).reset_index(drop=True)


def theme_by_level(analysis: "Analysis", column: str, keys: list[str]) -> pd.DataFrame:
    """Share of each level's documents that mention each theme key (levels × keys)."""
    docs = analysis.documents
    if column not in docs.columns or "theme_ids" not in docs.columns or not keys:
        return pd.DataFrame()
    ids = docs["theme_ids"].map(lambda v: {_key(x) for x in v} if isinstance(v, (list, tuple, np.ndarray)) else set())
    levels = docs[column].astype("string").fillna("(missing)")
    m = pd.DataFrame({k: ids.map(lambda s, k=k: k in s) for k in keys}, index=docs.index)
    return m.groupby(levels.to_numpy()).mean()


def touchpoint_drivers(analysis: "Analysis", score: Score, order: list[str]) -> pd.DataFrame:
    """The drivers rows of touchpoints for one score, in journey ``order``."""
    drv = analysis.drivers
    if drv.empty or not {"dimension", "score", "impact"}.issubset(drv.columns):
        return pd.DataFrame()
    d = drv[(drv["dimension"] == "touchpoint") & (drv["score"] == score.label) & (drv["metric"] == score.metric)]
    if "segment" in d.columns:
        d = d[d["segment"].fillna("all") == "all"]
    d = d[d["impact"].notna()].drop_duplicates("label").set_index("label", drop=False)
    return d.reindex([n for n in order if n in d.index] + [n for n in d.index if n not in order])
