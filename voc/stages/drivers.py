"""drivers: which themes and touchpoints move the scores, by how much, how sure we are,
and so what to fix first.

Turns per-document themes, sentiment and scores into three tables: ``drivers`` (one row
per theme or touchpoint × score), ``priorities`` (top pain points and strengths) and
``trends`` (period × theme). The statistics live in :mod:`voc.drivers`; this module only
builds membership matrices from the document columns and assembles the tables.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from voc.drivers.impact import bh_qvalues, theme_effects
from voc.drivers.keydriver import key_drivers
from voc.drivers.priorities import priority_list
from voc.drivers.scores import PRIMARY_METRIC, metric, score_column, summarize
from voc.drivers.trends import assign_periods, period_table, trend_labels, trend_test
from voc.io.mapping import ScoreSpec
from voc.language import analysed_mask
from voc.touchpoints.mentions import touchpoint_mentions
from voc.stages.base import Corpus, Stage

log = logging.getLogger("voc")

DRIVER_COLUMNS = [
    "segment", "dimension", "key", "label", "score", "kind", "metric", "higher_is_better", "n", "volume", "share",
    "n_scored", "k_scored", "all_mean", "mention_mean", "non_mention_mean", "mention_delta", "mention_delta_ci_low",
    "mention_delta_ci_high", "impact", "impact_ci_low", "impact_ci_high", "p_value", "q_value", "coef",
    "coef_ci_low", "coef_ci_high", "sentiment_coef", "vif", "relative_weight", "relative_weight_pct",
    "relative_weight_ci_low", "relative_weight_ci_high", "rank", "mean_sentiment", "negative_share", "trend",
    "trend_slope", "trend_p", "emerging", "touchpoint", "kd_note", "aspect", "polarity",
]


def membership(values: pd.Series, drop_negative: bool = True) -> tuple[list[Any], np.ndarray]:
    """Keys and an n × K boolean matrix from a column of lists (theme ids, touchpoints).

    Negative theme ids are the clusterer's "no theme" and are not a theme.
    """
    s = values.map(lambda v: list(v) if isinstance(v, (list, tuple, np.ndarray)) else [])
    long = s.explode().dropna()
    if drop_negative and len(long):
        num = pd.to_numeric(long, errors="coerce")
        long = long[~(num < 0)]
    keys = sorted(pd.unique(long), key=lambda k: (str(type(k)), k))
    pos = np.asarray(s.index.get_indexer(long.index))
    m = np.zeros((len(values), len(keys)), dtype=bool)
    if keys:
        col = pd.Index(keys).get_indexer(long.to_numpy())
        m[pos, col] = True
    return keys, m


def theme_label_map(docs: pd.DataFrame) -> dict[Any, str]:
    """theme id → label, from the parallel ``theme_ids`` / ``theme_labels`` lists."""
    out: dict[Any, str] = {}
    if "theme_labels" not in docs.columns:
        return out
    for ids, labels in zip(docs["theme_ids"], docs["theme_labels"]):
        if isinstance(ids, (list, tuple, np.ndarray)) and isinstance(labels, (list, tuple, np.ndarray)):
            for i, lab in zip(ids, labels):
                out.setdefault(i, str(lab))
    return out


def theme_info(sentences: pd.DataFrame | None, keys: list[Any]) -> tuple[list[str | None], list[str | None]]:
    """Aspect label and polarity of each theme key, from its sentences: the aspect the
    theme stage put it under, and its sentences' majority sentiment (an issue is
    polarity-coherent by construction, so this is its side). None where unknown."""
    aspects: list[str | None] = [None] * len(keys)
    polarity: list[str | None] = [None] * len(keys)
    if sentences is None or "theme_id" not in sentences.columns or not keys:
        return aspects, polarity
    s = sentences[sentences["theme_id"] >= 0]
    pos = {str(k): i for i, k in enumerate(keys)}
    if "aspect_label" in s.columns:
        for tid, lab_ in s.groupby("theme_id")["aspect_label"].agg(lambda v: v.mode().iat[0] if len(v) else "").items():
            if str(tid) in pos and isinstance(lab_, str) and lab_:
                aspects[pos[str(tid)]] = lab_
    if "sentiment" in s.columns:
        maj = s.groupby("theme_id")["sentiment"].agg(lambda v: v.astype(str).value_counts().idxmax())
        for tid, pol in maj.items():
            if str(tid) in pos:
                polarity[pos[str(tid)]] = str(pol)
    return aspects, polarity


def aspect_sentiment(sentences: pd.DataFrame, docs: pd.DataFrame, dim: str, keys: list[Any], m: np.ndarray,
                     sent: np.ndarray) -> np.ndarray:
    """Sentiment of each document towards each key (n × K): the mean sentiment of the
    document's clauses assigned to it when ``sentences`` carry ``theme_id`` (themes) or
    touchpoints (every tag, with the clause's sentiment towards that touchpoint from the
    aspects stage) and ``sentiment_score``; the document's sentiment otherwise.
    Theme-level tone is what the theme × sentiment term is meant to capture."""
    col = {"theme": "theme_id", "touchpoint": "touchpoint"}[dim]
    out = np.repeat(sent[:, None], len(keys), axis=1)
    need = {"doc_id", col, "sentiment_score"}
    if dim == "touchpoint" and sentences is not None and "touchpoints" in sentences.columns:
        need = {"doc_id", "touchpoints", "sentiment_score"}  # every tag, each with its own sentiment
    if sentences is None or not need.issubset(sentences.columns) or not keys or "doc_id" not in docs.columns:
        return out
    s = (touchpoint_mentions(sentences) if "touchpoints" in need else sentences[list(need)]).dropna()
    if s.empty:
        return out
    g = s.groupby(["doc_id", col])["sentiment_score"].mean().reset_index()
    row = pd.Index(docs["doc_id"]).get_indexer(g["doc_id"])
    kcol = pd.Index([str(k) for k in keys]).get_indexer(g[col].astype(str))
    ok = (row >= 0) & (kcol >= 0)
    out[row[ok], kcol[ok]] = g["sentiment_score"].to_numpy(dtype=float)[ok]
    return np.where(m, out, np.nan)


class DriversStage(Stage):
    """Drivers, priorities and trends from themes, touchpoints, sentiment and scores.

    ``scores`` defaults to ``corpus.meta["scores"]``; each score is analysed through one
    metric (``metrics`` maps a score label to ``nps``/``mean``/``top2box``/``bottom2box``...;
    defaults: NPS, CSAT top-2-box %, CES/stars/custom mean). ``ci`` chooses analytic
    intervals (default; checked for coverage) or a seeded bootstrap of ``n_boot``
    resamples; the key driver model's relative-weight intervals always bootstrap (at most
    200 resamples). ``by`` is the dimension the priority list covers: ``theme``,
    ``touchpoint`` or ``all``. ``segment_tables`` adds the driver rows per channel and
    segment level. Rank in ``drivers`` orders keys by relative weight, then by |impact|.
    """

    name = "drivers"
    learns = False
    requires: ClassVar[tuple[str, ...]] = ("docs.theme_ids", "docs.theme_labels", "docs.sentiment_score")
    assigns: ClassVar[tuple[str, ...]] = ("tables.drivers", "tables.priorities", "tables.trends")

    def __init__(self, scores: list[ScoreSpec] | None = None, n_boot: int = 1000, random_state: int = 0,
                 by: str = "theme", ci: Literal["analytic", "bootstrap"] = "analytic",
                 metrics: dict[str, str] | None = None, freq: Literal["auto", "month", "week"] = "auto",
                 top_n: int = 10, min_count: int = 5, max_vif: float = 10.0, kd_max_themes: int = 30,
                 window: int = 3, level: float = 0.95, segment_tables: bool = False,
                 min_segment: int = 100) -> None:
        self.scores = scores
        self.n_boot = n_boot
        self.random_state = random_state
        self.by = by
        self.ci = ci
        self.metrics = metrics
        self.freq = freq
        self.top_n = top_n
        self.min_count = min_count
        self.max_vif = max_vif
        self.kd_max_themes = kd_max_themes
        self.window = window
        self.level = level
        self.segment_tables = segment_tables
        self.min_segment = min_segment

    # ------------------------------------------------------------------------------
    def _score_values(self, docs: pd.DataFrame, specs: list[ScoreSpec],
                      meta: dict[str, Any]) -> dict[str, tuple[ScoreSpec, str, np.ndarray]]:
        """label → (spec, metric name, per-row metric values) for every usable score."""
        out: dict[str, tuple[ScoreSpec, str, np.ndarray]] = {}
        for spec in specs:
            read = score_column(docs, spec)
            if read is None:
                meta["notes"].append(f"score {spec.label!r}: no column {spec.label!r} or {spec.column!r} in docs")
                continue
            x, n_bad = read
            if n_bad:
                meta["notes"].append(f"score {spec.label!r}: {n_bad} value(s) outside the declared range "
                                     "were treated as missing")
            if np.isnan(x).all():
                meta["notes"].append(f"score {spec.label!r}: no scored rows")
                continue
            name = (self.metrics or {}).get(spec.label) or PRIMARY_METRIC.get(spec.kind, "mean")
            m = metric(spec, name)
            out[spec.label] = (spec, m.name, m.values(x))
            meta["overall"].extend(summarize(spec, x))
        return out

    def _controls(self, docs: pd.DataFrame, segments: list[str]) -> pd.DataFrame | None:
        cols = [c for c in (["channel"] if "channel" in docs.columns else []) + list(segments) if c in docs.columns]
        return docs[cols].reset_index(drop=True) if cols else None

    def transform(self, corpus: Corpus) -> Corpus:
        docs = corpus.docs[analysed_mask(corpus.docs)].reset_index(drop=True)  # unread languages: in no regression
        n = len(docs)
        meta: dict[str, Any] = {"notes": [], "overall": [], "keydriver": {}}
        specs = list(self.scores if self.scores is not None else corpus.meta.get("scores", []) or [])
        specs = [ScoreSpec.parse(s) if isinstance(s, str) else s for s in specs]
        scores = self._score_values(docs, specs, meta)
        if not scores:
            meta["notes"].append("no usable score column: drivers has volume and sentiment only, priorities rank "
                                 "by impact on mean sentiment")
        sent = pd.to_numeric(docs.get("sentiment_score", pd.Series(np.nan, index=docs.index)), errors="coerce")
        sent = sent.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if "sentiment" in docs.columns:
            negative = (docs["sentiment"].astype("string") == "negative").fillna(False).to_numpy(dtype=bool)
        else:
            negative = np.nan_to_num(sent) < -0.05

        dims: list[tuple[str, list[Any], list[str], np.ndarray]] = []
        if "theme_ids" in docs.columns:
            keys, m = membership(docs["theme_ids"])
            labels = theme_label_map(docs)
            dims.append(("theme", keys, [labels.get(k, str(k)) for k in keys], m))
        if "touchpoints" in docs.columns:
            keys, m = membership(docs["touchpoints"], drop_negative=False)
            dims.append(("touchpoint", keys, [str(k) for k in keys], m))
        tp_of_theme = self._top_touchpoint(dims)

        # periods and trends
        period = None
        if "date" in docs.columns and pd.to_datetime(docs["date"], errors="coerce").notna().any():
            period, freq = assign_periods(docs["date"], self.freq)
            meta["period"] = freq
        else:
            meta["notes"].append("no dates: trends and emerging themes need a date column")
        trend_frames = []
        base_rows = []
        for dim, keys, labels, m in dims:
            base = self._base(dim, keys, labels, m, sent, negative, n)
            base["touchpoint"] = tp_of_theme if dim == "theme" else None
            if dim == "theme":
                base["aspect"], base["polarity"] = theme_info(corpus.sentences, keys)
            if period is not None and keys:
                tt = period_table(period, m, [str(k) for k in keys], labels, dim, sent, negative,
                                  {k: v[2] for k, v in scores.items()}, window=self.window, min_count=self.min_count)
                trend_frames.append(tt if not trend_frames else tt[tt["dimension"] != "all"])
                counts = (tt[tt["dimension"] == dim].pivot(index="period", columns="key", values="volume")
                          .reindex(columns=[str(k) for k in keys]).to_numpy())
                totals = tt[tt["dimension"] == "all"]["n_docs"].to_numpy()
                slope, _, p = trend_test(counts, totals)
                base["trend_slope"], base["trend_p"] = slope, p
                base["trend"] = trend_labels(slope, p)
                last = tt[(tt["period"] == tt["period"].max()) & (tt["dimension"] == dim)].set_index("key")
                base["emerging"] = last["emerging"].reindex([str(k) for k in keys]).fillna(False).to_numpy(dtype=bool)
            else:
                base["trend"], base["trend_slope"], base["trend_p"], base["emerging"] = "n/a", np.nan, np.nan, False
            base_rows.append((dim, keys, m, base))

        controls = self._controls(docs, corpus.meta.get("segments", []) or [])
        frames = []
        tones = {}
        for dim, keys, m, base in base_rows:
            if not scores:
                frames.append(base)
                continue
            tones[dim] = aspect_sentiment(corpus.sentences, docs, dim, keys, m, sent)
            for label, (spec, mname, y) in scores.items():
                frames.append(self._score_rows(dim, m, base, spec, mname, y, tones[dim], controls, meta))
        if self.segment_tables and scores and controls is not None:
            frames.extend(self._segment_rows(base_rows, scores, sent, negative, tones, controls, meta))
        drivers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DRIVER_COLUMNS)
        for c in DRIVER_COLUMNS:
            if c not in drivers.columns:
                drivers[c] = np.nan
        drivers = drivers[DRIVER_COLUMNS]

        dims_for_priority = ("theme", "touchpoint") if self.by == "all" else (self.by,)
        hidden = (corpus.meta.get("themes") or {}).get("hidden") or []  # analyst edits: never ranked
        if scores:
            priorities = priority_list(drivers, self.top_n, dims_for_priority, hidden)
        else:
            priorities = self._sentiment_priorities(base_rows, sent, dims_for_priority, hidden)
        corpus.tables["drivers"] = drivers
        corpus.tables["priorities"] = priorities
        corpus.tables["trends"] = pd.concat(trend_frames, ignore_index=True) if trend_frames else pd.DataFrame(
            columns=["period", "dimension", "key", "label", "volume", "n_docs", "share", "mean_sentiment",
                     "negative_share", "emerging", "emerging_reason", "emerging_q"])
        corpus.meta["drivers"] = meta
        for note in meta["notes"]:
            log.info("drivers: %s", note)
        return corpus

    # ------------------------------------------------------------------------------
    @staticmethod
    def _top_touchpoint(dims: list[tuple[str, list[Any], list[str], np.ndarray]]) -> list[str | None] | None:
        """The touchpoint most often co-mentioned with each theme (None if none)."""
        d = {dim: (keys, m) for dim, keys, _, m in dims}
        if "theme" not in d or "touchpoint" not in d or not d["touchpoint"][0]:
            return None
        tk, tm = d["touchpoint"]
        co = d["theme"][1].astype(float).T @ tm.astype(float)
        return [tk[int(np.argmax(r))] if r.max() > 0 else None for r in co]

    @staticmethod
    def _base(dim: str, keys: list[Any], labels: list[str], m: np.ndarray, sent: np.ndarray, negative: np.ndarray,
              n: int) -> pd.DataFrame:
        vol = m.sum(axis=0)
        mf = m.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            s_ok = ~np.isnan(sent)
            mean_sent = (np.nan_to_num(sent) @ mf) / (s_ok.astype(float) @ mf)
            neg = (negative.astype(float) @ mf) / vol
        return pd.DataFrame({"segment": "all", "dimension": dim, "key": [str(k) for k in keys], "label": labels,
                             "n": n, "volume": vol.astype(int), "share": vol / max(n, 1),
                             "mean_sentiment": mean_sent, "negative_share": neg})

    def _segment_rows(self, base_rows: list[tuple[str, list[Any], np.ndarray, pd.DataFrame]],
                      scores: dict[str, tuple[ScoreSpec, str, np.ndarray]], sent: np.ndarray, negative: np.ndarray,
                      tones: dict[str, np.ndarray], controls: pd.DataFrame, meta: dict[str, Any]) -> list[pd.DataFrame]:
        """The same driver rows within each channel / segment level with at least
        ``min_segment`` documents (``segment`` = "channel=email"); no trend, no bootstrap."""
        out = []
        for col in controls.columns:
            levels = controls[col].astype("string").fillna("(missing)")
            for lev, idx in levels.groupby(levels).indices.items():
                if len(idx) < self.min_segment:
                    continue
                rest = controls.iloc[idx].drop(columns=[col]).reset_index(drop=True)
                for dim, keys, m, base in base_rows:
                    if not keys:
                        continue
                    sub = self._base(dim, keys, base["label"].tolist(), m[idx], sent[idx], negative[idx], len(idx))
                    sub["segment"], sub["touchpoint"], sub["trend"] = f"{col}={lev}", base["touchpoint"], "n/a"
                    for spec, mname, y in scores.values():
                        out.append(self._score_rows(dim, m[idx], sub, spec, mname, y[idx], tones[dim][idx],
                                                    rest if rest.shape[1] else None, meta, kd_boot=0))
        return out

    def _score_rows(self, dim: str, m: np.ndarray, base: pd.DataFrame, spec: ScoreSpec, mname: str, y: np.ndarray,
                    sent: np.ndarray, controls: pd.DataFrame | None, meta: dict[str, Any],
                    kd_boot: int | None = None) -> pd.DataFrame:
        eff = theme_effects(y, m, ci=self.ci, n_boot=self.n_boot, random_state=self.random_state, level=self.level,
                            bounds=metric(spec, mname).bounds)
        eff["q_value"] = bh_qvalues(eff["p_value"].to_numpy())
        # the key driver model over the most mentioned keys (more would overfit and crawl)
        kd_cols = np.argsort(-m[~np.isnan(y)].sum(axis=0), kind="stable")[: self.kd_max_themes]
        kd = key_drivers(y, m[:, kd_cols], sentiment=sent, controls=controls, min_count=self.min_count,
                         max_vif=self.max_vif, n_boot=min(self.n_boot, 200) if kd_boot is None else kd_boot,
                         random_state=self.random_state, level=self.level)
        kd_table = kd.table.set_axis(kd_cols).reindex(range(m.shape[1]))
        kd_table["kd_note"] = kd_table["kd_note"].fillna(f"not among the {self.kd_max_themes} most mentioned")
        segment = str(base["segment"].iloc[0]) if len(base) else "all"
        meta["keydriver"][f"{spec.label}/{dim}" + ("" if segment == "all" else f"/{segment}")] = kd.diagnostics
        out = pd.concat([base.reset_index(drop=True), eff, kd_table.reset_index(drop=True)], axis=1)
        out["score"], out["kind"], out["metric"] = spec.label, spec.kind, mname
        out["higher_is_better"] = metric(spec, mname).higher_is_better
        # rank by relative importance, then by the size of the impact
        order = out.assign(_rw=out["relative_weight"].fillna(-1), _ai=out["impact"].abs().fillna(-1))
        order = order.sort_values(["_rw", "_ai"], ascending=False, kind="stable")
        out.loc[order.index, "rank"] = np.arange(1, len(out) + 1)
        out["rank"] = out["rank"].astype(int)
        return out

    def _sentiment_priorities(self, base_rows: list[tuple[str, list[Any], np.ndarray, pd.DataFrame]],
                              sent: np.ndarray, dims: tuple[str, ...], hidden: list[int]) -> pd.DataFrame:
        """Without scores, priorities rank by remove-theme impact on mean sentiment."""
        frames = []
        for dim, _, m, base in base_rows:
            if dim not in dims or np.isnan(sent).all():
                continue
            eff = theme_effects(sent, m, ci="analytic", level=self.level)
            frames.append(pd.concat([base.reset_index(drop=True), eff], axis=1).assign(
                score="sentiment", kind="sentiment", metric="mean", higher_is_better=True))
        if not frames:
            return priority_list(pd.DataFrame(columns=DRIVER_COLUMNS), self.top_n, dims)
        return priority_list(pd.concat(frames, ignore_index=True), self.top_n, dims, hidden)
