"""Themes: the stage (:mod:`voc.themes.stage`) and its helpers: clustering numerics, labels,
hierarchy and stable ids, curated taxonomies."""
