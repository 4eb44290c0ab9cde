"""The benchmark deny-list check (``../shared/benchmark_denylist/README.md``), a step of
every training run: a model that has seen an evaluation text is measured wrong.

A text is *denied* when the SHA-1 (first 12 hex digits) of its normalised words is in
``whole_texts.txt`` or the hash of any of its 8-word windows is in ``windows8.txt``;
normalised = lower-cased runs of ``[a-z0-9]`` joined by single spaces.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voc.errors import InputFileNotFound

log = logging.getLogger("voc")

# ../shared/benchmark_denylist beside a source checkout (training scripts' default)
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmark_denylist"

__all__ = ["DEFAULT_DIR", "DenyList", "hash_text", "normalise"]


def hash_text(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8")).hexdigest()[:12]


def normalise(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower())


class DenyList:
    """The two hash sets of a deny-list directory; ``DenyList(dir)`` reads them."""

    def __init__(self, directory: str | Path = DEFAULT_DIR) -> None:
        d = Path(directory)
        if not (d / "whole_texts.txt").is_file() or not (d / "windows8.txt").is_file():
            raise InputFileNotFound(f"benchmark deny-list not found in {d} (whole_texts.txt, windows8.txt): "
                                    "training must not run without it; pass the directory that holds them")
        self.directory = d
        self.whole = set((d / "whole_texts.txt").read_text().split())
        self.windows = set((d / "windows8.txt").read_text().split())

    def denied(self, text: str) -> bool:
        words = normalise(text)
        if hash_text(" ".join(words)) in self.whole:
            return True
        return any(hash_text(" ".join(words[i:i + 8])) in self.windows for i in range(len(words) - 7))

    def mask(self, texts: Sequence[str]) -> list[bool]:
        """True where a text may be trained on."""
        return [not self.denied(t) for t in texts]

    def filter(self, frame: Any, column: str = "text", name: str = "") -> tuple[Any, int]:
        """``frame`` without its denied rows, and how many were dropped."""
        keep = self.mask(frame[column].astype(str).tolist())
        dropped = len(keep) - sum(keep)
        if dropped:
            log.info("deny-list: %d of %d rows of %s dropped", dropped, len(keep), name or "the training data")
        return frame[keep].reset_index(drop=True), dropped
