"""The operations of theme edits (:mod:`voc.themes.edits`), applied one by one to a
copy of a theme stage's unedited table: the checks that name what is wrong, the table
rows each operation changes, and the routing program transform runs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.errors import ThemeEditsError

if TYPE_CHECKING:
    from voc.themes.edits import Edit

#: where ids created by edits live: far above what discovery hands out
EDIT_IDS = (1_000_000, 10_000_000)


def keyword_pattern(keywords: Sequence[str]) -> str:
    """Case-insensitive, whole words: "see-through" matches "See-through!" but not
    "see-throughs"; the words of a phrase may be separated by any whitespace."""
    alts = [r"\s+".join(re.escape(w) for w in k.split()) for k in keywords]
    return r"(?i)(?<!\w)(?:" + "|".join(alts) + r")(?!\w)"


def derived_id(*parts: Any) -> int:
    """A stable id for something an edit creates, from what defines it."""
    lo, hi = EDIT_IDS
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return lo + int(digest[:12], 16) % (hi - lo)


@dataclass
class EditReport:
    """What applying edits did: one line per applied edit, the warnings of skipped
    ones, and the ids edits created (edit → id)."""

    applied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "warnings": self.warnings, "created": self.created}


def route_ids(ids: np.ndarray, texts: Sequence[str], steps: list[dict[str, Any]]) -> np.ndarray:
    """Each step in order: a merge map, or a split moving the sentences of one issue
    whose text matches its pattern to the new issue."""
    out = np.asarray(ids, dtype=np.int64).copy()
    for step in steps:
        if step["op"] == "map":
            out = remap(out, step["map"])
        else:
            idx = np.flatnonzero(out == step["from"])
            rx = re.compile(step["pattern"])
            hit = np.fromiter((bool(rx.search(texts[i])) for i in idx), dtype=bool, count=idx.size)
            out[idx[hit]] = step["to"]
    return out


def remap(a: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    """``a`` with every id in ``mapping`` replaced."""
    a = np.asarray(a, dtype=np.int64)
    if not mapping or not a.size:
        return a.copy()
    u, inv = np.unique(a, return_inverse=True)
    return np.asarray([mapping.get(int(x), int(x)) for x in u], dtype=np.int64)[inv].reshape(a.shape)


class Editor:
    """The edits applied one by one to a copy of the unedited table."""

    def __init__(self, base: dict[str, Any], src: str, strict: bool, n_examples: int,
                 texts: Sequence[str] | None) -> None:
        t = base["themes"]
        self.columns = list(t.columns)
        self.rows: dict[int, dict[str, Any]] = {int(r["theme_id"]): dict(r) for r in t.to_dict("records")}
        for r in self.rows.values():
            r["keywords"], r["examples"] = list(r["keywords"]), list(r["examples"])
        self.cent = {int(i): np.asarray(c, np.float32) for i, c in zip(t["theme_id"], base["centroids"])}
        self.src, self.strict, self.n_examples = src, strict, n_examples
        self.texts = texts
        self.raw_labels = base.get("labels") if texts is not None else None
        self.labels: np.ndarray | None = None
        self.prefix: dict[int, int] = {}
        self.steps: list[dict[str, Any]] = []
        self.hidden: set[int] = set()
        self.merged: dict[int, tuple[int, Edit]] = {}
        self.created: dict[int, Edit] = {}
        self.skipped: dict[int, Edit] = {}
        self.touched: set[int] = set()  # aspects whose issues changed
        self.report = EditReport()

    # --- checks -----------------------------------------------------------------------
    def _fail(self, e: Edit, msg: str) -> ThemeEditsError:
        return ThemeEditsError(f"{self.src}, {e.where}: {e.op}: {msg}")

    def _name(self, i: int) -> str:
        r = self.rows[i]
        return f"{r['kind']} {i} {r['label']!r}"

    def _exists(self, e: Edit, i: int, part: bool = False) -> bool:
        """True if ``i`` is a theme now; False (with a warning) when it is not and the
        run is lenient; raises on ids merged away or (strict) unknown. ``part``: ``i`` is
        one of several ids the edit acts on, and only it is left out."""
        if i in self.rows:
            return True
        if i in self.merged:
            into, by = self.merged[i]
            while into in self.merged:
                into = self.merged[into][0]
            raise self._fail(e, f"id {i} was merged into {into} by {by.where}; refer to {into} instead")
        if i == -1:
            raise self._fail(e, "id -1 is the unassigned sentences, not a theme")
        if i in self.skipped:
            why = f"id {i} would have been created by {self.skipped[i].where}, which was skipped"
        elif not self.strict:
            why = f"id {i} is not among the refit's themes (run.json stages.themes.changes says what became of it)"
        else:
            ids = sorted(k for k in self.rows if k < EDIT_IDS[0])
            issues = [k for k in ids if self.rows[k]["kind"] == "issue"]
            aspects = [k for k in ids if self.rows[k]["kind"] == "aspect"]
            why = (f"id {i} is not a theme of this model (issues {_span(issues)}, aspects {_span(aspects)}; "
                   "`voc themes DIR` lists them)")
        if self.strict:
            raise self._fail(e, why)
        what = f"{i} left out of it" if part else "skipped"
        self.report.warnings.append(f"{self.src}, {e.where}: {e.op}: {why}; {what}")
        return False

    def _kind(self, e: Edit, i: int, kinds: tuple[str, ...], what: str, role: str = "") -> None:
        kind = self.rows[i]["kind"]
        if kind not in kinds:
            def a(k: str) -> str:
                return ("an " if k[0] in "aeiou" else "a ") + k + (" bucket" if k in ("general", "context") else "")

            raise self._fail(e, f"{role}{self._name(i)} is {a(kind)}, not {' or '.join(map(a, kinds))}: {what}")

    def _label_free(self, e: Edit, label: str, owner: int | None) -> bool:
        clash = [i for i, r in self.rows.items() if i != owner and str(r["label"]).lower() == label.lower()]
        if not clash:
            return True
        msg = f"label {label!r} is already {self._name(clash[0])}'s; pick another label or merge the two"
        if self.strict:
            raise self._fail(e, msg)
        self.report.warnings.append(f"{self.src}, {e.where}: {e.op}: {msg} (applied anyway)")
        return True

    # --- operations -------------------------------------------------------------------
    def apply(self, e: Edit) -> None:
        text = getattr(self, f"_{e.op}")(e)
        if text:
            self.report.applied.append(f"{e.where}: {text}")

    def _rename(self, e: Edit) -> str | None:
        i = e.ids[0]
        if not self._exists(e, i):
            return None
        assert e.label is not None
        self._label_free(e, e.label, i)
        old = self.rows[i]["label"]
        self.rows[i]["label"] = e.label
        if self.rows[i]["kind"] == "issue":
            self.rows[i]["label_support"] = np.nan  # an analyst's label: its support is not measured
        return f"rename {self.rows[i]['kind']} {i} {old!r} -> {e.label!r}"

    def _merge(self, e: Edit) -> str | None:
        into = e.target
        assert into is not None
        if into in self.merged:  # merging into an id merged away: a cycle when the chain leads back
            chain = [into]
            while chain[-1] in self.merged:
                chain.append(self.merged[chain[-1]][0])
            back = next((c for c in chain[1:] if c in e.ids), None)
            if back is not None:
                loop = " -> ".join(str(c) for c in [back, *chain[:chain.index(back) + 1]])
                raise self._fail(e, f"merge cycle {loop}: {self.merged[into][1].where} merged {into} into "
                                    f"{self.merged[into][0]} already; keep one of the two merges")
        if not self._exists(e, into):
            return None
        ids = [i for i in e.ids if self._exists(e, i, part=len(e.ids) > 1)]
        if not ids:
            return None
        kind = self.rows[into]["kind"]
        self._kind(e, into, ("issue", "aspect"), "only issues and aspects merge")
        for i in ids:
            if self.rows[i]["kind"] != kind:
                raise self._fail(e, f"{self._name(i)} cannot merge into {self._name(into)}: merge issues into "
                                    "an issue and aspects into an aspect (move an issue to another aspect with move)")
        names = ", ".join(f"{i} {self.rows[i]['label']!r} ({self.rows[i]['size']} sentences)" for i in ids)
        keep = self.rows[into]
        mixed = kind == "issue" and any(self.rows[i]["polarity"] != keep["polarity"] for i in ids)
        note = f" (polarities differ: it stays {keep['polarity']})" if mixed else ""
        for i in ids:
            r = self.rows.pop(i)
            w = np.asarray([max(keep["size"], 1), max(r["size"], 1)], np.float32)
            c = w[0] * self.cent[into] + w[1] * self.cent.pop(i)
            self.cent[into] = c / max(float(np.linalg.norm(c)), 1e-12)
            keep["size"] = int(keep["size"]) + int(r["size"])
            keep["keywords"] = list(dict.fromkeys(keep["keywords"] + r["keywords"]))[:max(len(keep["keywords"]), 8)]
            keep["examples"] = _round_robin([keep["examples"], r["examples"]], self.n_examples)
            self.merged[i] = (into, e)
            self.hidden.discard(i)
            if kind == "aspect":
                for k in self.rows.values():
                    if k["parent_id"] == i:
                        k["parent_id"] = into
            else:
                self.touched.add(int(r["parent_id"]))
        if kind == "aspect":
            self.touched.add(into)
        else:
            self.touched.add(int(keep["parent_id"]))
            self._add_map({i: into for i in ids})
        return f"merge {kind}s {names} into {into} {keep['label']!r}{note}"

    def _add_map(self, m: dict[int, int]) -> None:
        if not any(s["op"] == "split" for s in self.steps):
            target = self.prefix
        else:
            if not self.steps or self.steps[-1]["op"] != "map":
                self.steps.append({"op": "map", "map": {}})
            target = self.steps[-1]["map"]
        for k, v in list(target.items()):  # compose: what merged into a merged id follows it
            target[k] = m.get(v, v)
        target.update(m)

    def _split(self, e: Edit) -> str | None:
        src = e.ids[0]
        new = derived_id("split", src, "|".join(sorted(k.lower() for k in e.keywords)))
        if not self._exists(e, src):
            self.skipped[new] = e
            return None
        self._kind(e, src, ("issue",), "only an issue splits (its sentences with the keyword become a new issue)")
        parent = int(self.rows[src]["parent_id"])
        if e.target is not None:
            if not self._exists(e, e.target):
                self.skipped[new] = e
                return None
            self._kind(e, e.target, ("aspect",), "give the aspect the new issue goes under", "aspect: ")
            parent = e.target
        while new in self.rows or new in self.merged:  # another edit's id: probe on
            new += 1
        assert e.label is not None
        self._label_free(e, e.label, None)
        pattern = keyword_pattern(e.keywords)
        rx = re.compile(pattern)
        s = self.rows[src]
        shown = [x for x in s["examples"] if rx.search(x)]
        self.rows[new] = {**s, "theme_id": new, "label": e.label, "size": 0, "parent_id": parent, "curated": False,
                          "keywords": list(dict.fromkeys([*e.keywords, *s["keywords"]]))[:len(s["keywords"]) or 8],
                          "examples": shown, "label_support": 1.0}
        s["examples"] = [x for x in s["examples"] if not rx.search(x)]
        self.cent[new] = self.cent[src].copy()
        self.steps.append({"op": "split", "from": src, "pattern": pattern, "to": new})
        self.created[new] = e
        self.report.created[e.where] = new
        self.touched.update({parent, int(s["parent_id"])})
        kw = " / ".join(repr(k) for k in e.keywords)
        under = f" under aspect {parent} {self.rows[parent]['label']!r}" if parent in self.rows else ""
        return (f"split issue {src} {s['label']!r} by {kw} -> new issue {new} {e.label!r}{under} "
                f"({len(shown)} of its stored examples match)")

    def _move(self, e: Edit) -> str | None:
        for i in e.ids:
            if i in self.rows:
                self._kind(e, i, ("issue",), "only issues move (to regroup aspects, merge them)")
        if e.target is not None:
            if not self._exists(e, e.target):
                return None
            self._kind(e, e.target, ("aspect",), "move issues to an aspect id, or to new_aspect: LABEL", "to: ")
            to = e.target
        else:
            assert e.label is not None
            to = derived_id("aspect", e.label.lower())
            if to not in self.rows:
                self._label_free(e, e.label, None)
                self.rows[to] = {c: None for c in self.columns} | {
                    "theme_id": to, "label": e.label, "kind": "aspect", "polarity": "mixed", "keywords": [],
                    "size": 0, "examples": [], "parent_id": -1, "curated": False, "level": 1,
                    "label_support": np.nan}
                self.cent[to] = np.zeros_like(next(iter(self.cent.values())))
                self.created[to] = e
                self.report.created[e.where] = to
        moved = []
        for i in e.ids:
            if not self._exists(e, i, part=len(e.ids) > 1):
                continue
            self.touched.update({int(self.rows[i]["parent_id"]), to})
            moved.append(f"{i} {self.rows[i]['label']!r}")
            self.rows[i]["parent_id"] = to
        if not moved:
            return None
        new = " (new)" if self.created.get(to) is e else ""
        return f"move issue{'s' if len(moved) > 1 else ''} {', '.join(moved)} to aspect {to} " \
               f"{self.rows[to]['label']!r}{new}"

    def _hide(self, e: Edit) -> str | None:
        done = []
        for i in e.ids:
            if not self._exists(e, i, part=len(e.ids) > 1):
                continue
            self._kind(e, i, ("issue", "aspect"), "the general and context buckets are never ranked, nothing to hide")
            self.hidden.add(i)
            done.append(self._name(i))
        if not done:
            return None
        return f"hide {', '.join(done)} (kept in themes.csv, left out of the report's lists and priorities)"

    # --- the edited state ---------------------------------------------------------------
    def finish(self) -> None:
        if self.raw_labels is not None and self.texts is not None:
            self.labels = route_ids(remap(self.raw_labels, self.prefix), self.texts, self.steps)
            ids, counts = np.unique(self.labels, return_counts=True)
            count = dict(zip(ids.tolist(), counts.tolist()))
            for i, r in self.rows.items():
                if r["kind"] != "aspect":
                    r["size"] = int(count.get(i, 0))
            for new in self.created:
                r = self.rows[new]
                if r["kind"] == "issue":
                    self._fill_examples(new)
                    self._fill_examples(int(self.created[new].ids[0]))
        for a in sorted(i for i in self.touched if i in self.rows):
            self._refresh_aspect(a)
        for i, r in list(self.rows.items()):  # aspects edits left without issues go
            if r["kind"] == "aspect" and i in self.touched and not any(k["parent_id"] == i for k in self.rows.values()):
                del self.rows[i]
                self.cent.pop(i, None)
                self.hidden.discard(i)
                self.report.applied.append(f"aspect {i} {r['label']!r} has no issues left after the edits: removed")
        hidden_aspects = {i for i in self.hidden if self.rows[i]["kind"] == "aspect"}
        self.hidden |= {i for i, r in self.rows.items() if r["parent_id"] in hidden_aspects}

    def _fill_examples(self, i: int) -> None:
        if i not in self.rows or self.labels is None or self.texts is None:
            return
        r = self.rows[i]
        members = [self.texts[j] for j in np.flatnonzero(self.labels == i)]
        keep = [x for x in r["examples"] if x in set(members)]
        r["examples"] = list(dict.fromkeys(keep + members))[:self.n_examples]

    def _refresh_aspect(self, a: int) -> None:
        from voc.themes.issues import SIDES

        r = self.rows[a]
        if r["kind"] != "aspect":
            return
        kids = sorted((k for k in self.rows.values() if k["parent_id"] == a and k["kind"] == "issue"),
                      key=lambda k: -int(k["size"]))
        r["size"] = int(sum(int(k["size"]) for k in kids))
        r["examples"] = _round_robin([k["examples"] for k in kids], self.n_examples)
        r["keywords"] = list(dict.fromkeys(w for k in kids for w in k["keywords"][:3]))[:8]
        total = max(r["size"], 1)
        share = {p: sum(int(k["size"]) for k in kids if k["polarity"] == p) / total for p in SIDES}
        r["polarity"] = next((p for p in SIDES if share[p] >= 0.6), "mixed")
        if kids and self.created.get(a) is not None:
            c = sum(self.cent[int(k["theme_id"])] * max(int(k["size"]), 1) for k in kids)
            self.cent[a] = c / max(float(np.linalg.norm(c)), 1e-12)

    def table(self) -> pd.DataFrame:
        t = pd.DataFrame(list(self.rows.values()), columns=self.columns)
        for c in ("theme_id", "size", "parent_id", "level"):
            t[c] = t[c].astype(np.int64)
        t["curated"] = t["curated"].astype(bool)
        t["label_support"] = t["label_support"].astype(float)
        t["hidden"] = t["theme_id"].isin(sorted(self.hidden))
        return t.reset_index(drop=True)


def _round_robin(lists: Sequence[Sequence[str]], n: int) -> list[str]:
    out = [ls[i] for i in range(n) for ls in lists if i < len(ls)]
    return list(dict.fromkeys(out))[:n]


def _span(ids: list[int]) -> str:
    if not ids:
        return "none"
    return f"{ids[0]}-{ids[-1]}" if len(ids) > 1 else str(ids[0])
