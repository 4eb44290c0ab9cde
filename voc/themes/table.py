"""The theme table of a fitted stage: sizes, centroids, polarity, labels, keywords and
examples from the final assignment, and which near-duplicate issues to merge.

Kept apart from the stage's assignment rule (:mod:`voc.themes.stage`): this is where the
parse of representative sentences turns into aspect and issue labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from voc.themes import cluster, issues, kinds
from voc.themes import labels as lab
from voc.themes.curated import CuratedTheme

if TYPE_CHECKING:
    from voc.themes.stage import ThemeStage

BUCKET_LABELS = {-2: "general sentiment", -3: "context"}
COLUMNS = ["theme_id", "label", "kind", "polarity", "keywords", "size", "examples", "parent_id", "curated", "level",
           "label_support"]


def build_table(stage: "ThemeStage", x: np.ndarray, texts: list[str], theme_ids: np.ndarray,
                cur: list[CuratedTheme], side: np.ndarray, proba: np.ndarray | None = None) -> dict[int, int]:
    """Sizes, centroids, polarity, labels, keywords and examples from the final
    assignment (``proba``: sentiment per sentence, to show the examples that say the
    issue most plainly); returns the near-duplicate issues to merge (id → id it joins)."""
    t = stage.themes_
    k = len(t)
    ids = t["theme_id"].to_numpy()
    members = [np.flatnonzero(theme_ids == i) for i in ids]
    is_aspect = (t["kind"] == "aspect").to_numpy()
    for r in np.flatnonzero(is_aspect):  # an aspect holds its issues' sentences
        kids = np.flatnonzero((t["parent_id"] == ids[r]).to_numpy())
        members[r] = np.sort(np.concatenate([members[j] for j in kids])) if kids.size else members[r]
    t["size"] = [m.size for m in members]
    cents = np.zeros((k, x.shape[1]), np.float32)
    for r, m in enumerate(members):
        if m.size:
            cents[r] = cluster.normalize(x[m].mean(axis=0, keepdims=True))[0]
    for r in range(len(cur)):
        if not members[r].size:
            cents[r] = cluster.centroids_of(stage.prototypes_, stage.prototype_theme_, len(cur))[0][r]
        sides = np.bincount(side[members[r]], minlength=3)
        t.at[r, "polarity"] = issues.SIDES[int(np.argmax(sides))] if members[r].size else "neutral"
    stage.centroids_ = cents
    # representatives: spaCy parsing is the cost of labelling (~550 sentences/s), so at
    # most ``label_budget`` sentences in all, never fewer than 15 per issue
    issue_rows = [r for r in range(k) if t.at[r, "kind"] == "issue"]
    per_theme = max(15, min(stage.label_sentences, stage.label_budget // max(1, len(issue_rows) + 2)))
    reps: dict[int, np.ndarray] = {}
    for r in issue_rows + [r for r in range(k) if t.at[r, "kind"] in (kinds.GENERAL, kinds.CONTEXT)]:
        m = members[r]
        rr = lab.representatives(x[m], cents[r], [texts[i] for i in m], per_theme) if m.size else []
        reps[r] = m[rr] if len(rr) else np.zeros(0, np.int64)
    flat = sorted({int(i) for r in issue_rows for i in reps[r]})
    if not hasattr(stage, "_parse_cache"):
        stage._parse_cache: dict[str, Any] = {}
    parsed, display = issues.parse([texts[i] for i in flat], stage._parse_cache)
    pos = {i: j for j, i in enumerate(flat)}
    rep_pos = {r: [pos[int(i)] for i in reps[r]] for r in issue_rows}
    term_rank = lab.ctfidf([[parsed.terms[j] for j in rep_pos[r]] for r in issue_rows])
    op_rank = lab.ctfidf([[parsed.phrases[j].opinions for j in rep_pos[r]] for r in issue_rows])
    noun_rank = lab.ctfidf([[parsed.phrases[j].aspects for j in rep_pos[r]] for r in issue_rows])
    by_row = {r: j for j, r in enumerate(issue_rows)}

    chooser = issues.LabelChooser(taken=[c_.name for c_ in cur] + list(BUCKET_LABELS.values()))
    aspect_rows = sorted(np.flatnonzero(is_aspect).tolist(), key=lambda r: (-t.at[r, "size"], r))
    noun_sets = [[parsed.phrases[j].aspects for kid in np.flatnonzero((t["parent_id"] == ids[r]).to_numpy())
                  for j in rep_pos.get(int(kid), [])] for r in aspect_rows]
    preferred = [getattr(stage, "_aspect_noun", {}).get(int(ids[r])) for r in aspect_rows]
    for r, label in zip(aspect_rows, issues.aspect_labels(noun_sets, display, chooser, preferred)):
        t.at[r, "label"] = label
    label_of = dict(zip(ids, t["label"]))
    for r in range(len(cur)):
        t.at[r, "label"] = cur[r].name
    keys: dict[int, str | None] = {}
    todo = sorted((r for r in issue_rows if not t.at[r, "curated"]), key=lambda r: (-t.at[r, "size"], r))
    plans = {}
    for r in todo:
        j = by_row[r]
        qs = float(np.mean([texts[i].rstrip().endswith("?") for i in reps[r]])) if len(reps[r]) else 0.0
        share: dict[str, float] = {}
        for jj in rep_pos[r]:
            for key_ in parsed.phrases[jj].opinions | parsed.phrases[jj].aspects:
                share[key_] = share.get(key_, 0.0) + 1.0 / max(1, len(rep_pos[r]))
        side = str(t.at[r, "polarity"])
        plans[r] = (*issues.issue_candidates(op_rank[j], noun_rank[j], share, side), side, qs)
    # every candidate label is linted in one spaCy pass (one pass per issue was a fifth of labelling)
    chooser.prime([c for op, nn, spare, side, qs in plans.values()
                   for c in issues.label_strings(op, nn, side, qs, display, spare)], "issue")
    for r in todo:
        op, nn, spare, side, qs = plans[r]
        label, keys[r] = issues.issue_label(op, nn, side, label_of.get(t.at[r, "parent_id"], "other"), display,
                                            chooser, qs, spare)
        t.at[r, "label"] = label
    named = issues.drop_lone_other({r: t.at[r, "label"] for r in todo}, {r: t.at[r, "parent_id"] for r in todo},
                                   {r: plans[r][3] for r in todo}, chooser)
    for r, label in named.items():
        t.at[r, "label"] = label
    for r in issue_rows:
        j = by_row[r]
        key = keys.get(r)
        t.at[r, "keywords"] = lab.keywords_of(term_rank[j], display=display)
        t.at[r, "label_support"] = issues.support(key, rep_pos[r], parsed) if key else np.nan
        # examples that show the issue: sentences carrying the label's key first
        show = [i for i, jj in zip(reps[r], rep_pos[r]) if issues.support(key, [jj], parsed) > 0] if key else []
        rest = [i for i in reps[r] if i not in set(show)]
        pol = str(t.at[r, "polarity"])
        if proba is not None and pol in ("negative", "positive"):  # of typical sentences, the plainest first:
            col = 0 if pol == "negative" else 2                      # a pain point's verbatim says the pain
            show, rest = (sorted(g, key=lambda i: -float(np.nan_to_num(proba[i, col]))) for g in (show, rest))
        t.at[r, "examples"] = [texts[i] for i in (show + rest)[:stage.n_examples]]
    for r in aspect_rows:
        kids = sorted(np.flatnonzero((t["parent_id"] == ids[r]).to_numpy()).tolist(),
                      key=lambda j: -t.at[j, "size"])
        lists = [t.at[kid, "examples"] for kid in kids]  # round robin: each issue shows, biggest first
        t.at[r, "examples"] = [ls[i] for i in range(stage.n_examples) for ls in lists if i < len(ls)][:stage.n_examples]
        t.at[r, "keywords"] = list(dict.fromkeys(w for kid in kids for w in t.at[kid, "keywords"][:3]))[:8]
        sizes = np.asarray([t.at[kid, "size"] for kid in kids], float)
        pols = [t.at[kid, "polarity"] for kid in kids]
        share = {p: sizes[[q == p for q in pols]].sum() / max(sizes.sum(), 1) for p in issues.SIDES}
        t.at[r, "polarity"] = next((p for p in issues.SIDES if share[p] >= 0.6), "mixed")
    for r in range(k):
        if t.at[r, "kind"] in (kinds.GENERAL, kinds.CONTEXT):
            t.at[r, "examples"] = [texts[i] for i in reps.get(r, [])[:stage.n_examples]]
    stage.themes_ = t[COLUMNS]
    # near-duplicates: one issue per merge key, the biggest keeps its id and label
    groups: dict[Any, list[int]] = {}
    # (neutral issues are questions and requests: alike words there still ask different things; merging
    # neutral "card questions (n)" cost Banking77 0.824 -> 0.817 V-measure, themes_issues.py at 864f8d5)
    for r in sorted((r for r in issue_rows if not t.at[r, "curated"] and t.at[r, "polarity"] != "neutral"),
                    key=lambda r: (-t.at[r, "size"], r)):
        key_ = issues.merge_key(t.at[r, "label"], int(t.at[r, "parent_id"]), str(t.at[r, "polarity"]))
        groups.setdefault(key_, []).append(int(ids[r]))
    return {i: g[0] for g in groups.values() if len(g) > 1 for i in g[1:]}
