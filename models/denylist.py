"""Kept for the training scripts in models/: the deny-list check lives in
:mod:`voc.denylist` (also a step of ``voc train sentiment --denylist``)."""

from voc.denylist import DEFAULT_DIR, DenyList

__all__ = ["DEFAULT_DIR", "DenyList"]
