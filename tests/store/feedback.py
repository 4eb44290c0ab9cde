"""Short generated feedback for the store and Spark tests (fast to score)."""

from __future__ import annotations

import pandas as pd


def short_feedback(n: int, seed: int = 7, max_words: int = 8) -> pd.DataFrame:
    """make_feedback with one short sentence per document, so scoring stays fast."""
    from voc.datasets import make_feedback

    f = make_feedback(n=n, random_state=seed)
    first = f["text"].str.split(r"(?<=[.!?])\s", regex=True).str[0]
    f["text"] = first.str.split().str[:max_words].str.join(" ")
    return f
