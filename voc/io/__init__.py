"""Reading feedback: formats, encodings, column roles, and rejects for every bad row."""

from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.io.readers import iter_feedback, read_feedback
from voc.io.validate import REJECT_COLUMNS, IngestResult, frame_to_feedback, validate

__all__ = [
    "REJECT_COLUMNS",
    "ColumnMapping",
    "IngestResult",
    "ScoreSpec",
    "frame_to_feedback",
    "iter_feedback",
    "read_feedback",
    "validate",
]
