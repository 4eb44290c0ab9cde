"""The theme stage lives with its helpers in :mod:`voc.themes` (one capability, one
place); this name is kept for the stage list and for code that imports it from here."""

from voc.themes.stage import BUCKET_LABELS, CONTEXT_ID, GENERAL_ID, UNASSIGNED, ThemeStage

__all__ = ["BUCKET_LABELS", "CONTEXT_ID", "GENERAL_ID", "UNASSIGNED", "ThemeStage"]
