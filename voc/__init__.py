"""voc: Voice of the Customer text analytics.

Feedback in (reviews, social posts, tickets, survey answers with NPS/CSAT/CES),
prioritised themes out: sentiment per clause, themes, journey touchpoints, and which
themes drive the scores.

    >>> import voc
    >>> frame = voc.datasets.make_feedback(n=500)
    >>> analyzer = voc.Analyzer(mapping=voc.ColumnMapping(text="text", scores=[voc.ScoreSpec("nps", "nps")]))
    >>> analysis = analyzer.fit_transform(frame)            # doctest: +SKIP
    >>> analysis.priorities.head()                          # doctest: +SKIP
"""

from voc import _offline  # noqa: F401  (must run before any model library is imported)
from voc import datasets, errors
from voc.errors import VocError
from voc.evaluate import evaluate
from voc.io import IngestResult, frame_to_feedback, iter_feedback, read_feedback
from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.pipeline import Analysis, Analyzer, load
from voc.store import Store, score

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "Analyzer",
    "ColumnMapping",
    "IngestResult",
    "ScoreSpec",
    "VocError",
    "datasets",
    "errors",
    "evaluate",
    "frame_to_feedback",
    "iter_feedback",
    "load",
    "read_feedback",
    "__version__",
    "Store",
    "score",
]
