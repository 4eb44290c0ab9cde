"""language: which language each document is in, and whether voc analyses it.

Runs right after ``clean``. Every document gets ``language`` (ISO 639-1 such as ``en``,
``fr``, ``ja``; ``und`` when there is too little text or the identifier is unsure),
``language_score`` (the identifier's probability; NaN for ``und``), ``analysed`` and
``read_by`` (``english`` or ``multilingual``: which models read it; NA when not analysed).
voc reads English with its English models and the languages of the multilingual model
(:data:`MODEL_LANGUAGES`: French, German, Spanish, Italian, Portuguese, Dutch and
Arabic) through multilingual-e5 (voc.language.multilingual). A document in any other
language is kept in the outputs, counted and named in a warning, but never segmented,
scored, themed or tagged, and the drivers leave it out. ``und`` documents ("ok thanks",
"👍") are analysed unless ``undetermined`` is false: by the multilingual model when the
identifier's likeliest language is one it reads ("Innovationsförderung: Deutsche Firmen
investieren...", unsure because of English names), else by the English models. ``analyse``
(``--languages``) restricts a run to some of the supported languages; ``multilingual:
false`` reads English only (the other languages are then kept, not analysed).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from voc.errors import ConfigError
from voc.language.identify import UND, LanguageIdentifier, model_version
from voc.language.multilingual import shipped_languages
from voc.language.names import NAMES, language_name
from voc.stages.base import Corpus, Stage

log = logging.getLogger("voc")

#: English, read by MiniLM, the sentiment branch and spaCy's English pipeline.
ENGLISH = "en"
#: The languages voc's models read: English, and those of the multilingual model
#: (voc.language.multilingual: multilingual-e5 projected into MiniLM's space, with its own
#: sentiment head), listed in models/multilingual/config.json.
MODEL_LANGUAGES: tuple[str, ...] = (ENGLISH,) + tuple(c for c in shipped_languages() if c != ENGLISH)
#: where the embed stage puts the multilingual sentiment probabilities (NaN on English rows)
MULTILINGUAL_FEATURE = "multilingual_sentiment"


#: ``read_by`` values: which models read a document (NA: not analysed)
READ_BY_ENGLISH, READ_BY_MULTILINGUAL = "english", "multilingual"


def multilingual_docs(docs: pd.DataFrame) -> np.ndarray:
    """Analysed documents the multilingual model embeds and scores: ``read_by`` is
    ``multilingual`` (in outputs written before that column: a language other than
    English or ``und``)."""
    if "read_by" in docs.columns:
        return analysed_mask(docs) & (docs["read_by"].astype("string") == READ_BY_MULTILINGUAL).fillna(False) \
            .to_numpy(dtype=bool)
    if "language" not in docs.columns:
        return np.zeros(len(docs), dtype=bool)
    lang = docs["language"].astype("string").fillna(UND)
    return analysed_mask(docs) & ~lang.isin([ENGLISH, UND]).to_numpy(dtype=bool)


def multilingual_rows(corpus: Corpus) -> np.ndarray:
    """Positions in ``corpus.sentences`` of sentences from :func:`multilingual_docs`."""
    sents = corpus.sentences
    if sents is None or sents.empty or "language" not in corpus.docs.columns:
        return np.zeros(0, dtype=np.int64)
    other = set(corpus.docs["doc_id"].to_numpy()[multilingual_docs(corpus.docs)].tolist())
    if not other:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(sents["doc_id"].isin(other).to_numpy())


def analysed_mask(docs: pd.DataFrame) -> np.ndarray:
    """Which rows of ``docs`` voc analysed: all of them when there is no ``analysed``
    column (outputs and stores written before language identification)."""
    if "analysed" not in docs.columns:
        return np.ones(len(docs), dtype=bool)
    return docs["analysed"].astype("boolean").fillna(True).to_numpy(dtype=bool)


def agent_mask(docs: pd.DataFrame) -> np.ndarray:
    """Messages written by an agent or the brand (``author_role``): kept, counted and used
    for service times, never analysed as feedback."""
    if "author_role" not in docs.columns:
        return np.zeros(len(docs), dtype=bool)
    return (docs["author_role"].astype("string") == "agent").fillna(False).to_numpy(dtype=bool)


def not_analysed_message(docs: pd.DataFrame, supported: list[str] | tuple[str, ...] | None = None) -> str | None:
    """"14% of feedback (210 documents) is in Japanese, French: not analysed (supported:
    en); see documents.parquet column language", or None when every customer document was
    analysed (agents' messages are never feedback, and are not counted here)."""
    customers = ~agent_mask(docs)
    mask = analysed_mask(docs) | ~customers
    n_out = int((~mask).sum())
    if not n_out or "language" not in docs.columns:
        return None
    docs = docs[customers]
    mask = mask[customers]
    langs = docs.loc[~mask, "language"].astype("string").fillna(UND).value_counts()
    names = [language_name(k) for k in langs.index[:6]] + ([f"{len(langs) - 6} more"] if len(langs) > 6 else [])
    share = n_out / max(len(docs), 1)
    pct = f"{share:.0%}" if share >= 0.01 else "<1%"
    return (f"{pct} of feedback ({n_out:,} document{'s' if n_out != 1 else ''}) is in {', '.join(names)}: "
            f"not analysed (supported: {', '.join(supported or MODEL_LANGUAGES)}); "
            "see documents.parquet column language")


class LanguageStage(Stage):
    """Identify the language of each document and decide which ones voc analyses.

    ``analyse``: the languages to analyse (default: all of :data:`MODEL_LANGUAGES`); an
    unknown code or one no model reads is a :class:`~voc.errors.ConfigError`.
    ``undetermined``: analyse ``und`` documents with the English models (default true).
    ``min_letters``, ``min_confidence``, ``english_ratio``: the identifier's rules
    (:class:`~voc.language.identify.LanguageIdentifier`)."""

    name = "language"
    requires: ClassVar[tuple[str, ...]] = ("docs.text",)
    assigns: ClassVar[tuple[str, ...]] = ("docs.language", "docs.language_score", "docs.analysed", "docs.read_by")

    def __init__(self, analyse: list[str] | str | None = None, undetermined: bool = True, min_letters: int = 12,
                 min_confidence: float = 0.5, english_ratio: float = 0.1, multilingual: bool = True) -> None:
        self.analyse = analyse
        self.multilingual = multilingual
        self.undetermined = undetermined
        self.min_letters = min_letters
        self.min_confidence = min_confidence
        self.english_ratio = english_ratio

    def supported(self) -> tuple[str, ...]:
        """What this run can read: every model language, or English alone."""
        return MODEL_LANGUAGES if self.multilingual else (ENGLISH,)

    def languages(self) -> list[str]:
        """The validated languages this run analyses."""
        raw = self.analyse
        supported = self.supported()
        if raw is None:
            return list(supported)
        codes = [c.strip().lower() for c in (raw.split(",") if isinstance(raw, str) else raw) if str(c).strip()]
        if not codes:
            raise ConfigError("--languages is empty: name at least one language, e.g. --languages en")
        for code in codes:
            if code not in NAMES or code == UND:
                raise ConfigError(f"unknown language code {code!r} in --languages (language.analyse): use ISO 639-1 "
                                  f"codes such as en; voc's models read {', '.join(supported)}")
            if code not in supported:
                why = ("language.multilingual is false" if code in MODEL_LANGUAGES
                       else f"no voc model reads {language_name(code)} yet")
                raise ConfigError(f"--languages {code}: {why} (supported: {', '.join(supported)}); it would be "
                                  f"analysed as English. Leave it out: {language_name(code)} feedback is then kept, "
                                  "counted and shown, not analysed")
        return list(dict.fromkeys(codes))

    def transform(self, corpus: Corpus) -> Corpus:
        analyse = self.languages()
        identifier = LanguageIdentifier(min_letters=self.min_letters, min_confidence=self.min_confidence,
                                        english_ratio=self.english_ratio)
        docs = corpus.docs.copy()
        texts = docs["text"].astype("string").fillna("").tolist()
        codes, scores, guesses = identifier.identify_with_guess(texts)
        language = pd.Series(codes, index=docs.index, dtype="string")
        agents = agent_mask(docs)
        analysed = (language.isin(analyse) | ((language == UND) & bool(self.undetermined))) & ~agents
        # an und document whose likeliest language is one the multilingual model reads goes to
        # it (it reads English too); other und ones to the English models
        guess = pd.Series(guesses, index=docs.index, dtype="string")
        other = [c for c in analyse if c != ENGLISH]
        multilingual = language.isin(other) | ((language == UND) & guess.isin(other))
        docs["language"] = language
        docs["language_score"] = np.round(scores, 4)
        docs["analysed"] = analysed.astype(bool)
        docs["read_by"] = pd.Series(np.where(multilingual, READ_BY_MULTILINGUAL, READ_BY_ENGLISH), index=docs.index,
                                    dtype="string").where(analysed)
        corpus.docs = docs
        n_out = int((~analysed & ~agents).sum())  # agents are not feedback left out
        message = not_analysed_message(docs, analyse)
        corpus.meta["language"] = {
            "identifier": model_version(),
            "model_languages": list(self.supported()),
            "analysed_languages": analyse,
            "undetermined_analysed": bool(self.undetermined),
            "undetermined_read_by_multilingual": int((analysed & (language == UND) & multilingual).sum()),
            "documents_by_language": {str(k): int(v) for k, v in language.value_counts().items()},
            "agent_messages": int(agents.sum()),
            "not_analysed": n_out,
            "not_analysed_share": round(n_out / max(len(docs), 1), 4),
            "not_analysed_by_language": {str(k): int(v) for k, v in language[~analysed & ~agents].value_counts()
                                         .items()},
            "message": message,
        }
        if message:
            log.warning("%s", message)
        return corpus

    def get_params(self) -> dict[str, Any]:
        return {"analyse": self.analyse, "undetermined": self.undetermined, "min_letters": self.min_letters,
                "min_confidence": self.min_confidence, "english_ratio": self.english_ratio,
                "multilingual": self.multilingual}
