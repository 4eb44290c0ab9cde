"""VADER as a three-class baseline with the same output as the trained model.

It is the fallback when the shipped model is missing, and the yardstick in the
benchmark. VADER misreads complaint wording ("the delivery was late" has no negative
lexicon word), which is why voc ships a trained model at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from voc.sentiment.model import LABELS, sentiment_score


@lru_cache(maxsize=1)
def vader_lexicon() -> dict[str, float]:
    """VADER's word → valence table (theme labels check that a phrase's tone agrees
    with its issue)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return dict(SentimentIntensityAnalyzer().lexicon)


class LexiconSentiment:
    """VADER compound score mapped to (negative, neutral, positive) probabilities.

    Logits are ``(-k c, k (w - |c|), k c)`` for compound ``c``: the sign of
    P(pos) - P(neg) is the sign of ``c``, the argmax is neutral exactly inside VADER's
    own +-0.05 band when ``w = 0.1``, and ``k`` sets how sure the probabilities are.
    """

    labels: tuple[str, str, str] = LABELS
    is_fallback = True

    def __init__(self, k: float = 6.0, neutral_width: float = 0.1) -> None:
        self.k = k
        self.neutral_width = neutral_width
        self._analyzer = None

    def _vader(self):  # type: ignore[no-untyped-def]
        if self._analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._analyzer = SentimentIntensityAnalyzer()
        return self._analyzer

    def polarity(self, texts: Sequence[str]) -> np.ndarray:
        """VADER's own scores, (n, 4): neg, neu, pos, compound (features for a stacker)."""
        vader = self._vader()
        rows = [vader.polarity_scores(str(t)) for t in texts]
        return np.array([[r["neg"], r["neu"], r["pos"], r["compound"]] for r in rows], dtype=np.float64).reshape(-1, 4)

    def compound(self, texts: Sequence[str]) -> np.ndarray:
        return self.polarity(texts)[:, 3]

    def proba_from_compound(self, c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=np.float64)
        z = self.k * np.stack([-c, self.neutral_width - np.abs(c), c], axis=1)
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(1, keepdims=True)).astype(np.float32)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.proba_from_compound(self.compound(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [LABELS[i] for i in self.predict_proba(texts).argmax(1)]

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return sentiment_score(self.predict_proba(texts))
