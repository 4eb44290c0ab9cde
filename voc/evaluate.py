"""How far to trust voc on your own data: a saved model against a file you labeled.

A CX team hand-labels a few hundred of its own comments (a sentiment, touchpoints, a
theme: any of the three) and asks before showing the report to executives: how often is
voc right here? :func:`evaluate` scores the file with the saved model, without refitting
anything, and compares:

* **sentiment** (per document): accuracy, macro-F1, per-class precision / recall / F1 and
  the confusion matrix;
* **touchpoints** (multi-label per document, "none" for none): micro- and macro-F1 and
  per touchpoint precision / recall / F1 with their support;
* **themes** (one label per document, any names): V-measure, homogeneity and completeness
  of voc's issues against your labels, and which issues mix several of your labels.

Every figure comes with a bootstrap 95% interval over documents and the number of rows
behind it, and the worst examples are listed to read. The metrics are scikit-learn's.
Label names that voc does not know (a sentiment "pos", a touchpoint "Shipping") are
mapped with ``label_map``; any left unknown raise :class:`~voc.errors.ConfigError` that
lists them beside the names voc knows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import ConfigError

SENTIMENTS = ("negative", "neutral", "positive")  # voc.sentiment.model.LABELS
#: column names looked for when none is given
GUESS = {"sentiment": ("sentiment", "label", "polarity"), "touchpoints": ("touchpoints", "touchpoint"),
         "theme": ("theme", "topic", "issue", "intent", "category")}
NONE = "none"


@dataclass
class Evaluation:
    """What :func:`evaluate` found; :meth:`write` saves ``evaluation.json``,
    ``evaluation.md`` and ``predictions.csv`` (one row per labeled document)."""

    n_rows: int
    n_rejected: int
    sentiment: dict[str, Any] | None = None
    touchpoints: dict[str, Any] | None = None
    themes: dict[str, Any] | None = None
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "rows": self.n_rows, "rejected_rows": self.n_rejected,
                "sentiment": self.sentiment, "touchpoints": self.touchpoints, "themes": self.themes}

    def write(self, out_dir: str | Path) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(json.dumps(self.to_dict(), indent=2, default=_json) + "\n",
                                             encoding="utf-8")
        (out / "evaluation.md").write_text(markdown(self), encoding="utf-8")
        self.predictions.to_csv(out / "predictions.csv", index=False)
        return out


def _json(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


# --- labels -----------------------------------------------------------------------------
def read_label_map(path: str | Path | None) -> dict[str, dict[str, str]]:
    """``{"sentiment": {...}, "touchpoints": {...}}`` from a YAML file whose top-level keys
    are ``sentiment`` and/or ``touchpoints``, each a mapping of your names to voc's."""
    if path is None:
        return {}
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"label map {str(path)!r} not found")
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not set(data) <= {"sentiment", "touchpoints"}:
        raise ConfigError(f"label map {str(path)!r}: expected top-level keys 'sentiment' and/or 'touchpoints', each "
                          "mapping your label names to voc's (e.g. sentiment: {pos: positive})")
    return {k: {str(a).strip().lower(): str(b).strip() for a, b in (v or {}).items()} for k, v in data.items()}


def sentiment_labels(values: pd.Series, label_map: Mapping[str, str] | None = None) -> pd.Series:
    """Your sentiment labels as negative / neutral / positive (NA where empty): names and
    -1/0/1 as voc reads them, star ratings 1-5 (1-2 negative, 3 neutral, 4-5 positive)
    when the column holds numbers beyond -1..1, then ``label_map``."""
    from voc.sentiment.train import _LABEL_ALIASES  # the names `voc train sentiment` reads

    aliases = {k: SENTIMENTS[v] for k, v in _LABEL_ALIASES.items()}
    lm = {k.lower(): v for k, v in (label_map or {}).items()}
    raw = values.astype("string").str.strip()
    nums = pd.to_numeric(raw, errors="coerce")
    present = raw.notna() & (raw != "")
    if present.any() and nums[present].notna().all() and (nums[present].abs() > 1).any():
        if nums[present].min() < 1 or nums[present].max() > 5:
            raise ConfigError(f"numeric sentiment labels span {nums[present].min()}..{nums[present].max()}: "
                              "use -1/0/1 or ratings 1-5")
        out = np.where(nums < 2.5, "negative", np.where(nums < 3.5, "neutral", "positive"))
        return pd.Series(out, index=values.index, dtype="string").where(present)
    key = raw.str.lower()
    mapped = key.map(lambda k: lm.get(k, k) if isinstance(k, str) else k)
    mapped = mapped.map(lambda k: aliases.get(str(k).lower(), k) if isinstance(k, str) else k)
    unknown = sorted({str(v) for v, m, p in zip(raw, mapped, present) if p and m not in SENTIMENTS})
    if unknown:
        raise ConfigError(f"sentiment labels voc does not know: {', '.join(map(repr, unknown[:20]))}; voc's are "
                          f"{', '.join(SENTIMENTS)} (also neg/neu/pos, -1/0/1, ratings 1-5). Map yours with a label "
                          "map file: sentiment: {your_name: positive}")
    return mapped.astype("string").where(present)


def touchpoint_labels(values: pd.Series, known: Sequence[str], label_map: Mapping[str, str] | None = None,
                      sep: str = ";") -> list[frozenset[str] | None]:
    """Your touchpoint labels as sets of voc's touchpoint names ("none" = the empty set,
    an empty cell = not labeled). Several per cell are split on ``sep`` (also "|")."""
    lm = {k.lower(): v for k, v in (label_map or {}).items()}
    names = {n.lower(): n for n in known}
    out: list[frozenset[str] | None] = []
    unknown: set[str] = set()
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip():
            out.append(None)
            continue
        got = set()
        for part in str(v).replace("|", sep).split(sep):
            p = part.strip()
            if not p:
                continue
            m = lm.get(p.lower(), p)
            if m.lower() == NONE:
                continue
            if m.lower() not in names:
                unknown.add(p)
                continue
            got.add(names[m.lower()])
        out.append(frozenset(got))
    if unknown:
        shown = ", ".join(map(repr, sorted(unknown)[:20]))
        raise ConfigError(f"touchpoint labels not in the model's taxonomy: {shown}; "
                          f"its touchpoints are {', '.join(known)} (and 'none'). Map yours with a label map file: "
                          "touchpoints: {your_name: delivery}")
    return out


# --- metrics --------------------------------------------------------------------------------
def _interval(stat: Any, n: int, n_boot: int, seed: int, estimate: float | None = None) -> list[float | None]:
    """Percentile bootstrap 95% interval of ``stat(rows)`` over resampled row positions.
    With ``estimate``, the bootstrap's bias is taken out (the interval is shifted by the
    estimate minus the resamples' mean): a resample repeats documents, and repeated
    documents always agree with themselves, which lifts V-measure on every resample."""
    if n == 0 or n_boot <= 0:
        return [None, None]
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        v = stat(rng.integers(0, n, n))
        if v is not None and not math.isnan(v):
            vals.append(v)
    if not vals:
        return [None, None]
    lo, hi = np.percentile(vals, [2.5, 97.5])
    if estimate is not None:
        shift = estimate - float(np.mean(vals))
        lo, hi = max(0.0, lo + shift), min(1.0, hi + shift)
    return [round(float(lo), 4), round(float(hi), 4)]


def _r(x: float) -> float:
    return round(float(x), 4)


def sentiment_metrics(gold: Sequence[str], pred: Sequence[str], n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    g, p = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    labels = list(SENTIMENTS)
    prec, rec, f1, sup = precision_recall_fscore_support(g, p, labels=labels, zero_division=0)
    return {
        "n": int(len(g)),
        "accuracy": _r(accuracy_score(g, p)),
        "accuracy_interval": _interval(lambda i: accuracy_score(g[i], p[i]), len(g), n_boot, seed),
        "macro_f1": _r(f1_score(g, p, labels=labels, average="macro", zero_division=0)),
        "macro_f1_interval": _interval(lambda i: f1_score(g[i], p[i], labels=labels, average="macro",
                                                          zero_division=0), len(g), n_boot, seed),
        "per_class": {lab: {"precision": _r(prec[j]), "recall": _r(rec[j]), "f1": _r(f1[j]), "support": int(sup[j])}
                      for j, lab in enumerate(labels)},
        "confusion": {"labels": labels, "rows_are": "your label", "columns_are": "voc's",
                      "matrix": confusion_matrix(g, p, labels=labels).tolist()},
    }


def touchpoint_metrics(gold: Sequence[frozenset[str]], pred: Sequence[frozenset[str]], names: Sequence[str],
                       n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    names = list(names)
    col = {n: j for j, n in enumerate(names)}
    y = np.zeros((len(gold), len(names)), dtype=np.int8)
    yp = np.zeros_like(y)
    for i, (a, b) in enumerate(zip(gold, pred)):
        y[i, [col[t] for t in a if t in col]] = 1
        yp[i, [col[t] for t in b if t in col]] = 1
    prec, rec, f1, sup = precision_recall_fscore_support(y, yp, zero_division=0)
    per = {}
    for j, n in enumerate(names):
        if sup[j] == 0 and yp[:, j].sum() == 0:
            continue  # neither you nor voc used it
        per[n] = {"precision": _r(prec[j]), "recall": _r(rec[j]), "f1": _r(f1[j]), "support": int(sup[j]),
                  "predicted": int(yp[:, j].sum()),
                  "f1_interval": _interval(lambda i, j=j: f1_score(y[i, j], yp[i, j], zero_division=0),
                                           len(y), n_boot, seed)}
    used = [col[n] for n in per]
    return {
        "n": int(len(y)),
        "micro_f1": _r(f1_score(y, yp, average="micro", zero_division=0)),
        "micro_f1_interval": _interval(lambda i: f1_score(y[i], yp[i], average="micro", zero_division=0),
                                       len(y), n_boot, seed),
        "macro_f1": _r(f1_score(y[:, used], yp[:, used], average="macro", zero_division=0)) if used else None,
        "exact_match": _r(float((y == yp).all(axis=1).mean())) if len(y) else None,
        "per_touchpoint": per,
    }


def theme_metrics(gold: Sequence[str], issue: Sequence[int], issue_labels: Mapping[int, str],
                  n_boot: int = 1000, seed: int = 0, min_rows: int = 3, mixed_below: float = 0.6) -> dict[str, Any]:
    from sklearn.metrics import homogeneity_completeness_v_measure

    g = np.asarray(gold).astype(str)
    a = np.asarray(issue, dtype=np.int64)
    h, c, v = homogeneity_completeness_v_measure(g, a)
    mixed = []
    for t in np.unique(a):
        rows = g[a == t]
        if len(rows) < min_rows:
            continue
        counts = pd.Series(rows).value_counts()
        purity = counts.iloc[0] / len(rows)
        if purity < mixed_below:
            mixed.append({"theme_id": int(t), "label": issue_labels.get(int(t), str(t)), "rows": int(len(rows)),
                          "purity": _r(purity), "your_labels": {str(k): int(x) for k, x in counts.head(5).items()}})
    mixed.sort(key=lambda m: (-m["rows"], m["purity"]))
    spread = []
    for lab in pd.Series(g).value_counts().index:
        ts = pd.Series(a[g == lab]).value_counts()
        spread.append({"your_label": str(lab), "rows": int(ts.sum()), "voc_themes": int(len(ts)),
                       "top": [{"label": issue_labels.get(int(t), str(t)), "rows": int(x)}
                               for t, x in ts.head(3).items()]})
    return {
        "n": int(len(g)), "your_labels": int(len(set(g))), "voc_themes": int(len(set(a))),
        "v_measure": _r(v), "homogeneity": _r(h), "completeness": _r(c),
        "v_measure_interval": _interval(lambda i: homogeneity_completeness_v_measure(g[i], a[i])[2],
                                        len(g), n_boot, seed, estimate=float(v)),
        "mixed_themes": mixed, "your_labels_spread": spread,
    }


# --- the run ---------------------------------------------------------------------------------
def _guess(columns: Sequence[str], role: str) -> str | None:
    low = {str(c).strip().lower(): c for c in columns}
    return next((low[k] for k in GUESS[role] if k in low), None)


def _main_issue(sentences: pd.DataFrame, doc_ids: Sequence[str]) -> pd.Series:
    """Each document's issue: that of its longest sentence (buckets -2/-3 and -1 kept)."""
    s = sentences.assign(_len=sentences["text"].astype(str).str.len(), _pos=np.arange(len(sentences)))
    s = s.sort_values(["doc_id", "_len", "_pos"], ascending=[True, False, True], kind="stable")
    first = s.drop_duplicates("doc_id").set_index("doc_id")["theme_id"]
    return first.reindex(list(doc_ids)).fillna(-1).astype(np.int64)


def evaluate(labels: str | Path | pd.DataFrame, model: Any, *, text: str = "text", sentiment: str | None = None,
             touchpoints: str | None = None, theme: str | None = None,
             label_map: str | Path | Mapping[str, Mapping[str, str]] | None = None, n_boot: int = 1000,
             seed: int = 0, worst: int = 10) -> Evaluation:
    """Score ``labels`` (a file voc reads, or a DataFrame) with ``model`` (a saved model
    directory or a fitted :class:`~voc.Analyzer`) and compare with the label columns.

    ``sentiment``, ``touchpoints`` and ``theme`` name the label columns; left None, columns
    named like them are used when present (see :data:`GUESS`). At least one must exist.
    ``label_map`` maps your label names to voc's (a YAML path or a dict with keys
    ``sentiment`` / ``touchpoints``). Nothing is refitted."""
    from voc.io import frame_to_feedback, read_feedback
    from voc.io.mapping import ColumnMapping
    from voc.store.scoring import prepare_model

    lm = read_label_map(label_map) if not isinstance(label_map, Mapping) else {
        k: {str(a).lower(): str(b) for a, b in v.items()} for k, v in label_map.items()}
    if isinstance(labels, pd.DataFrame):
        columns = [str(c) for c in labels.columns]
    else:
        from voc.io.readers import read_columns

        columns = read_columns(labels)
    cols = {"sentiment": sentiment or _guess(columns, "sentiment"),
            "touchpoints": touchpoints or _guess(columns, "touchpoints"), "theme": theme or _guess(columns, "theme")}
    for role, c in cols.items():
        if c is not None and c not in columns:
            raise ConfigError(f"label column {c!r} ({role}) not found; the file has {', '.join(columns[:30])}")
    if not any(cols.values()):
        raise ConfigError("no label column: give --sentiment-col, --touchpoint-col or --theme-col (or name a column "
                          f"sentiment, touchpoints or theme); the file has {', '.join(columns[:30])}")
    keep = list(dict.fromkeys(c for c in cols.values() if c))
    mapping = ColumnMapping(text=text, keep=keep)
    ingest = (frame_to_feedback(labels, mapping) if isinstance(labels, pd.DataFrame)
              else read_feedback(labels, mapping))
    analyzer, _, path = prepare_model(model, mapping)
    result = analyzer.transform(ingest)
    docs = result.documents.set_index("doc_id")
    frame = ingest.frame.set_index("doc_id")
    ids = [d for d in frame.index if d in docs.index]
    frame, docs = frame.loc[ids], docs.loc[ids]
    pred = pd.DataFrame({"doc_id": ids, "text": frame["text"].astype(str).to_numpy()})
    ev = Evaluation(n_rows=len(ids), n_rejected=int(len(ingest.rejects)), predictions=pred, model=path)

    if cols["sentiment"]:
        g = sentiment_labels(frame[cols["sentiment"]], lm.get("sentiment")).reset_index(drop=True)
        p = docs["sentiment"].astype("string").reset_index(drop=True)
        ok = (g.notna() & p.isin(SENTIMENTS)).to_numpy()
        ev.sentiment = {"column": cols["sentiment"], "unlabeled_or_unscored": int((~ok).sum()),
                        **sentiment_metrics(g[ok].tolist(), p[ok].tolist(), n_boot, seed)}
        pred["sentiment_label"], pred["sentiment_voc"] = g.to_numpy(), p.to_numpy()
        score = pd.to_numeric(docs["sentiment_score"], errors="coerce").reset_index(drop=True)
        wrong = np.flatnonzero(ok & (g != p).fillna(False).to_numpy())
        # most confidently wrong first: a positive score on a negative label is the one to read
        order = sorted(wrong, key=lambda i: -abs(float(score.iat[i]) if pd.notna(score.iat[i]) else 0.0))
        ev.sentiment["worst"] = [{"text": pred["text"].iat[i], "yours": str(g.iat[i]), "voc": str(p.iat[i]),
                                  "voc_score": None if pd.isna(score.iat[i]) else round(float(score.iat[i]), 3)}
                                 for i in order[:worst]]
    if cols["touchpoints"]:
        stage = analyzer.stages_.get("touchpoints")
        names = list(stage.taxonomy_.names) if stage is not None else []
        g_sets = touchpoint_labels(frame[cols["touchpoints"]], names, lm.get("touchpoints"))
        p_sets = [frozenset(t for t in (v if isinstance(v, (list, tuple, np.ndarray)) else []) if t != NONE)
                  for v in docs["touchpoints"]]
        ok = [i for i, s in enumerate(g_sets) if s is not None]
        ev.touchpoints = {"column": cols["touchpoints"], "unlabeled": len(g_sets) - len(ok),
                          **touchpoint_metrics([g_sets[i] for i in ok], [p_sets[i] for i in ok], names, n_boot, seed)}
        pred["touchpoints_label"] = [";".join(sorted(s)) if s is not None else None for s in g_sets]
        pred["touchpoints_voc"] = [";".join(sorted(s)) for s in p_sets]
        misses = [i for i in ok if g_sets[i] != p_sets[i]]
        misses.sort(key=lambda i: -len(g_sets[i] ^ p_sets[i]))
        ev.touchpoints["worst"] = [{"text": pred["text"].iat[i], "yours": sorted(g_sets[i]), "voc": sorted(p_sets[i])}
                                   for i in misses[:worst]]
    if cols["theme"]:
        gold = frame[cols["theme"]].astype("string").str.strip().reset_index(drop=True)
        issue = _main_issue(result.sentences, ids).reset_index(drop=True)
        labels_of = {int(i): str(lbl) for i, lbl in zip(result.themes["theme_id"], result.themes["label"])}
        labels_of.update({-1: "(unassigned)", -2: "(general sentiment)", -3: "(context)"})
        ok = (gold.notna() & (gold != "")).to_numpy()
        ev.themes = {"column": cols["theme"], "unlabeled": int((~ok).sum()),
                     **theme_metrics(gold[ok].tolist(), issue[ok].tolist(), labels_of, n_boot, seed)}
        pred["theme_label"], pred["theme_voc"] = gold.to_numpy(), [labels_of.get(int(i), str(i)) for i in issue]
        mixed_ids = {m["theme_id"] for m in ev.themes["mixed_themes"][:3]}
        ev.themes["worst"] = [{"text": pred["text"].iat[i], "yours": str(gold.iat[i]),
                               "voc": labels_of.get(int(issue.iat[i]), "")}
                              for i in np.flatnonzero(ok & issue.isin(mixed_ids).to_numpy())[:worst]]
    return ev


# --- the page --------------------------------------------------------------------------------
def _ci(x: list[float | None]) -> str:
    return "–" if not x or x[0] is None else f"{x[0]:.3f}-{x[1]:.3f}"


def markdown(ev: Evaluation) -> str:
    """A short page to read or share: each figure with its interval and rows, then the
    examples voc got most wrong."""
    lines = [f"# How voc does on your labels{f' (model {ev.model})' if ev.model else ''}", "",
             f"{ev.n_rows} labeled documents ({ev.n_rejected} rows rejected: see the rejects). Intervals are "
             "bootstrap 95% intervals over documents.", ""]
    if ev.sentiment:
        s = ev.sentiment
        lines += ["## Sentiment", "", f"Column `{s['column']}`, {s['n']} documents.", "",
                  "| | value | 95% interval |", "|---|---|---|",
                  f"| accuracy | {s['accuracy']:.3f} | {_ci(s['accuracy_interval'])} |",
                  f"| macro-F1 | {s['macro_f1']:.3f} | {_ci(s['macro_f1_interval'])} |", "",
                  "Confusion (rows: your label; columns: voc's)", "",
                  "| | " + " | ".join(SENTIMENTS) + " |", "|---|" + "---|" * len(SENTIMENTS)]
        for lab, row in zip(SENTIMENTS, s["confusion"]["matrix"]):
            lines.append(f"| {lab} | " + " | ".join(str(x) for x in row) + " |")
        lines += [""] + _worst(s.get("worst", []))
    if ev.touchpoints:
        t = ev.touchpoints
        lines += ["## Touchpoints", "", f"Column `{t['column']}`, {t['n']} documents; micro-F1 {t['micro_f1']:.3f} "
                  f"({_ci(t['micro_f1_interval'])}), macro-F1 {t['macro_f1'] if t['macro_f1'] is not None else '–'}.",
                  "", "| touchpoint | F1 | 95% interval | precision | recall | yours | voc's |",
                  "|---|---|---|---|---|---|---|"]
        for name, m in sorted(t["per_touchpoint"].items(), key=lambda kv: -kv[1]["support"]):
            lines.append(f"| {name} | {m['f1']:.3f} | {_ci(m['f1_interval'])} | {m['precision']:.3f} | "
                         f"{m['recall']:.3f} | {m['support']} | {m['predicted']} |")
        lines += [""] + _worst(t.get("worst", []))
    if ev.themes:
        th = ev.themes
        lines += ["## Themes", "", f"Column `{th['column']}`: {th['your_labels']} labels of yours over "
                  f"{th['n']} documents, {th['voc_themes']} voc themes. V-measure {th['v_measure']:.3f} "
                  f"({_ci(th['v_measure_interval'])}), homogeneity {th['homogeneity']:.3f}, completeness "
                  f"{th['completeness']:.3f}.", ""]
        if th["mixed_themes"]:
            lines += ["Themes that mix your labels (purity below 0.6):", ""]
            for m in th["mixed_themes"][:10]:
                mix = ", ".join(f"{k} {v}" for k, v in m["your_labels"].items())
                lines.append(f"- **{m['label']}** ({m['rows']} rows, purity {m['purity']:.2f}): {mix}")
            lines.append("")
        lines += _worst(th.get("worst", []))
    return "\n".join(lines).rstrip() + "\n"


def _worst(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    out = ["Examples to read (yours → voc's):", ""]
    for r in rows:
        text = str(r["text"]).replace("\n", " ")
        out.append(f"- {text[:200]} — {r['yours']} → {r['voc']}")
    return out + [""]
