"""The lexical view of the touchpoint tagger: one-vs-rest logistic regressions over the
corpus's own words (tf-idf), trained on the embedding head's decisions.

Why a second view: a mean-pooled sentence embedding is dominated by the sentence's main
subject, so a secondary touchpoint ("great pasta, a bit overpriced") is diluted away. A
linear model over words adds each word's evidence independently, so once the corpus has
taught it that "overpriced" goes with price, the word counts wherever it appears. The
embedding head supplies the labels (co-training), the taxonomy texts and labeled
sentences anchor them, and the stage averages the two views' probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Words, single characters included ("$", "5" in "5 stars" are evidence).
TOKEN_PATTERN = r"(?u)\b\w+\b|[$€£¥]"
MIN_DF = 2                 # a word seen once in the corpus teaches nothing
MAX_FEATURES = 50_000      # bounds the saved model on very large corpora


class LexicalView:
    """tf-idf + one logistic regression per touchpoint; ``decision_function`` gives logits."""

    def __init__(self, c: float = 1.0, random_state: int | None = 0) -> None:
        self.c = c
        self.random_state = random_state
        self.vocabulary_: dict[str, int] = {}
        self.idf_ = np.zeros(0)
        self.coef_ = np.zeros((0, 0), dtype=np.float32)
        self.intercept_ = np.zeros(0, dtype=np.float32)

    def _vectorizer(self, fitted: bool):  # type: ignore[no-untyped-def]
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not fitted:
            return TfidfVectorizer(token_pattern=TOKEN_PATTERN, sublinear_tf=True, min_df=MIN_DF,
                                   max_features=MAX_FEATURES, dtype=np.float32)
        vec = TfidfVectorizer(token_pattern=TOKEN_PATTERN, sublinear_tf=True, vocabulary=self.vocabulary_,
                              dtype=np.float32)
        vec.idf_ = self.idf_
        return vec

    def fit(self, texts: Sequence[str], targets: np.ndarray, anchor_texts: Sequence[str],
            anchor_targets: np.ndarray, anchor_weight: float) -> "LexicalView | None":
        """Fit on corpus ``texts`` with (n, k) boolean ``targets`` plus up-weighted anchors.
        Returns None when the corpus has no word seen twice (nothing to learn)."""
        from scipy.sparse import vstack
        from sklearn.linear_model import LogisticRegression

        vec = self._vectorizer(fitted=False)
        try:
            x = vec.fit_transform(list(texts))
        except ValueError:  # empty vocabulary
            return None
        xs = vstack([x, vec.transform(list(anchor_texts))]) if len(anchor_texts) else x
        y = np.vstack([targets, anchor_targets]).astype(bool)
        w = np.r_[np.ones(len(texts)), np.full(len(anchor_texts), anchor_weight)]
        k = y.shape[1]
        self.vocabulary_ = {t: int(i) for t, i in vec.vocabulary_.items()}
        self.idf_ = vec.idf_.astype(np.float64)
        self.coef_ = np.zeros((k, x.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(k, dtype=np.float32)
        for j in range(k):
            if y[:, j].all() or not y[:, j].any():
                self.intercept_[j] = 10.0 if y[:, j].all() else -10.0
                continue
            clf = LogisticRegression(C=self.c, max_iter=1000, random_state=self.random_state)
            clf.fit(xs, y[:, j], sample_weight=w)
            self.coef_[j], self.intercept_[j] = clf.coef_[0], clf.intercept_[0]
        return self

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """(n, k) logits."""
        x = self._vectorizer(fitted=True).transform(list(texts))
        return np.asarray(x @ self.coef_.T, dtype=np.float64) + self.intercept_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, k) independent touchpoint probabilities."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(texts), -50, 50)))

    # --- persistence: plain JSON + arrays, no pickles ----------------------------------
    def state(self) -> tuple[dict[str, int], dict[str, np.ndarray]]:
        return self.vocabulary_, {"idf": self.idf_, "coef": self.coef_, "intercept": self.intercept_}

    @classmethod
    def from_state(cls, vocabulary: dict[str, int], arrays: dict[str, np.ndarray]) -> "LexicalView":
        view = cls()
        view.vocabulary_ = {str(t): int(i) for t, i in vocabulary.items()}
        view.idf_, view.coef_, view.intercept_ = arrays["idf"], arrays["coef"], arrays["intercept"]
        if view.coef_.shape[1] != len(view.vocabulary_) or len(view.idf_) != len(view.vocabulary_):
            raise ValueError(f"lexical view: {len(view.vocabulary_)} words but coef {view.coef_.shape}, "
                             f"idf {view.idf_.shape}")
        return view
