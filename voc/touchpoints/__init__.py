"""Touchpoint taxonomies, keyword matching and customer-effort rules (helpers of
:mod:`voc.stages.touchpoints`)."""

from voc.touchpoints.effort import effort_kinds, match_effort
from voc.touchpoints.keywords import KeywordMatcher
from voc.touchpoints.mentions import touchpoint_mentions
from voc.touchpoints.taxonomy import (
    NONE,
    STAGES,
    Taxonomy,
    Touchpoint,
    check_taxonomy,
    default_taxonomy_path,
    load_taxonomy,
)

__all__ = [
    "NONE", "STAGES", "KeywordMatcher", "Taxonomy", "Touchpoint", "check_taxonomy", "default_taxonomy_path",
    "effort_kinds", "load_taxonomy", "match_effort", "touchpoint_mentions",
]
