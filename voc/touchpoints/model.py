"""The touchpoint scorer as plain arrays: nearest-prototype similarity (zero-shot) or a
softmax classifier over the shared embeddings (few-shot), both turned into
probabilities over ``touchpoints + [none]`` so one threshold means the same thing in
both modes.

Everything here is matrix algebra over the embeddings the encoder already computed:
the stage never runs a second transformer pass over the corpus.
"""

from __future__ import annotations

import numpy as np


def prototype_similarity(x: np.ndarray, prototypes: np.ndarray, owner: np.ndarray, k: int) -> np.ndarray:
    """(n, k) cosine of each row of ``x`` to its nearest prototype of each touchpoint.

    Nearest rather than the mean prototype: a sentence close to one example phrasing
    of a touchpoint belongs to it even if it is far from the others.
    """
    sims = x @ prototypes.T
    out = np.full((x.shape[0], k), -1.0, dtype=np.float32)
    for j in range(k):
        cols = owner == j
        if cols.any():
            out[:, j] = sims[:, cols].max(axis=1)
    return out


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def zero_shot_proba(sim: np.ndarray, hits: np.ndarray, temperature: float, floor: float,
                    keyword_logit: float) -> np.ndarray:
    """(n, k+1) probabilities; the last column is "none", whose logit is the similarity
    floor, so a sentence close to nothing ends up there."""
    logits = sim / temperature + keyword_logit * hits
    none = np.full((sim.shape[0], 1), floor / temperature, dtype=np.float32)
    return softmax(np.hstack([logits, none]).astype(np.float64))


def fit_softmax(x: np.ndarray, labels: list[list[int]], n_classes: int, c: float,
                random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression; a row with several labels counts once per
    label (the usual reduction of multi-label to softmax). Returns (coef, intercept)
    over all ``n_classes``: classes without data get a very low intercept."""
    from sklearn.linear_model import LogisticRegression

    rows = [i for i, ls in enumerate(labels) for _ in ls]
    ys = [lab for ls in labels for lab in ls]
    present = sorted(set(ys))
    coef = np.zeros((n_classes, x.shape[1]), dtype=np.float32)
    intercept = np.full(n_classes, -1e4, dtype=np.float32)
    if len(present) == 1:
        intercept[present[0]] = 0.0
        return coef, intercept
    weights = np.array([1.0 / len(labels[i]) for i in rows])
    clf = LogisticRegression(C=c, max_iter=2000, random_state=random_state)
    clf.fit(x[rows], ys, sample_weight=weights)
    if len(present) == 2:  # sklearn returns a single row for binary problems
        coef[present[1]], intercept[present[1]] = clf.coef_[0] / 2, clf.intercept_[0] / 2
        coef[present[0]], intercept[present[0]] = -clf.coef_[0] / 2, -clf.intercept_[0] / 2
    else:
        for row, cls in enumerate(clf.classes_):
            coef[cls], intercept[cls] = clf.coef_[row], clf.intercept_[row]
    return coef, intercept


def few_shot_proba(x: np.ndarray, coef: np.ndarray, intercept: np.ndarray, hits: np.ndarray,
                   keyword_logit: float) -> np.ndarray:
    """(n, k+1) probabilities from the fitted softmax; keyword hits add to the logits."""
    logits = x @ coef.T + intercept
    k = hits.shape[1]
    logits[:, :k] += keyword_logit * hits
    return softmax(logits.astype(np.float64))


def decide(proba: np.ndarray, threshold: float, catch_all: int | None = None,
           opinion: np.ndarray | None = None) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """Multi-label decision from (n, k+1) probabilities (last column = none).

    A touchpoint is tagged when its probability reaches ``threshold``; the primary one
    is the most probable tag; with no tag the sentence is "none" and its score is the
    probability that it is about none of the touchpoints. With a ``catch_all`` touchpoint
    (a taxonomy's "general" / "other" entry) a sentence no other touchpoint claims is
    tagged with it instead of "none", scored the same way; with ``opinion`` (a boolean per
    row) only the rows that voice an opinion go to the catch-all.
    Returns (tags per row, primary index or -1, primary score).
    """
    k = proba.shape[1] - 1
    tp = proba[:, :k]
    mask = tp >= threshold
    if catch_all is not None:
        others = np.delete(tp, catch_all, axis=1)
        unclaimed = ~np.delete(mask, catch_all, axis=1).any(axis=1)
        if opinion is not None:
            unclaimed &= np.asarray(opinion, dtype=bool)
        mask[:, catch_all] |= unclaimed
        rest = 1.0 - (others.max(axis=1) if others.shape[1] else np.zeros(len(tp)))
        tp = tp.copy()  # the order and score below see the catch-all at least as the unclaimed mass
        tp[unclaimed, catch_all] = np.maximum(tp[unclaimed, catch_all], rest[unclaimed])
    best = np.where(mask, tp, -1.0).argmax(axis=1)  # the most probable *tagged* touchpoint
    has = mask.any(axis=1)
    primary = np.where(has, best, -1)
    score = np.where(has, tp[np.arange(len(tp)), best], 1.0 - tp.max(axis=1) if k else 1.0)
    order = np.argsort(-tp, axis=1, kind="stable")
    tags = [[int(j) for j in order[i] if mask[i, j]] for i in range(len(tp))]
    return tags, primary, np.clip(score, 0.0, 1.0)


def initial_proba(sim: np.ndarray, hits: np.ndarray, temperature: float, floor: float, keyword_logit: float,
                  x: np.ndarray | None = None, coef: np.ndarray | None = None,
                  intercept: np.ndarray | None = None) -> np.ndarray:
    """Seed probabilities for self-training: the zero-shot prototype logits, plus the
    few-shot softmax logits when labels exist (the prototypes act as a prior, which
    matters most with 5 labels per touchpoint)."""
    k = sim.shape[1]
    logits = np.hstack([sim / temperature + keyword_logit * hits,
                        np.full((sim.shape[0], 1), floor / temperature)]).astype(np.float64)
    if x is not None and coef is not None and intercept is not None:
        learned = x @ coef.T + intercept
        logits[:, :k] += learned[:, :k]
        logits[:, k] = np.logaddexp(logits[:, k], learned[:, k])
    return softmax(logits)


def sample_rows(n: int, max_rows: int, random_state: int | None) -> np.ndarray:
    """The corpus rows self-training learns from: all of them, or a uniform sample of
    ``max_rows`` (it keeps the pseudo-label mix and bounds the cost)."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=max_rows, replace=False))


def self_train(x: np.ndarray, seed_proba: np.ndarray, anchors: np.ndarray, anchor_labels: np.ndarray,
               anchor_weight: float, c: float, max_rows: int, random_state: int | None,
               confidence_weighted: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One round of self-training over the corpus being analysed.

    Each corpus sentence takes its most probable class (a touchpoint or none) as a
    pseudo-label; one-vs-rest logistic regressions are fitted on these plus the
    ``anchors`` (taxonomy prototypes and labeled sentences, up-weighted). Why: the
    prototypes alone know only a description; the corpus shows how customers actually
    phrase each touchpoint. One-vs-rest, unlike the softmax, lets a sentence carry two
    touchpoints with high probability (multi-label). Measured +3 (zero-shot) to
    +7 (20-shot) micro-F1 points on SemEval-2014 restaurants.

    With ``confidence_weighted`` a pseudo-label counts as much as the seed probability
    of its class, so the sentences the seed is unsure about pull the boundary less.
    The stage uses it when labels exist (few-shot): chosen on SemEval-2014 *train* and
    checked on two other tasks (airline complaint reasons, Banking77 in 8 groups), it
    raised 5- and 20-shot micro-F1 on all three (+0.2 to +0.6 points, 10 paired seeds,
    9-10 of 10 seeds better at 5-shot) without lowering macro-F1. Not in zero-shot
    mode: there the seed is the prototype softmax alone, its least confident
    pseudo-labels are the small touchpoints', and weighting them down lowered SemEval
    test zero-shot macro-F1 (0.618 -> 0.598) and the airline recall of the small
    default touchpoints. Harder selection (keeping only the most confident
    pseudo-labels, or more rounds) drifted. See ``few_shot_study`` in
    benchmarks/results/touchpoints.json.
    Returns (coef (k, d), intercept (k,)).
    """
    from sklearn.linear_model import LogisticRegression

    k = anchor_labels.shape[1]
    rows = sample_rows(len(x), max_rows, random_state)
    pseudo = seed_proba[rows].argmax(axis=1)
    y = np.vstack([np.eye(k + 1, dtype=bool)[pseudo][:, :k], anchor_labels])
    xs = np.vstack([x[rows], anchors])
    conf = seed_proba[rows].max(axis=1) if confidence_weighted else np.ones(len(rows))
    w = np.r_[conf, np.full(len(anchors), anchor_weight)]
    coef = np.zeros((k, x.shape[1]), dtype=np.float32)
    intercept = np.zeros(k, dtype=np.float32)
    for j in range(k):
        if y[:, j].all() or not y[:, j].any():
            intercept[j] = 10.0 if y[:, j].all() else -10.0
            continue
        clf = LogisticRegression(C=c, max_iter=1000, random_state=random_state).fit(xs, y[:, j], sample_weight=w)
        coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept


def ovr_proba(x: np.ndarray, coef: np.ndarray, intercept: np.ndarray, hits: np.ndarray,
              keyword_logit: float) -> np.ndarray:
    """(n, k+1) independent touchpoint probabilities; the last column is 1 - max."""
    logits = (x @ coef.T + intercept + keyword_logit * hits).astype(np.float64)
    p = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
    return np.hstack([p, 1.0 - p.max(axis=1, keepdims=True)])
