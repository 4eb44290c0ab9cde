"""Themes made mostly of sentences in other languages are named by their own words (the
English parse reads nothing of them); English-majority themes keep their labels."""

import numpy as np
import pandas as pd

from voc.themes.labels import other_language_labels


def test_majority_french_theme_gets_its_own_words_and_language():
    themes = pd.DataFrame({"theme_id": [0, 1, -2], "label": ["email remarks", "late delivery", "general"],
                           "kind": ["issue", "issue", "general"]})
    texts = ["La livraison du colis est en retard", "Mon colis et la livraison, toujours en retard",
             "Le colis est arrivé abîmé, livraison ratée", "email me please",
             "The delivery was late", "Late delivery again", "Livraison en retard", "Thanks"]
    langs = ["fr", "fr", "fr", "en", "en", "en", "fr", "und"]
    ids = np.array([0, 0, 0, 0, 1, 1, 1, -2])
    out = other_language_labels(themes, ids, texts, langs)
    assert set(out) == {0}  # theme 1 is two-thirds English: its English label stays
    assert out[0].endswith("(French)") and "livraison" in out[0] and "colis" in out[0]
    assert "est" not in out[0] and "la" not in out[0].split()  # French stop words are not labels


def test_labels_stay_unique():
    themes = pd.DataFrame({"theme_id": [0, 1], "label": ["x", "y"], "kind": ["issue", "issue"]})
    texts = ["Lieferung kommt spät", "Lieferung kommt spät wieder", "Lieferung kommt spät", "Lieferung kommt spät"]
    out = other_language_labels(themes, np.array([0, 0, 1, 1]), texts, ["de"] * 4)
    assert len(set(out.values())) == 2 and all("(German)" in v for v in out.values())
