"""Helpers of the theme stage (:mod:`voc.stages.themes`): clustering numerics, labels,
hierarchy and stable ids, curated taxonomies."""
