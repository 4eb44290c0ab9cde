"""Stable theme ids across refits: which of this fit's themes are which of a reference's."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class IdMapping:
    """How this fit's themes relate to a reference model's themes."""

    ids: np.ndarray  # final id per new theme row
    kept: list[tuple[int, int]] = field(default_factory=list)  # (old id, new id), same id
    new: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    merged: dict[int, list[int]] = field(default_factory=dict)  # surviving id -> old ids folded into it
    split: dict[int, list[int]] = field(default_factory=dict)  # old id -> new ids carved out of it

    def report(self) -> dict[str, object]:
        return {"kept": [o for o, _ in self.kept], "new": self.new, "gone": self.gone,
                "merged": {str(k): v for k, v in self.merged.items()},
                "split": {str(k): v for k, v in self.split.items()}}


def match_ids(new_c: np.ndarray, old_c: np.ndarray, old_ids: np.ndarray, next_id: int,
              threshold: float) -> IdMapping:
    """One-to-one centroid matching (Hungarian on cosine); pairs at least ``threshold``
    similar keep the old id, others get fresh ids from ``next_id`` (gone ids are never
    reused, so an id always means one theme)."""
    from scipy.optimize import linear_sum_assignment

    k_new, k_old = new_c.shape[0], old_c.shape[0]
    ids = np.full(k_new, -1, dtype=np.int64)
    m = IdMapping(ids=ids)
    sim = new_c @ old_c.T if k_new and k_old else np.zeros((k_new, k_old))
    if k_new and k_old:
        rows, cols = linear_sum_assignment(-sim)
        for r, c in zip(rows, cols):
            if sim[r, c] >= threshold:
                ids[r] = old_ids[c]
                m.kept.append((int(old_ids[c]), int(old_ids[c])))
    for r in range(k_new):
        if ids[r] < 0:
            ids[r] = next_id
            next_id += 1
            m.new.append(int(ids[r]))
    matched_old = {o for o, _ in m.kept}
    for c in range(k_old):
        if int(old_ids[c]) in matched_old:
            continue
        m.gone.append(int(old_ids[c]))
        if k_new:
            r = int(np.argmax(sim[:, c]))
            if sim[r, c] >= threshold and int(ids[r]) not in m.new:
                m.merged.setdefault(int(ids[r]), []).append(int(old_ids[c]))
    for r in range(k_new):
        if int(ids[r]) in m.new and k_old:
            c = int(np.argmax(sim[r]))
            if sim[r, c] >= threshold:
                m.split.setdefault(int(old_ids[c]), []).append(int(ids[r]))
    return m
