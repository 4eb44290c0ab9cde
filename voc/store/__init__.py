"""The scoring store: new feedback scored against a saved model lands in one embedded
DuckDB file, incrementally and idempotently, for reports and other tools to read.

    >>> import voc
    >>> summary = voc.score("tickets.csv", "results/model", "feedback.duckdb")   # doctest: +SKIP
    >>> summary.new, summary.unchanged                                             # doctest: +SKIP
"""

from voc.store.duckdb import Store
from voc.store.keys import content_hashes, model_fingerprint
from voc.store.read import analysis_from_store, export_store
from voc.store.scoring import DEFAULT_CHUNKSIZE, ScoreSummary, score

__all__ = [
    "DEFAULT_CHUNKSIZE",
    "ScoreSummary",
    "Store",
    "analysis_from_store",
    "content_hashes",
    "export_store",
    "model_fingerprint",
    "score",
]
