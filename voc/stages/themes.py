"""Theme stage: sentence-level themes that are readable, reproducible and reusable.

fit: curated themes (from a YAML taxonomy) claim the sentences they match; UMAP →
HDBSCAN discovers themes in the rest (on a sample when the corpus is large);
centroids are refined, near-duplicates and tiny themes merged, parents built above
them, and labels come from c-TF-IDF over spaCy terms. transform: one rule (curated
prototypes first; then, if a discovered centroid is similar enough, the theme that the
nearest stored exemplars vote for), and fit's assignments *are* that rule applied to
the fitting data, which is why transform reproduces them exactly.
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
from voc.stages.base import Corpus, Stage
from voc.themes import cluster, hierarchy, labels
from voc.themes.curated import CuratedTheme, encode_prototypes, load_curated

log = logging.getLogger("voc")

UNASSIGNED = "unassigned"
_COLUMNS = ["theme_id", "label", "keywords", "size", "examples", "parent_id", "curated", "level"]


class ThemeStage(Stage):
    """Discover (and optionally seed) themes over sentence embeddings.

    ``min_cluster_size`` (default: grows with sqrt of the corpus) sets granularity;
    ``n_themes`` asks for about that many top-level (parent) themes; ``curated`` is a
    YAML path or a list of ``{name, description, examples, keywords}``;
    ``reference`` is a saved theme stage (folder) or a fitted ThemeStage whose ids
    persisting themes keep. ``outlier_threshold`` (cosine) overrides the data-driven
    one. Large corpora are fitted on ``max_fit_sentences`` sampled sentences and the
    rest assigned by the same rule.
    """

    name = "themes"
    learns = True
    requires = ("sentences.text", "embeddings")
    assigns = ("sentences.theme_id", "sentences.theme_label", "sentences.theme_score",
               "docs.theme_ids", "docs.theme_labels")

    def __init__(self, min_cluster_size: int | None = None, n_themes: int | None = None, random_state: int = 0,
                 curated: str | list[dict[str, Any]] | None = None, outlier_threshold: float | None = None,
                 curated_threshold: float = 0.5, merge_threshold: float = 0.9, parent_similarity: float = 0.6,
                 reference: str | Path | "ThemeStage" | None = None, match_threshold: float = 0.8,
                 max_fit_sentences: int = 10_000, outlier_quantile: float = 0.01, n_examples: int = 5,
                 label_sentences: int = 100, label_budget: int = 5000, reduction: str = "umap",
                 umap_epochs: int = 200, n_neighbors: int = 5,
                 max_exemplars: int = 10_000, encoder: str | None = None) -> None:
        self.min_cluster_size = min_cluster_size
        self.n_themes = n_themes
        self.random_state = random_state
        self.curated = curated
        self.outlier_threshold = outlier_threshold
        self.curated_threshold = curated_threshold
        self.merge_threshold = merge_threshold
        self.parent_similarity = parent_similarity
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

    # --- fit ------------------------------------------------------------------------
    def fit(self, corpus: Corpus) -> "ThemeStage":
        x, texts = _inputs(corpus)
        n = x.shape[0]
        cur = load_curated(self.curated) if self.curated else []
        rt = self.encoder_runtime
        protos, owner = (encode_prototypes(cur, self.encoder or rt["model"], rt["cache_dir"], rt["backend"]) if cur
                         else (np.zeros((0, x.shape[1]), np.float32), np.zeros(0, np.int64)))
        claimed = np.zeros(n, dtype=bool)
        if cur:
            _, psim = cluster.best_match(x, protos)
            claimed = psim >= self.curated_threshold

        left = np.flatnonzero(~claimed)
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
        # order discovered themes by size on the whole corpus (ties: discovery order)
        if leaf_c.shape[0]:
            lab, lsim = cluster.best_match(x[left], leaf_c)
            sizes = np.bincount(lab[lsim >= found.threshold], minlength=leaf_c.shape[0])
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
        if not voted.all():  # a theme no exemplar stands for could never be assigned
            leaf_c = leaf_c[voted]
            ex_lab = cluster.best_match(ex_x.astype(np.float32), leaf_c)[0]
        ex_row = ex_lab + len(cur)

        self._set_state(cur, protos, owner, leaf_c, found.threshold)
        self.exemplars_, self.exemplar_theme_ = ex_x, ex_row.astype(np.int64)
        theme_idx, _ = self._assign(x)  # the exact rule transform uses
        self._build_table(x, texts, theme_idx, cur)
        self.labels_ = self._ids_of(theme_idx)
        self.next_id_ = int(self.themes_["theme_id"].max()) + 1 if len(self.themes_) else 0
        self.fit_info_ = {"n_sentences_fit": int(n), "fit_sample": int(sample.size), "min_cluster_size": int(mcs),
                          "n_density_clusters": found.n_density_clusters,
                          "density_noise_share": round(found.density_outlier_share, 4),
                          "outlier_threshold": round(float(found.threshold), 4),
                          "n_curated_claimed": int(claimed.sum())}
        if self.reference is not None:
            self._remap_ids(_load_reference(self.reference))
        corpus.meta.setdefault("themes", {}).update(self.fit_info_)
        log.info("themes: %d themes (%d parents) from %d sentences", int((self.themes_["level"] == 0).sum()),
                 int((self.themes_["level"] == 1).sum()), n)
        return self

    def _set_state(self, cur: list[CuratedTheme], protos: np.ndarray, owner: np.ndarray, leaf_c: np.ndarray,
                   threshold: float) -> None:
        """Provisional ids: curated 0..C-1 in file order, then discovered by size."""
        c = len(cur)
        self.prototypes_ = protos.astype(np.float32)
        self.prototype_theme_ = owner.astype(np.int64)  # provisional id == curated index
        self.threshold_ = float(threshold)
        cur_c = (cluster.centroids_of(protos, owner, c)[0] if c else np.zeros((0, leaf_c.shape[1]), np.float32))
        self.centroids_ = np.vstack([cur_c, leaf_c]).astype(np.float32)
        ids = np.arange(self.centroids_.shape[0], dtype=np.int64)
        self.themes_ = pd.DataFrame({"theme_id": ids, "label": "", "keywords": [[] for _ in ids], "size": 0,
                                     "examples": [[] for _ in ids], "parent_id": -1, "curated": ids < c,
                                     "level": 0})

    def _assign(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row index into ``themes_`` (or -1) and cosine score per sentence."""
        t = self.themes_
        n = x.shape[0]
        out = np.full(n, -1, dtype=np.int64)
        score = np.zeros(n, dtype=np.float32)
        row_of = {int(i): r for r, i in enumerate(t["theme_id"])}
        if self.prototypes_.shape[0]:
            pi, ps = cluster.best_match(x, self.prototypes_)
            hit = ps >= self.curated_threshold
            rows = np.asarray([row_of[int(i)] for i in self.prototype_theme_], dtype=np.int64)
            out[hit] = rows[pi[hit]]
            score[hit] = ps[hit]
        leaf_rows = np.flatnonzero(((t["level"] == 0) & ~t["curated"]).to_numpy())
        if leaf_rows.size:
            # a sentence is assigned when some theme centroid is close enough, to the
            # theme its nearest exemplars vote for
            _, ls = cluster.best_match(x, self.centroids_[leaf_rows])
            pos = {int(r): j for j, r in enumerate(leaf_rows)}
            ex_pos = np.asarray([pos[row_of[int(i)]] for i in self.exemplar_theme_], dtype=np.int64)
            vote = cluster.knn_vote(x, self.exemplars_.astype(np.float32), ex_pos, self.n_neighbors, leaf_rows.size)
            free = out < 0
            hit = free & (ls >= self.threshold_)
            out[hit] = leaf_rows[vote[hit]]
            voted_sim = np.einsum("ij,ij->i", x, self.centroids_[leaf_rows[np.maximum(vote, 0)]])
            score[free] = np.where(hit, voted_sim, ls)[free]  # unassigned rows keep their best similarity
        return out, score

    def _ids_of(self, rows: np.ndarray) -> np.ndarray:
        ids = np.append(self.themes_["theme_id"].to_numpy(dtype=np.int64), -1)
        return ids[np.where(rows >= 0, rows, -1)]

    def _build_table(self, x: np.ndarray, texts: list[str], theme_idx: np.ndarray,
                     cur: list[CuratedTheme]) -> None:
        """Sizes, parents, keywords, labels and examples from the final assignment."""
        t = self.themes_
        k = len(t)
        members = [np.flatnonzero(theme_idx == r) for r in range(k)]
        t["size"] = [m.size for m in members]
        leaf_rows = [r for r in range(k) if not t.at[r, "curated"]]
        groups = hierarchy.parent_groups(self.centroids_[leaf_rows], _top_n(self.n_themes, len(cur)),
                                         self.parent_similarity) if leaf_rows else np.zeros(0, np.int64)
        parents: list[list[int]] = []
        for g in range(int(groups.max()) + 1 if groups.size else 0):
            kids = [leaf_rows[i] for i in np.flatnonzero(groups == g)]
            if len(kids) > 1:
                parents.append(kids)
        # spaCy parsing is the cost of labelling (~700 sentences/s): at most
        # ``label_budget`` sentences in all, never fewer than 25 per theme
        per_theme = max(25, min(self.label_sentences, self.label_budget // max(1, k)))
        reps = [labels.representatives(x[m], self.centroids_[r], [texts[i] for i in m], per_theme)
                for r, m in enumerate(members)]
        rep_idx = [m[rr] for m, rr in zip(members, reps)]
        flat = sorted({int(i) for ri in rep_idx for i in ri})
        surfaces: dict[str, Any] = {}
        terms_of = dict(zip(flat, labels.extract_terms([texts[i] for i in flat], surfaces)))
        display = labels.display_forms(surfaces)
        sets = [[terms_of[int(i)] for i in ri] for ri in rep_idx]
        ranked = labels.ctfidf(sets)
        names = [c.name for c in cur]
        examples = [[texts[i] for i in ri[:self.n_examples]] for ri in rep_idx]
        disc = labels.unique_labels([ranked[r] for r in leaf_rows], taken=names, display=display,
                                    examples=[examples[r] for r in leaf_rows])
        t["label"] = names + disc
        t["keywords"] = [labels.keywords_of(r, display=display) for r in ranked]
        t["examples"] = examples
        if not parents:
            return
        # parent rows: centroid = size-weighted mean of children, terms pooled
        p_c = np.stack([(self.centroids_[kids] * np.maximum(t["size"].to_numpy()[kids], 1)[:, None]).sum(0)
                        for kids in parents])
        p_c = cluster.normalize(p_c)
        p_ranked = labels.ctfidf([[s for kid in kids for s in sets[kid]] for kids in parents])
        p_labels = labels.unique_labels(p_ranked, taken=list(t["label"]), display=display,
                                        examples=[[s_ for kid in kids for s_ in examples[kid]] for kids in parents])
        first = k
        rows = []
        for j, kids in enumerate(parents):
            pool = np.concatenate([members[kid] for kid in kids])
            ex = labels.representatives(x[pool], p_c[j], [texts[i] for i in pool], self.n_examples)
            rows.append({"theme_id": first + j, "label": p_labels[j],
                         "keywords": labels.keywords_of(p_ranked[j], display=display),
                         "size": int(pool.size), "examples": [texts[pool[i]] for i in ex], "parent_id": -1,
                         "curated": False, "level": 1})
            t.loc[kids, "parent_id"] = first + j
        self.themes_ = pd.concat([t, pd.DataFrame(rows)], ignore_index=True)
        self.centroids_ = np.vstack([self.centroids_, p_c]).astype(np.float32)

    def _remap_ids(self, ref: "ThemeStage") -> None:
        """Give persisting themes their reference ids; record new/gone/merged/split."""
        t, rt = self.themes_, ref.themes_
        new_ids = t["theme_id"].to_numpy().copy()
        next_id = int(ref.next_id_)
        report: dict[str, Any] = {}
        ref_by_name = {str(lbl).lower(): int(i) for lbl, i in zip(rt.loc[rt["curated"], "label"],
                                                                   rt.loc[rt["curated"], "theme_id"])}
        cur_rows = np.flatnonzero(t["curated"].to_numpy())
        for r in cur_rows:
            old = ref_by_name.get(str(t.at[r, "label"]).lower())
            if old is None:
                new_ids[r], next_id = next_id, next_id + 1
            else:
                new_ids[r] = old
        for level, key in ((0, "themes"), (1, "parents")):
            rows = np.flatnonzero(((t["level"] == level) & ~t["curated"]).to_numpy())
            ref_rows = np.flatnonzero(((rt["level"] == level) & ~rt["curated"]).to_numpy())
            m = hierarchy.match_ids(self.centroids_[rows], ref.centroids_[ref_rows],
                                    rt["theme_id"].to_numpy()[ref_rows], next_id, self.match_threshold)
            new_ids[rows] = m.ids
            next_id += len(m.new)
            report[key] = m.report()
        mapping = dict(zip(t["theme_id"].astype(int), new_ids.astype(int)))
        mapping[-1] = -1
        self.labels_ = np.asarray([mapping[int(i)] for i in self.labels_], dtype=np.int64)
        t["theme_id"] = new_ids
        t["parent_id"] = [mapping.get(int(p), -1) if p >= 0 else -1 for p in t["parent_id"]]
        self.prototype_theme_ = np.asarray([mapping[int(i)] for i in self.prototype_theme_], dtype=np.int64)
        self.exemplar_theme_ = np.asarray([mapping[int(i)] for i in self.exemplar_theme_], dtype=np.int64)
        self.next_id_ = max(next_id, int(new_ids.max()) + 1 if new_ids.size else 0)
        self.fit_info_["changes"] = report

    # --- transform ------------------------------------------------------------------
    def transform(self, corpus: Corpus) -> Corpus:
        self.check_fitted("themes_")
        x, _ = _inputs(corpus)
        rows, score = self._assign(x)
        ids = self._ids_of(rows)
        label_of = dict(zip(self.themes_["theme_id"].astype(int), self.themes_["label"]))
        label_of[-1] = UNASSIGNED
        sents = corpus.sentences.copy()
        sents["theme_id"] = ids
        sents["theme_label"] = [label_of[int(i)] for i in ids]
        sents["theme_score"] = score
        per_doc = (sents.loc[sents["theme_id"] >= 0].groupby("doc_id", sort=False)["theme_id"]
                   .agg(lambda s: sorted(set(int(v) for v in s))))
        docs = corpus.docs.copy()
        docs["theme_ids"] = [list(per_doc.get(d, [])) for d in docs["doc_id"]]
        docs["theme_labels"] = [[label_of[i] for i in ids_] for ids_ in docs["theme_ids"]]
        n = len(ids)
        unassigned = int((ids < 0).sum())
        meta = dict(corpus.meta)
        meta["themes"] = {**meta.get("themes", {}), "n_sentences": n,
                          "n_themes": int((self.themes_["level"] == 0).sum()),
                          "n_parents": int((self.themes_["level"] == 1).sum()),
                          "n_curated": int(self.themes_["curated"].sum()), "n_unassigned": unassigned,
                          "unassigned_share": round(unassigned / n, 4) if n else 0.0}
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
        np.save(path / "centroids.npy", self.centroids_, allow_pickle=False)
        np.save(path / "prototypes.npy", self.prototypes_, allow_pickle=False)
        np.save(path / "prototype_theme.npy", self.prototype_theme_, allow_pickle=False)
        np.save(path / "exemplars.npy", self.exemplars_, allow_pickle=False)
        np.save(path / "exemplar_theme.npy", self.exemplar_theme_, allow_pickle=False)
        state = {"threshold": self.threshold_, "next_id": int(self.next_id_), "fit_info": self.fit_info_,
                 "versions": _versions()}
        (path / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")

    def from_disk(self, path: Path) -> "ThemeStage":
        path = Path(path)
        if not (path / "themes.parquet").exists():
            raise ModelLoadError(f"{path} holds no saved theme stage (themes.parquet is missing)")
        params = json.loads((path / "params.json").read_text(encoding="utf-8"))
        for k, v in params.items():
            if hasattr(self, k):
                setattr(self, k, v)
        t = pd.read_parquet(path / "themes.parquet")
        for col in ("keywords", "examples"):
            t[col] = [list(v) for v in t[col]]
        self.themes_ = t[_COLUMNS].reset_index(drop=True)
        self.centroids_ = np.load(path / "centroids.npy", allow_pickle=False)
        self.prototypes_ = np.load(path / "prototypes.npy", allow_pickle=False)
        self.prototype_theme_ = np.load(path / "prototype_theme.npy", allow_pickle=False)
        self.exemplars_ = np.load(path / "exemplars.npy", allow_pickle=False)
        self.exemplar_theme_ = np.load(path / "exemplar_theme.npy", allow_pickle=False)
        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        self.threshold_ = float(state["threshold"])
        self.next_id_ = int(state["next_id"])
        self.fit_info_ = state.get("fit_info", {})
        return self


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
