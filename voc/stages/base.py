"""What every pipeline stage is: a fit/transform object over a :class:`Corpus` that
declares the columns it needs and adds, so the Analyzer can check a chain before
running it (after spaCy's ``requires``/``assigns``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from voc.errors import NotFittedError


@dataclass
class Corpus:
    """The data a pipeline passes from stage to stage.

    ``docs`` has one row per accepted input row (column ``doc_id``); ``sentences`` one
    row per sentence or clause (``doc_id``, ``sentence_id``, ``text``); ``embeddings``
    is aligned row for row with ``sentences``, and so is each array in ``features``
    (outputs of heads run inside the embedding pass); each array in ``doc_features`` is
    aligned row for row with ``docs`` (heads run on whole documents, NaN where a
    document was not run). ``tables`` holds aggregate outputs
    (drivers, priorities, trends...) keyed by name; ``meta`` collects counts and
    warnings that end up in run.json.
    """

    docs: pd.DataFrame
    sentences: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["doc_id", "sentence_id", "text"]))
    embeddings: np.ndarray | None = None
    features: dict[str, np.ndarray] = field(default_factory=dict)
    doc_features: dict[str, np.ndarray] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def has(self, column: str) -> bool:
        """``column`` is ``"docs.X"``, ``"sentences.X"`` or ``"embeddings"``."""
        if column == "embeddings":
            return self.embeddings is not None
        if column.startswith("tables."):
            return column.partition(".")[2] in self.tables
        table, _, name = column.partition(".")
        frame = self.docs if table == "docs" else self.sentences
        return name in frame.columns


class Stage:
    """Base class of pipeline stages.

    Subclasses set ``name``, ``requires`` and ``assigns`` and implement ``transform``;
    stages that learn something implement ``fit`` (setting attributes ending in ``_``),
    ``get_state``/``set_state`` for the saved model. ``__init__`` only stores arguments.
    """

    name: ClassVar[str] = "stage"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ()
    learns: ClassVar[bool] = False

    def fit(self, corpus: Corpus) -> "Stage":
        return self

    def transform(self, corpus: Corpus) -> Corpus:
        raise NotImplementedError

    def fit_transform(self, corpus: Corpus) -> Corpus:
        return self.fit(corpus).transform(corpus)

    # --- persistence: plain files in one folder per stage, no pickles -----------------
    def to_disk(self, path: Path) -> None:
        """Write what ``fit`` learned into ``path`` (a folder of this stage's own)."""
        path.mkdir(parents=True, exist_ok=True)
        (path / "params.json").write_text(json.dumps(self.get_params(), indent=2, default=str), encoding="utf-8")

    def from_disk(self, path: Path) -> "Stage":
        return self

    def get_params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")}

    def set_encoder_runtime(self, model: str | None = None, cache_dir: str | None = None,
                            backend: str = "onnx") -> "Stage":
        """The embed stage's model, cache directory and back-end, for stages that encode a
        few texts of their own (taxonomy, curated themes) with :func:`voc.encoder.text_encoder`:
        their vectors must come from the encoder that embedded the sentences. The Analyzer
        sets them; the cache directory and back-end are how this machine runs, not what
        the model learned, so none of them is in ``get_params`` or the saved model (a
        stage's own ``encoder`` parameter, when set, still wins for the model)."""
        from voc.encoder import DEFAULT_MODEL

        self._encoder_runtime = {"model": model or DEFAULT_MODEL, "cache_dir": cache_dir, "backend": backend}
        return self

    @property
    def encoder_runtime(self) -> dict[str, Any]:
        if getattr(self, "_encoder_runtime", None) is None:
            self.set_encoder_runtime()
        return dict(self._encoder_runtime)

    def check_fitted(self, attribute: str) -> None:
        if getattr(self, attribute, None) is None:
            raise NotFittedError(f"stage {self.name!r} is not fitted yet: call fit() or load a saved model first")
