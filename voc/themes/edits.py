"""Analyst edits that persist: rename, merge, split, move and hide themes by id.

An edits file is plain YAML, applied in file order to a fitted theme stage
(``configs/theme_edits.example.yaml``)::

    edits:
      - rename: {id: 12, label: parcel arrived damaged}
      - merge: {ids: [14, 15], into: 12}          # 12 keeps its id
      - split: {id: 7, keyword: see-through, label: see-through fabric}
      - move: {id: 9, to: 31}                     # or {id: 9, new_aspect: returns}
      - hide: {id: 21}

How they survive refits: the stage keeps its unedited state (table, assignment arrays,
centroids) beside the edited one, and a refit with a reference matches ids against the
reference's *unedited* themes, then applies the edits again. An edit made on one fit
therefore holds on the next as long as its ids persist; one whose id is gone is skipped
with a warning. Ids an edit creates (a split's issue, a new aspect) come from the edit's
own content (a hash into ``EDIT_IDS``, far above discovered ids), so the same edit gets
the same id in every model.

How transform applies them: merges that come before the file's first split are folded
into ``issue_of_leaf_`` and ``prototype_theme_``; the rest is a short routing program
(merge maps and split rules: issue id, keyword regex, new id) that :func:`route` runs over
the assigned ids in file order. fit's ``labels_`` are routed the same way, so transform
still reproduces fit exactly.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.errors import ThemeEditsError
from voc.themes._editor import EDIT_IDS, Editor, EditReport, derived_id, keyword_pattern, remap, route_ids

__all__ = ["EDIT_IDS", "Edit", "EditReport", "Edits", "apply_edits", "check_edits", "derived_id", "hidden_ids",
           "keyword_pattern", "load_edits", "load_theme_model", "route", "theme_tree"]

log = logging.getLogger("voc")

if TYPE_CHECKING:
    from voc.themes.stage import ThemeStage

EXAMPLE = "configs/theme_edits.example.yaml"
_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # op -> (required, allowed)
    "rename": ({"id", "label"}, {"id", "label"}),
    "merge": ({"ids", "into"}, {"ids", "into"}),
    "split": ({"id", "label"}, {"id", "label", "keyword", "keywords", "aspect"}),
    "move": (set(), {"id", "ids", "to", "new_aspect"}),
    "hide": (set(), {"id", "ids"}),
}
_FORMS = {"rename": "{id: 12, label: new label}", "merge": "{ids: [14, 15], into: 12}",
          "split": "{id: 7, keyword: see-through, label: see-through fabric}",
          "move": "{id: 9, to: 31} or {id: 9, new_aspect: returns}", "hide": "{id: 21} or {ids: [21, 22]}"}


# --- the file ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Edit:
    """One operation. ``ids``: the themes it acts on (merge: the ones merged away);
    ``target``: merge survivor, move's aspect, or split's aspect (None: the source's);
    ``label``: rename's and split's new label, or move's new aspect."""

    op: str
    ids: tuple[int, ...]
    target: int | None = None
    label: str | None = None
    keywords: tuple[str, ...] = ()
    index: int = 0
    line: int | None = None

    @property
    def where(self) -> str:
        return f"edit {self.index}" + (f" (line {self.line})" if self.line else "")

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "ids": list(self.ids), "target": self.target, "label": self.label,
                "keywords": list(self.keywords), "index": self.index, "line": self.line}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Edit":
        return cls(op=d["op"], ids=tuple(int(i) for i in d["ids"]), target=d.get("target"), label=d.get("label"),
                   keywords=tuple(d.get("keywords") or ()), index=int(d.get("index", 0)), line=d.get("line"))


@dataclass(frozen=True)
class Edits:
    """The edits of one file, in file order; ``source`` names the file."""

    items: tuple[Edit, ...] = ()
    source: str | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Edit]:
        return iter(self.items)

    def to_state(self) -> dict[str, Any]:
        return {"source": self.source, "edits": [e.to_dict() for e in self.items]}

    @classmethod
    def from_state(cls, d: dict[str, Any] | None) -> "Edits":
        d = d or {}
        return cls(tuple(Edit.from_dict(e) for e in d.get("edits", [])), d.get("source"))


def load_edits(spec: "str | Path | Sequence[Any] | dict[str, Any] | Edits | None") -> Edits:
    """Read and check an edits file (or take a list of edits, or ``{edits: [...]}``).
    Errors name the file, the edit (number and line) and what to write instead."""
    if spec is None:
        return Edits()
    if isinstance(spec, Edits):
        return spec
    lines: list[int | None] = []
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        src = str(spec)
        if not path.is_file():
            raise ThemeEditsError(f"theme edits file {src!r} does not exist; see {EXAMPLE} for the format")
        data, lines = _read_yaml(path, src)
        from voc._paths import portable

        source: str | None = portable(path)
    else:
        data, src, source = copy.deepcopy(spec), "theme edits", None
    if isinstance(data, dict):
        extra = set(data) - {"edits"}
        if extra:
            raise ThemeEditsError(f"{src}: unknown top-level key(s) {sorted(extra)}; the file holds one key, "
                                  f"'edits:', with a list of edits (see {EXAMPLE})")
        data = data.get("edits")
    if data is None:
        return Edits((), source)
    if not isinstance(data, list):
        raise ThemeEditsError(f"{src}: expected a list of edits under 'edits:' (see {EXAMPLE})")
    items = [_parse(item, i + 1, lines[i] if i < len(lines) else None, src) for i, item in enumerate(data)]
    return Edits(tuple(items), source)


def _read_yaml(path: Path, src: str) -> tuple[Any, list[int | None]]:
    """The data and the line of each edit (from the YAML node marks)."""
    import yaml

    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ThemeEditsError(f"{src}{pos} is not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if getattr(k, "value", None) == "edits"), None)
    items = node.value if isinstance(node, yaml.SequenceNode) else []
    return data, [n.start_mark.line + 1 for n in items]


def _parse(item: Any, index: int, line: int | None, src: str) -> Edit:
    where = f"{src}, edit {index}" + (f" (line {line})" if line else "")

    def fail(msg: str) -> ThemeEditsError:
        return ThemeEditsError(f"{where}: {msg}")

    if not isinstance(item, dict) or len(item) != 1:
        raise fail(f"each edit is one operation, e.g. '- rename: {_FORMS['rename']}'; operations: "
                   f"{', '.join(_FIELDS)}")
    (op, args), = item.items()
    if op not in _FIELDS:
        raise fail(f"unknown operation {op!r}; use one of {', '.join(_FIELDS)} (e.g. '- rename: {_FORMS['rename']}')")
    if not isinstance(args, dict):
        raise fail(f"{op} takes fields, e.g. '- {op}: {_FORMS[op]}'")
    required, allowed = _FIELDS[op]
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise fail(f"{op} has unknown field(s) {unknown}; fields: {', '.join(sorted(allowed))} "
                   f"(e.g. '- {op}: {_FORMS[op]}')")
    missing = sorted(required - set(args))
    if missing:
        raise fail(f"{op} needs {', '.join(missing)} (e.g. '- {op}: {_FORMS[op]}')")

    def as_id(v: Any, key: str) -> int:
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and re.fullmatch(r"-?\d+", v))):
            raise fail(f"{op}: {key} must be a theme id (a whole number), got {v!r}")
        return int(v)

    def one_id(key: str) -> int:
        return as_id(args[key], key)

    def id_list() -> tuple[int, ...]:
        if ("id" in args) == ("ids" in args):
            raise fail(f"{op} needs either id or ids (e.g. '- {op}: {_FORMS[op]}')")
        if "id" in args:
            return (one_id("id"),)
        v = args["ids"]
        if not isinstance(v, list) or not v:
            raise fail(f"{op}: ids must be a non-empty list of theme ids, e.g. [14, 15]")
        return tuple(as_id(x, "ids") for x in v)

    def text(key: str) -> str:
        v = args[key]
        if not isinstance(v, (str, int, float)) or isinstance(v, bool) or not str(v).strip():
            raise fail(f"{op}: {key} must be a non-empty text")
        return " ".join(str(v).split())

    mk: dict[str, Any] = {"op": op, "index": index, "line": line}
    if op == "rename":
        return Edit(ids=(one_id("id"),), label=text("label"), **mk)
    if op == "merge":
        ids = id_list()
        into = one_id("into")
        if into in ids:
            raise fail(f"merge: {into} is both merged away (ids) and the survivor (into); list it under into only")
        if len(set(ids)) != len(ids):
            raise fail("merge: an id is listed twice in ids")
        return Edit(ids=ids, target=into, **mk)
    if op == "split":
        if ("keyword" in args) == ("keywords" in args):
            raise fail("split needs a keyword (or keywords: a list) whose sentences become the new issue")
        raw = args.get("keyword", args.get("keywords"))
        raw = raw if isinstance(raw, list) else [raw]
        kws = tuple(" ".join(str(k).split()) for k in raw if k is not None and not isinstance(k, (dict, list)))
        if not raw or len(kws) != len(raw) or any(not k for k in kws):
            raise fail("split: the keyword is empty; give the word or phrase whose sentences become the new issue, "
                       "e.g. keyword: see-through")
        return Edit(ids=(one_id("id"),), label=text("label"), keywords=kws,
                    target=one_id("aspect") if "aspect" in args else None, **mk)
    if op == "move":
        ids = id_list()
        if ("to" in args) == ("new_aspect" in args):
            raise fail("move needs either to (an aspect id) or new_aspect (the label of a new aspect)")
        if "to" in args:
            return Edit(ids=ids, target=one_id("to"), **mk)
        return Edit(ids=ids, label=text("new_aspect"), **mk)
    return Edit(ids=id_list(), **mk)


def apply_edits(stage: "ThemeStage", edits: Any, texts: Sequence[str] | None = None, *, strict: bool = True,
                fresh: bool = False) -> EditReport:
    """Apply ``edits`` (an :class:`Edits`, a path, or a list) to a fitted theme stage,
    replacing any edits it had: the stage starts from its unedited state.

    ``texts`` are the fitting sentences (fit passes them): sizes and examples are then
    recounted and ``labels_`` routed. ``strict=False`` (a refit) turns an id that is not
    in the model into a warning and skips the edit; every other problem raises
    :class:`~voc.errors.ThemeEditsError`. ``fresh=True``: the stage's current state is
    unedited (just fitted)."""
    stage.check_fitted("themes_")
    edits = load_edits(edits)
    if fresh or getattr(stage, "unedited_", None) is None:
        base = {"themes": stage.themes_.drop(columns=["hidden"], errors="ignore"),
                "issue_of_leaf": stage.issue_of_leaf_, "prototype_theme": stage.prototype_theme_,
                "centroids": stage.centroids_, "labels": getattr(stage, "labels_", None) if fresh else None}
    else:
        base = stage.unedited_
    if not len(edits):  # nothing to do: the unedited state, every theme shown
        stage.themes_ = base["themes"].assign(hidden=False)
        stage.centroids_, stage.labels_ = base["centroids"], (base["labels"] if base["labels"] is not None
                                                               else getattr(stage, "labels_", None))
        stage.issue_of_leaf_, stage.prototype_theme_ = base["issue_of_leaf"], base["prototype_theme"]
        stage.edit_steps_, stage.edits_, stage.unedited_, stage.edit_info_ = [], edits, None, {}
        return EditReport()
    ed = Editor(base, edits.source or "theme edits", strict, stage.n_examples, texts)
    for e in edits:
        ed.apply(e)
    ed.finish()
    stage.themes_ = ed.table()
    stage.centroids_ = np.stack([ed.cent[int(i)] for i in stage.themes_["theme_id"]]).astype(np.float32) \
        if len(stage.themes_) else base["centroids"][:0]
    stage.issue_of_leaf_ = remap(base["issue_of_leaf"], ed.prefix)
    stage.prototype_theme_ = remap(base["prototype_theme"], ed.prefix)
    stage.edit_steps_ = ed.steps
    stage.edits_ = edits
    stage.unedited_ = base
    if ed.labels is not None:
        stage.labels_ = ed.labels
    elif base["labels"] is not None:  # edited again without the fitting texts: fit's assignment is unknown
        stage.labels_ = None
    report = ed.report
    stage.edit_info_ = {"source": edits.source, "n_edits": len(edits), **report.to_dict(),
                        "hidden": sorted(ed.hidden)}
    return report


def fit_edits(stage: "ThemeStage", texts: Sequence[str], reference: "ThemeStage | None" = None) -> None:
    """The end of ``fit``: apply the stage's ``edits``, or, when it has none, the edits
    of the reference it was refitted against, so that analyst edits carry over. On a
    refit an edit whose id is gone is a warning (logged, and in ``fit_info_``)."""
    spec: Any = stage.edits
    if spec is None and reference is not None and len(getattr(reference, "edits_", ())):
        spec = reference.edits_
        log.info("themes: %d edit(s) carried over from the previous model", len(spec))
    report = apply_edits(stage, spec, texts, strict=reference is None, fresh=True)
    if stage.edit_info_:
        stage.fit_info_["edits"] = stage.edit_info_
    for w in report.warnings:
        log.warning("themes: %s", w)


def unedited(stage: "ThemeStage") -> "ThemeStage":
    """The stage as fitted, before edits (what a refit matches its ids against)."""
    base = getattr(stage, "unedited_", None)
    if base is None:
        return stage
    view = copy.copy(stage)
    view.themes_, view.centroids_ = base["themes"], base["centroids"]
    view.issue_of_leaf_, view.prototype_theme_ = base["issue_of_leaf"], base["prototype_theme"]
    return view


def route(stage: "ThemeStage", ids: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """Run the stage's routing program (see the module docstring) over assigned ids."""
    return route_ids(ids, texts, getattr(stage, "edit_steps_", None) or [])


def hidden_ids(stage: "ThemeStage") -> list[int]:
    t = stage.themes_
    return sorted(int(i) for i in t.loc[t["hidden"].astype(bool), "theme_id"]) if "hidden" in t.columns else []


# --- saved state --------------------------------------------------------------------------
_ARRAYS = ("issue_of_leaf", "prototype_theme", "centroids")


def save_state(stage: "ThemeStage", path: Path) -> None:
    """``edits.json`` (the edits, the routing program, what they did) and, when there are
    edits, the unedited table and arrays a refit matches ids against."""
    steps = [{**s, "map": [[int(k), int(v)] for k, v in s["map"].items()]} if s["op"] == "map" else s
             for s in getattr(stage, "edit_steps_", [])]
    edits = getattr(stage, "edits_", None) or Edits()
    state = {"format": 1, **edits.to_state(), "steps": steps, "hidden": hidden_ids(stage),
             "info": getattr(stage, "edit_info_", {})}
    (path / "edits.json").write_text(json.dumps(state, indent=2, default=str), encoding="utf-8")
    base = getattr(stage, "unedited_", None)
    if base is not None:
        base["themes"].to_parquet(path / "unedited_themes.parquet", index=False)
        for name in _ARRAYS:
            np.save(path / f"unedited_{name}.npy", base[name], allow_pickle=False)


def load_state(stage: "ThemeStage", path: Path) -> None:
    """Restore what :func:`save_state` wrote (a model saved before edits existed has none)."""
    p = path / "edits.json"
    state = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}
    stage.edits_ = Edits.from_state(state)
    stage.edit_steps_ = [{**s, "map": {int(k): int(v) for k, v in s["map"]}} if s["op"] == "map" else s
                         for s in state.get("steps", [])]
    stage.edit_info_ = state.get("info", {})
    stage.themes_["hidden"] = stage.themes_["theme_id"].isin(state.get("hidden", []))
    stage.unedited_ = None
    if len(stage.edits_) and (path / "unedited_themes.parquet").is_file():
        t = pd.read_parquet(path / "unedited_themes.parquet")
        for col in ("keywords", "examples"):
            t[col] = [list(v) for v in t[col]]
        stage.unedited_ = {"themes": t, "labels": None,
                           **{n: np.load(path / f"unedited_{n}.npy", allow_pickle=False) for n in _ARRAYS}}


# --- looking at a model ---------------------------------------------------------------------
def load_theme_model(path: str | Path) -> "ThemeStage":
    """The theme stage of an output directory (``DIR/model``), a saved model, or its
    ``themes/`` folder."""
    from voc.errors import ModelLoadError
    from voc.themes.stage import ThemeStage

    p = Path(path)
    for cand in (p / "model" / "themes", p / "themes", p):
        if (cand / "themes.parquet").is_file():
            return ThemeStage().from_disk(cand)
    raise ModelLoadError(f"{str(path)!r} holds no saved themes: pass an output directory of `voc analyze` "
                         "(or its model/ folder)")


def theme_tree(stage: "ThemeStage") -> list[dict[str, Any]]:
    """Aspects (biggest first) with their issues, then issues with no aspect (curated
    themes), then the general and context buckets; each node has ``theme_id``, ``label``,
    ``kind``, ``polarity``, ``sentences`` (in the fitting data), ``hidden`` and ``issues``."""
    stage.check_fitted("themes_")
    t = stage.themes_
    hidden = set(hidden_ids(stage))

    def node(r: Any) -> dict[str, Any]:
        return {"theme_id": int(r.theme_id), "label": str(r.label), "kind": str(r.kind),
                "polarity": str(r.polarity or ""), "sentences": int(r.size), "hidden": int(r.theme_id) in hidden,
                "issues": []}

    by_size = t.sort_values(["size", "theme_id"], ascending=[False, True])
    aspects = {int(r.theme_id): node(r) for r in by_size.itertuples() if r.kind == "aspect"}
    loose = {"theme_id": None, "label": "(no aspect)", "kind": "aspect", "polarity": "", "sentences": 0,
             "hidden": False, "issues": []}
    for r in by_size.itertuples():
        if r.kind == "issue":
            aspects.get(int(r.parent_id), loose)["issues"].append(node(r))
    loose["sentences"] = sum(i["sentences"] for i in loose["issues"])
    buckets = [node(r) for r in t.itertuples() if r.kind not in ("issue", "aspect")]
    return [*aspects.values(), *([loose] if loose["issues"] else []), *buckets]


def check_edits(stage: "ThemeStage", edits: Any) -> EditReport:
    """What ``edits`` would do to ``stage`` (which is left as it is); raises
    :class:`~voc.errors.ThemeEditsError` when they are invalid or do not fit it."""
    return apply_edits(copy.deepcopy(stage), load_edits(edits), strict=True)
