"""Report fixtures: variants of the session's analyzed sample (no scores, one channel,
many documents) built by rerunning only the cheap drivers stage, and tiny real runs."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest


def rerun_drivers(analysis, docs: pd.DataFrame, sentences: pd.DataFrame, scores: list, segments: list[str]):
    """A new Analysis over ``docs``/``sentences`` whose drivers, priorities and trends are
    recomputed (no model runs), with run.json's mapping matching ``scores``."""
    from voc.stages.base import Corpus
    from voc.stages.drivers import DriversStage

    corpus = Corpus(docs=docs.reset_index(drop=True).copy(), sentences=sentences.reset_index(drop=True).copy())
    corpus.meta["segments"] = segments
    corpus = DriversStage(scores=scores, n_boot=50).transform(corpus)
    run = dict(analysis.run)
    mapping = dict(run.get("mapping") or {})
    mapping["scores"] = [{"column": s.column, "kind": s.kind, "low": s.low, "high": s.high,
                          "higher_is_better": s.higher_is_better, "name": s.name} for s in scores]
    mapping["segments"] = segments
    run["mapping"] = mapping
    run["stages"] = {**run.get("stages", {}), "drivers": corpus.meta["drivers"]}
    run["counts"] = {**run.get("counts", {}), "documents": len(docs), "sentences": len(sentences)}
    return dataclasses.replace(analysis, documents=corpus.docs, sentences=corpus.sentences,
                               tables=dict(corpus.tables), run=run)


@pytest.fixture(scope="session")
def sample(fitted):
    return fitted[1]


@pytest.fixture(scope="session")
def no_scores(sample):
    docs = sample.documents.drop(columns=["nps", "stars", "csat"])
    return rerun_drivers(sample, docs, sample.sentences, [], ["segment"])


@pytest.fixture(scope="session")
def one_channel(sample):
    from voc.io.mapping import ScoreSpec

    docs = sample.documents.assign(channel="email")
    return rerun_drivers(sample, docs, sample.sentences, [ScoreSpec("nps", "nps")], [])
