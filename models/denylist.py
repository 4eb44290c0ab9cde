"""The benchmark deny-list check (../shared/benchmark_denylist/README.md), for every
training script: a model that has seen an evaluation text is measured wrong."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmark_denylist"


def _h(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8")).hexdigest()[:12]


def _norm(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class DenyList:
    def __init__(self, directory: str | Path = DEFAULT_DIR) -> None:
        d = Path(directory)
        if not (d / "whole_texts.txt").is_file():
            raise FileNotFoundError(f"benchmark deny-list not found in {d}: training must not run without it")
        self.whole = set((d / "whole_texts.txt").read_text().split())
        self.windows = set((d / "windows8.txt").read_text().split())

    def denied(self, text: str) -> bool:
        words = _norm(text)
        if _h(" ".join(words)) in self.whole:
            return True
        return any(_h(" ".join(words[i:i + 8])) in self.windows for i in range(len(words) - 7))

    def mask(self, texts: Sequence[str]) -> list[bool]:
        """True where a text may be trained on."""
        return [not self.denied(t) for t in texts]
