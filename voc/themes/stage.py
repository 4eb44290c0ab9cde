"""Theme stage: aspect › issue themes that name what customers raise.

fit: each sentence is classed as feedback, general sentiment or context
(:mod:`voc.themes.kinds`); general and context go to two reserved buckets (ids -2 and
-3) that are counted but never ranked. On feedback, curated themes (a YAML taxonomy)
claim the sentences they match; UMAP → HDBSCAN discovers topic clusters in the rest (on
a sample when the corpus is large), refined and merged as before. Each cluster × polarity
side is an issue (so a pain point is a negative issue and a strength a positive one),
clusters are grouped into aspects, and labels come from the sentences' own aspect and
opinion phrases (:mod:`voc.themes.issues`). transform applies one rule (bucket by kind;
curated prototypes first; then, if a cluster centroid is similar enough, the cluster its
nearest stored exemplars vote for, and the issue of that cluster on the sentence's
side), and fit's assignments *are* that rule applied to the fitting data, which is why
transform reproduces them exactly.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import ModelLoadError, PipelineError
from voc.language.stage import multilingual_rows
from voc.stages.base import Corpus, Stage
from voc.themes import cluster, hierarchy, issues, kinds
from voc.themes import edits as theme_edits
from voc.themes import labels as lab
from voc.themes.curated import encode_prototypes, load_curated
from voc.themes.phrases import SentencePhrases
from voc.themes.table import BUCKET_LABELS, build_table
from voc.themes.table import COLUMNS as _COLUMNS

log = logging.getLogger("voc")

UNASSIGNED = "unassigned"
GENERAL_ID, CONTEXT_ID = -2, -3  # the buckets' ids (BUCKET_LABELS names them)
STATE_FORMAT = 2
_VOTE_BLOCK = 8 * cluster._CHUNK  # sentences assigned at a time (a whole number of similarity blocks)


class ThemeStage(Stage):
    """Aspect › issue themes over sentence embeddings, with general and context buckets.

    ``min_cluster_size`` (default: grows with sqrt of the corpus) sets the granularity of
    topic clusters; ``n_themes`` asks for about that many aspects (else ``min_aspects`` to
    ``max_aspects``, as the data falls); ``curated`` is a YAML path or a list of
    ``{name, description, examples, keywords}``; ``reference`` is a saved theme stage
    (folder) or a fitted ThemeStage whose ids persisting themes keep. ``kinds`` sends
    general sentiment and context to their buckets (``kind_head``: another head file);
    ``split_polarity`` makes issues polarity-coherent (a neutral sentence leaning
    ``lean`` or more to one side counts on that side), a side smaller than
    ``min_issue_size`` joining its cluster's neutral or largest issue; an issue whose
    sentences the kind head reads as naming no aspect (mean probability at least
    ``bucket_issue_threshold``) goes to its bucket whole. Large corpora are
    fitted on ``max_fit_sentences`` sampled sentences and the rest assigned by the same rule.
    ``edits`` (a YAML path or a list of edits, :mod:`voc.themes.edits`) are applied at the
    end of fit, after the ids are matched to the reference, and saved with the model.
    """

    name = "themes"
    learns = True
    requires = ("sentences.text", "embeddings")
    assigns = ("sentences.theme_id", "sentences.theme_label", "sentences.theme_score", "sentences.kind",
               "sentences.aspect_id", "sentences.aspect_label", "docs.theme_ids", "docs.theme_labels")

    def __init__(self, min_cluster_size: int | None = None, n_themes: int | None = None, random_state: int = 0,
                 curated: str | list[dict[str, Any]] | None = None, outlier_threshold: float | None = None,
                 curated_threshold: float = 0.5, merge_threshold: float = 0.9,
                 reference: str | Path | "ThemeStage" | None = None, match_threshold: float = 0.8,
                 max_fit_sentences: int = 10_000, outlier_quantile: float = 0.01, n_examples: int = 5,
                 label_sentences: int = 100, label_budget: int = 3000, reduction: str = "umap",
                 umap_epochs: int = 200, n_neighbors: int = 5,
                 max_exemplars: int = 10_000, encoder: str | None = None, kinds: bool = True,
                 kind_head: str | None = None, split_polarity: bool = True, min_issue_size: int | None = None,
                 min_aspects: int = 8, max_aspects: int = 25, bucket_issue_threshold: float = 0.6, lean: float = 0.4,
                 journey_weight: float = 0.5, edits: str | Path | list[Any] | dict[str, Any] | None = None) -> None:
        self.min_cluster_size = min_cluster_size
        self.n_themes = n_themes
        self.random_state = random_state
        self.curated = curated
        self.outlier_threshold = outlier_threshold
        self.curated_threshold = curated_threshold
        self.merge_threshold = merge_threshold
        self.reference = reference
        self.match_threshold = match_threshold
        self.max_fit_sentences = max_fit_sentences
        self.outlier_quantile = outlier_quantile
        self.n_examples = n_examples
        self.label_sentences = label_sentences
        self.label_budget = label_budget
        self.reduction = reduction
        self.umap_epochs = umap_epochs
        self.n_neighbors = n_neighbors
        self.max_exemplars = max_exemplars
        self.encoder = encoder
        self.kinds = kinds
        self.kind_head = kind_head
        self.split_polarity = split_polarity
        self.min_issue_size = min_issue_size
        self.min_aspects = min_aspects
        self.max_aspects = max_aspects
        self.bucket_issue_threshold = bucket_issue_threshold
        self.lean = lean
        self.journey_weight = journey_weight
        self.edits = edits

    # --- sentence kinds -----------------------------------------------------------------
    def _kinds(self, corpus: Corpus, x: np.ndarray, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Kind per sentence, and the kind head's P(no aspect) (None when it did not run)."""
        if not self.kinds:
            return np.full(len(texts), kinds.FEEDBACK, dtype=object), None
        head = getattr(self, "_head_cache", None)
        if head is None:
            head = self._head_cache = kinds.KindHead.load(self.kind_head)
        names = getattr(self, "names_", None)
        return kinds.classify_with_proba(texts, _proba(corpus.sentences), x, head,
                                         names=frozenset(names) if names is not None else None)

    # --- fit ------------------------------------------------------------------------
    def fit(self, corpus: Corpus) -> "ThemeStage":
        x, texts = _inputs(corpus)
        n = x.shape[0]
        # labels are parsed with spaCy's English pipeline: sentences in other languages join
        # themes (their projected embeddings sit among the English ones) but lend no words
        # to labels, which an English parse of French would fill with "pas" and "je"
        foreign = multilingual_rows(corpus)
        self._parse_cache = {texts[i]: (set(), SentencePhrases(), []) for i in foreign}
        # names learned on the fitting data: transform uses this set, so scoring a sentence
        # gives the same kind whatever else is in its batch (Spark partitions, store chunks)
        self.names_ = sorted(kinds.rare_names(texts))
        kind, p_none = self._kinds(corpus, x, texts)
        side = _sides(corpus.sentences, self.lean)
        proba = _proba(corpus.sentences)
        fb = kind == kinds.FEEDBACK
        cur = load_curated(self.curated) if self.curated else []
        rt = self.encoder_runtime
        protos, owner = (encode_prototypes(cur, self.encoder or rt["model"], rt["cache_dir"], rt["backend"]) if cur
                         else (np.zeros((0, x.shape[1]), np.float32), np.zeros(0, np.int64)))
        claimed = np.zeros(n, dtype=bool)
        if cur:
            _, psim = cluster.best_match(x, protos)
            claimed = fb & (psim >= self.curated_threshold)

        left = np.flatnonzero(fb & ~claimed)
        sample = left
        if left.size > self.max_fit_sentences:
            rng = np.random.default_rng(self.random_state)
            sample = np.sort(rng.choice(left, self.max_fit_sentences, replace=False))
        mcs = self.min_cluster_size or cluster.default_min_cluster_size(sample.size)
        found = cluster.discover(x[sample], min_cluster_size=mcs, min_samples=max(2, round(mcs / 4)),
                                 random_state=self.random_state, merge_threshold=self.merge_threshold,
                                 outlier_threshold=self.outlier_threshold, outlier_quantile=self.outlier_quantile,
                                 reduction=self.reduction, n_epochs=self.umap_epochs)
        leaf_c = found.centroids
        # order clusters by size on the whole corpus (ties: discovery order)
        if leaf_c.shape[0]:
            lab_, lsim = cluster.best_match(x[left], leaf_c)
            sizes = np.bincount(lab_[lsim >= found.threshold], minlength=leaf_c.shape[0])
            order = np.argsort(-sizes, kind="stable")
            leaf_c = leaf_c[order[sizes[order] > 0]]
        # exemplars: fit-sample sentences labelled by their nearest final centroid; the
        # kNN vote over them is the assignment rule (stored, so transform can apply it)
        ex = sample
        if ex.size > self.max_exemplars:
            ex = np.sort(np.random.default_rng(self.random_state + 1).choice(sample, self.max_exemplars, replace=False))
        ex_x = x[ex].astype(np.float16) if leaf_c.shape[0] else np.zeros((0, x.shape[1]), np.float16)
        ex_lab = cluster.best_match(ex_x.astype(np.float32), leaf_c)[0]
        voted = np.bincount(ex_lab, minlength=leaf_c.shape[0]) > 0 if leaf_c.shape[0] else np.zeros(0, bool)
        if not voted.all():  # a cluster no exemplar stands for could never be assigned
            leaf_c = leaf_c[voted]
            ex_lab = cluster.best_match(ex_x.astype(np.float32), leaf_c)[0]
        self.leaf_centroids_ = leaf_c.astype(np.float32)
        self.exemplars_, self.exemplar_leaf_ = ex_x, ex_lab.astype(np.int64)
        self.threshold_ = float(found.threshold)
        self.prototypes_ = protos.astype(np.float32)
        self.prototype_theme_ = owner.astype(np.int64)  # provisional id == curated index

        # issues: cluster × polarity side, on the very rule transform applies
        free = fb & ~claimed
        leaf, _ = self._leaf_vote(x, free)
        n_leaves = leaf_c.shape[0]
        min_issue = self.min_issue_size or max(3, mcs // 2)
        keys = issues.form_issues(leaf, side, n_leaves, min_issue, self.split_polarity)
        row_key = (np.where(leaf >= 0, keys[np.maximum(leaf, 0), side], -1) if n_leaves
                   else np.full(n, -1, dtype=np.int64))
        used, counts = np.unique(row_key[row_key >= 0], return_counts=True)
        # an issue whose sentences the kind head mostly reads as naming no aspect ("I went
        # there with friends for a birthday", "would go every day") is general or context
        bucket_of_key: dict[int, int] = {}
        if p_none is not None:
            for k_ in used:
                if float(p_none[row_key == k_].mean()) >= self.bucket_issue_threshold:
                    bucket_of_key[int(k_)] = CONTEXT_ID if k_ % 3 == 1 else GENERAL_ID
        keep_ = ~np.isin(used, list(bucket_of_key))
        used, counts = used[keep_], counts[keep_]
        order = np.lexsort((used, -counts))
        c = len(cur)
        id_of_key = {int(k): c + r for r, k in enumerate(used[order])}
        self.issue_of_leaf_ = np.full((n_leaves, 3), -1, dtype=np.int64)
        for lf in range(n_leaves):
            present = [id_of_key[int(k)] for k in keys[lf] if int(k) in id_of_key]
            for s_ in range(3):
                k_ = int(keys[lf, s_])
                self.issue_of_leaf_[lf, s_] = bucket_of_key.get(k_, id_of_key.get(k_, present[0] if present else -1))
        n_issues = len(id_of_key)
        groups, nouns = self._aspects(x, texts, leaf, leaf_c, _top_n(self.n_themes, c), _journey(corpus.sentences))
        issue_leaf = {id_of_key[int(k)]: int(k) // 3 for k in used}
        issue_side = {id_of_key[int(k)]: int(k) % 3 for k in used}
        live = sorted({int(groups[lf]) for lf in issue_leaf.values()})  # aspects that kept an issue
        compact = {g: j for j, g in enumerate(live)}
        groups = np.asarray([compact.get(int(g), -1) for g in groups], dtype=np.int64)
        nouns = [nouns[g] for g in live] if len(nouns) > max(live, default=-1) else []
        n_aspects = len(live) if n_issues else 0
        aspect_first = c + n_issues
        self._aspect_noun = {aspect_first + g: noun for g, noun in enumerate(nouns)}
        ids = np.arange(c + n_issues + n_aspects, dtype=np.int64)
        t = pd.DataFrame({"theme_id": ids, "label": "", "kind": ["issue"] * (c + n_issues) + ["aspect"] * n_aspects,
                          "polarity": "", "keywords": [[] for _ in ids], "size": 0, "examples": [[] for _ in ids],
                          "parent_id": -1, "curated": ids < c, "level": (ids >= aspect_first).astype(int),
                          "label_support": np.nan})
        for i in range(c, c + n_issues):
            t.at[i, "parent_id"] = aspect_first + int(groups[issue_leaf[i]])
            t.at[i, "polarity"] = issues.SIDES[issue_side[i]]
        buckets = pd.DataFrame({"theme_id": [GENERAL_ID, CONTEXT_ID], "label": [BUCKET_LABELS[GENERAL_ID],
                                BUCKET_LABELS[CONTEXT_ID]], "kind": [kinds.GENERAL, kinds.CONTEXT],
                                "polarity": ["", "neutral"], "keywords": [[], []], "size": 0, "examples": [[], []],
                                "parent_id": -1, "curated": False, "level": 0, "label_support": np.nan})
        self.themes_ = pd.concat([t, buckets], ignore_index=True)
        self.centroids_ = np.zeros((len(self.themes_), x.shape[1]), np.float32)
        theme_ids, _ = self._assign(x, kind, side)  # the exact rule transform uses
        merges = build_table(self, x, texts, theme_ids, cur, side, proba)
        for _ in range(3):  # fold near-duplicate issues, label again; relabelling can reveal more
            if not merges:
                break
            self.issue_of_leaf_ = np.vectorize(lambda i: merges.get(int(i), int(i)), otypes=[np.int64])(
                self.issue_of_leaf_)
            self.themes_ = self.themes_[~self.themes_["theme_id"].isin(list(merges))].reset_index(drop=True)
            theme_ids, _ = self._assign(x, kind, side)
            merges = build_table(self, x, texts, theme_ids, cur, side, proba)
        if foreign.size:  # themes mostly in other languages are named by their own words
            lang_of = dict(zip(corpus.docs["doc_id"], corpus.docs["language"].astype("string")))
            langs = [lang_of.get(d, "und") for d in corpus.sentences["doc_id"]]
            renamed = lab.other_language_labels(self.themes_, theme_ids, texts, langs)
            if renamed:
                self.themes_["label"] = [renamed.get(int(i), lbl) for i, lbl in
                                         zip(self.themes_["theme_id"], self.themes_["label"])]
        self._parse_cache, self._aspect_noun = {}, {}
        n_issues = int((self.themes_["kind"] == "issue").sum()) - c
        self.labels_ = theme_ids
        self.next_id_ = int(self.themes_["theme_id"].max()) + 1 if len(self.themes_) else 0
        self.fit_info_ = {"n_sentences_fit": int(n), "fit_sample": int(sample.size), "min_cluster_size": int(mcs),
                          "n_density_clusters": found.n_density_clusters, "n_clusters": int(n_leaves),
                          "density_noise_share": round(found.density_outlier_share, 4),
                          "outlier_threshold": round(float(found.threshold), 4),
                          "n_curated_claimed": int(claimed.sum()), "min_issue_size": int(min_issue),
                          "n_issues": int(n_issues), "n_aspects": int(n_aspects),
                          "n_general": int((theme_ids == GENERAL_ID).sum()),
                          "n_context": int((theme_ids == CONTEXT_ID).sum()),
                          "n_issues_bucketed": len(bucket_of_key)}
        ref = _load_reference(self.reference) if self.reference is not None else None
        if ref is not None:
            self._remap_ids(theme_edits.unedited(ref))  # ids match the reference as fitted, before its edits
        theme_edits.fit_edits(self, texts, ref)
        corpus.meta.setdefault("themes", {}).update(self.fit_info_)
        log.info("themes: %d issues under %d aspects from %d sentences (%d general, %d context)", n_issues, n_aspects,
                 n, self.fit_info_["n_general"], self.fit_info_["n_context"])
        return self

    def _aspects(self, x: np.ndarray, texts: list[str], leaf: np.ndarray, leaf_c: np.ndarray,
                 n_top: int | None, journey: np.ndarray | None = None) -> tuple[np.ndarray, list[str | None]]:
        """Aspect index per cluster, by the noun its sentences are about (parsed from 15-30
        representatives per cluster; labels reuse the parse) and the touchpoints they are
        tagged with (``journey``, one row of 0/1 per sentence), else by centroid (Ward)."""
        n_leaves = leaf_c.shape[0]
        # about 1.2 √clusters aspects (60 clusters → 9), held between min_ and max_aspects
        limit = n_top if n_top is not None else int(np.clip(round(1.2 * np.sqrt(leaf_c.shape[0])), self.min_aspects,
                                                            self.max_aspects))
        if not n_leaves:
            return np.zeros(0, dtype=np.int64), []
        members = [np.flatnonzero(leaf == lf) for lf in range(n_leaves)]
        # a cluster's main noun shows in its 15-30 most typical sentences; parsing is the cost
        per = max(15, min(30, self.label_budget // max(1, 2 * n_leaves)))
        reps = [m[lab.representatives(x[m], leaf_c[lf], [texts[i] for i in m], per)] if m.size else m
                for lf, m in enumerate(members)]
        if not hasattr(self, "_parse_cache"):
            self._parse_cache = {}
        flat = [texts[i] for r in reps for i in r]
        parsed, _ = issues.parse(flat, self._parse_cache)
        heads, shares, j = [], [], 0
        for r in reps:
            sets = [{a.split()[-1] for a in parsed.phrases[j + q].aspects} for q in range(len(r))]
            j += len(r)
            heads.append(sets)
            cnt: dict[str, float] = {}
            for st in sets:
                for h in st:
                    cnt[h] = cnt.get(h, 0.0) + 1.0 / max(1, len(r))
            shares.append(cnt)
        sizes = np.asarray([m.size for m in members], dtype=np.float64)
        prof = None
        if journey is not None and journey.shape[1]:
            prof = np.stack([journey[m].mean(axis=0) if m.size else np.zeros(journey.shape[1]) for m in members])
        found = issues.noun_aspects(lab.ctfidf(heads), shares, leaf_c, sizes, limit, journey=prof,
                                    journey_weight=self.journey_weight)
        if found is None:
            return issues.aspect_groups(leaf_c, n_top, self.min_aspects, self.max_aspects), []
        return found

    def _leaf_vote(self, x: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cluster index (or -1) and cosine per sentence, for the ``rows`` mask only:
        assigned when some cluster centroid is close enough, to the cluster its nearest
        exemplars vote for."""
        n = x.shape[0]
        leaf = np.full(n, -1, dtype=np.int64)
        score = np.zeros(n, dtype=np.float32)
        idx = np.flatnonzero(rows)
        n_leaves = self.leaf_centroids_.shape[0]
        if not idx.size or not n_leaves:
            return leaf, score
        exemplars = self.exemplars_.astype(np.float32)
        # a block of rows at a time: a copy of every free row's embedding (1.5 KB a sentence)
        # was the stage's peak on large files; blocks are whole similarity blocks, so the float
        # ops are the ones a single pass runs
        for start in range(0, idx.size, _VOTE_BLOCK):
            rows_ = idx[start:start + _VOTE_BLOCK]
            xs = x[rows_]
            _, ls = cluster.best_match(xs, self.leaf_centroids_)
            vote = cluster.knn_vote(xs, exemplars, self.exemplar_leaf_, self.n_neighbors, n_leaves)
            hit = ls >= self.threshold_
            leaf[rows_[hit]] = vote[hit]
            voted_sim = np.einsum("ij,ij->i", xs, self.leaf_centroids_[np.maximum(vote, 0)])
            score[rows_] = np.where(hit, voted_sim, ls)  # unassigned rows keep their best similarity
        return leaf, score

    def _assign(self, x: np.ndarray, kind: np.ndarray, side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Theme id (issue, curated theme, bucket -2/-3, or -1) and cosine per sentence."""
        n = x.shape[0]
        out = np.full(n, -1, dtype=np.int64)
        score = np.zeros(n, dtype=np.float32)
        out[kind == kinds.GENERAL] = GENERAL_ID
        out[kind == kinds.CONTEXT] = CONTEXT_ID
        fb = kind == kinds.FEEDBACK
        if self.prototypes_.shape[0]:
            pi, ps = cluster.best_match(x, self.prototypes_)
            hit = fb & (ps >= self.curated_threshold)
            out[hit] = self.prototype_theme_[pi[hit]]
            score[hit] = ps[hit]
        free = fb & (out == -1)
        leaf, lscore = self._leaf_vote(x, free)
        hit = leaf >= 0
        out[hit] = self.issue_of_leaf_[leaf[hit], side[hit]]
        score[free] = lscore[free]
        return out, score

    def _remap_ids(self, ref: "ThemeStage") -> None:
        """Give persisting themes their reference ids; record new/gone/merged/split.
        Issues match issues of the same polarity; aspects match aspects."""
        t, rt = self.themes_, ref.themes_
        new_ids = t["theme_id"].to_numpy().copy()
        next_id = int(ref.next_id_)
        report: dict[str, Any] = {}
        ref_by_name = {str(lbl).lower(): int(i) for lbl, i in zip(rt.loc[rt["curated"], "label"],
                                                                   rt.loc[rt["curated"], "theme_id"])}
        for r in np.flatnonzero(t["curated"].to_numpy()):
            old = ref_by_name.get(str(t.at[r, "label"]).lower())
            if old is None:
                new_ids[r], next_id = next_id, next_id + 1
            else:
                new_ids[r] = old
        rkind = rt["kind"] if "kind" in rt.columns else pd.Series(np.where(rt["level"] == 1, "aspect", "issue"))
        rpol = rt["polarity"] if "polarity" in rt.columns else pd.Series("", index=rt.index)
        groups = [("issues", pol, (t["kind"] == "issue") & (t["polarity"] == pol), (rkind == "issue") &
                   (rpol == pol)) for pol in issues.SIDES]
        groups.append(("aspects", None, t["kind"] == "aspect", rkind == "aspect"))
        for key, pol, mine, theirs in groups:
            rows = np.flatnonzero((mine & ~t["curated"]).to_numpy())
            ref_rows = np.flatnonzero((theirs & ~rt["curated"]).to_numpy())
            m = hierarchy.match_ids(self.centroids_[rows], ref.centroids_[ref_rows],
                                    rt["theme_id"].to_numpy()[ref_rows], next_id, self.match_threshold)
            new_ids[rows] = m.ids
            next_id += len(m.new)
            part = m.report()
            if key in report:
                report[key] = {k: (report[key][k] + v if isinstance(v, list) else {**report[key][k], **v})
                               for k, v in part.items()}
            else:
                report[key] = part
        mapping = dict(zip(t["theme_id"].astype(int), new_ids.astype(int)))
        mapping.update({-1: -1, GENERAL_ID: GENERAL_ID, CONTEXT_ID: CONTEXT_ID})
        self.labels_ = np.asarray([mapping[int(i)] for i in self.labels_], dtype=np.int64)
        t["theme_id"] = new_ids
        t["parent_id"] = [mapping.get(int(p), -1) if p >= 0 else -1 for p in t["parent_id"]]
        self.prototype_theme_ = np.asarray([mapping[int(i)] for i in self.prototype_theme_], dtype=np.int64)
        self.issue_of_leaf_ = np.vectorize(lambda i: mapping.get(int(i), -1), otypes=[np.int64])(
            self.issue_of_leaf_) if self.issue_of_leaf_.size else self.issue_of_leaf_
        self.next_id_ = max(next_id, int(new_ids.max()) + 1 if new_ids.size else 0)
        self.fit_info_["changes"] = report

    # --- transform ------------------------------------------------------------------
    def transform(self, corpus: Corpus) -> Corpus:
        self.check_fitted("themes_")
        x, texts = _inputs(corpus)
        kind, _ = self._kinds(corpus, x, texts)
        ids, score = self._assign(x, kind, _sides(corpus.sentences, self.lean))
        ids = theme_edits.route(self, ids, texts)  # the edits' splits (and merges after them)
        kind = np.where(ids == GENERAL_ID, kinds.GENERAL, np.where(ids == CONTEXT_ID, kinds.CONTEXT, kind))
        t = self.themes_
        label_of = dict(zip(t["theme_id"].astype(int), t["label"]))
        label_of[-1] = UNASSIGNED
        parent_of = dict(zip(t["theme_id"].astype(int), t["parent_id"].astype(int)))
        sents = corpus.sentences.copy()
        sents["kind"] = pd.Series(kind, index=sents.index, dtype="string")
        sents["theme_id"] = ids
        sents["theme_label"] = [label_of.get(int(i), UNASSIGNED) for i in ids]
        sents["theme_score"] = score
        aspect = np.asarray([parent_of.get(int(i), -1) if i >= 0 else -1 for i in ids], dtype=np.int64)
        sents["aspect_id"] = aspect
        sents["aspect_label"] = pd.Series([label_of.get(int(a), "") if a >= 0 else "" for a in aspect],
                                          index=sents.index, dtype="string")
        per_doc = (sents.loc[sents["theme_id"] >= 0].groupby("doc_id", sort=False)["theme_id"]
                   .agg(lambda s: sorted(set(int(v) for v in s))))
        docs = corpus.docs.copy()
        docs["theme_ids"] = [list(per_doc.get(d, [])) for d in docs["doc_id"]]
        docs["theme_labels"] = [[label_of[i] for i in ids_] for ids_ in docs["theme_ids"]]
        n = len(ids)
        unassigned = int((ids == -1).sum())
        meta = dict(corpus.meta)
        meta["themes"] = {**meta.get("themes", {}), "n_sentences": n,
                          "n_issues": int((t["kind"] == "issue").sum()),
                          "n_aspects": int((t["kind"] == "aspect").sum()),
                          "n_themes": int((t["kind"] == "issue").sum()),
                          "n_parents": int((t["kind"] == "aspect").sum()),
                          "n_curated": int(t["curated"].sum()), "n_unassigned": unassigned,
                          "unassigned_share": round(unassigned / n, 4) if n else 0.0,
                          "n_general": int((ids == GENERAL_ID).sum()), "n_context": int((ids == CONTEXT_ID).sum()),
                          "general_share": round(float((ids == GENERAL_ID).mean()), 4) if n else 0.0,
                          "context_share": round(float((ids == CONTEXT_ID).mean()), 4) if n else 0.0,
                          "hidden": theme_edits.hidden_ids(self)}
        return dataclasses.replace(corpus, docs=docs, sentences=sents, meta=meta)

    # --- persistence ----------------------------------------------------------------
    def to_disk(self, path: Path) -> None:
        self.check_fitted("themes_")
        path = Path(path)
        params = self.get_params()
        if isinstance(self.reference, ThemeStage):
            params["reference"] = None
        super().to_disk(path)
        (path / "params.json").write_text(json.dumps(params, indent=2, default=str), encoding="utf-8")
        self.themes_.to_parquet(path / "themes.parquet", index=False)
        for name in ("centroids", "prototypes", "prototype_theme", "exemplars", "exemplar_leaf", "leaf_centroids",
                     "issue_of_leaf"):
            np.save(path / f"{name}.npy", getattr(self, f"{name}_"), allow_pickle=False)
        state = {"format": STATE_FORMAT, "threshold": self.threshold_, "next_id": int(self.next_id_),
                 "fit_info": self.fit_info_, "names": list(getattr(self, "names_", [])), "versions": _versions()}
        (path / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
        theme_edits.save_state(self, path)

    def from_disk(self, path: Path) -> "ThemeStage":
        path = Path(path)
        if not (path / "themes.parquet").exists():
            raise ModelLoadError(f"{path} holds no saved theme stage (themes.parquet is missing)")
        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        if int(state.get("format", 1)) < STATE_FORMAT:
            raise ModelLoadError(f"the theme model in {path} was saved by an older voc (themes without aspects and "
                                 "issues); refit it with `voc analyze` (pass it as --previous to keep its ids)")
        params = json.loads((path / "params.json").read_text(encoding="utf-8"))
        params.setdefault("lean", 1.0)  # saved before neutral sentences leaned: route them as fitted
        for k, v in params.items():
            if hasattr(self, k):
                setattr(self, k, v)
        t = pd.read_parquet(path / "themes.parquet")
        for col in ("keywords", "examples"):
            t[col] = [list(v) for v in t[col]]
        self.themes_ = t[_COLUMNS].reset_index(drop=True)
        for name in ("centroids", "prototypes", "prototype_theme", "exemplars", "exemplar_leaf", "leaf_centroids",
                     "issue_of_leaf"):
            setattr(self, f"{name}_", np.load(path / f"{name}.npy", allow_pickle=False))
        self.threshold_ = float(state["threshold"])
        self.next_id_ = int(state["next_id"])
        self.fit_info_ = state.get("fit_info", {})
        self.names_ = list(state.get("names", []))
        theme_edits.load_state(self, path)
        return self


def _journey(sentences: pd.DataFrame) -> np.ndarray | None:
    """0/1 per sentence × touchpoint ("none" left out) from the touchpoint stage, which
    runs first; None when it did not run."""
    if "touchpoints" not in sentences:
        return None
    tags = [list(t) if isinstance(t, (list, tuple, np.ndarray)) else [] for t in sentences["touchpoints"]]
    names = sorted({str(t) for ts in tags for t in ts} - {"none", ""})
    col = {n: j for j, n in enumerate(names)}
    out = np.zeros((len(tags), len(names)), dtype=np.float32)
    for i, ts in enumerate(tags):
        for t in ts:
            if str(t) in col:
                out[i, col[str(t)]] = 1.0
    return out


def _proba(sentences: pd.DataFrame) -> np.ndarray | None:
    cols = ["p_negative", "p_neutral", "p_positive"]
    if not set(cols).issubset(sentences.columns):
        return None
    return sentences[cols].to_numpy(dtype=np.float32, na_value=np.nan)


def _sides(sentences: pd.DataFrame, lean: float) -> np.ndarray:
    return issues.side_of(sentences["sentiment"].astype(str).tolist() if "sentiment" in sentences.columns else None,
                          len(sentences), _proba(sentences), lean)


def _inputs(corpus: Corpus) -> tuple[np.ndarray, list[str]]:
    if corpus.embeddings is None:
        raise PipelineError("the themes stage needs sentence embeddings: run the embed stage before it")
    x = np.asarray(corpus.embeddings, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] != len(corpus.sentences):
        raise PipelineError(f"embeddings have shape {x.shape} but there are {len(corpus.sentences)} sentences; "
                            "they must be aligned row for row")
    return x, corpus.sentences["text"].astype(str).tolist()


def _top_n(n_themes: int | None, n_curated: int) -> int | None:
    return None if n_themes is None else max(1, n_themes - n_curated)


def _load_reference(ref: "str | Path | ThemeStage") -> "ThemeStage":
    """A fitted ThemeStage, its saved folder, or a whole saved model directory."""
    if isinstance(ref, ThemeStage):
        ref.check_fitted("themes_")
        return ref
    path = Path(ref)
    if (path / "meta.json").is_file() and (path / "themes").is_dir():
        path = path / "themes"
    if not path.is_dir():
        raise ModelLoadError(f"previous theme model {str(ref)!r} not found: pass a saved model directory "
                             "(e.g. voc-out/model) or its themes/ folder")
    return ThemeStage().from_disk(path)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("hdbscan", "umap-learn", "numpy", "scikit-learn", "spacy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out
