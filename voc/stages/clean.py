"""clean: strip markup and control characters, normalise whitespace, redact PII (in the
text, and in ids, channels and segments, which every output carries too).

Runs first so that no model, output or log ever sees raw personal data.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from voc.errors import ConfigError
from voc.stages.base import Corpus, Stage

if TYPE_CHECKING:
    from voc.pii import Redactor

log = logging.getLogger("voc")

_TAG = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>|<!--.*?-->|<[^<>]{1,500}>", re.S | re.I)
_BLOCK = re.compile(r"<\s*(br|/p|p|/div|li|/li|tr)\b[^>]*>", re.I)
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060\ufeff]")
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def clean_text(text: str) -> str:
    """Plain text from a feedback field: HTML removed (block tags become line breaks so
    sentences do not run together), entities decoded, whitespace collapsed."""
    if not text:
        return ""
    t = unicodedata.normalize("NFC", text)
    if "<" in t:
        t = _BLOCK.sub("\n", t)
        t = _TAG.sub(" ", t)
    if "&" in t:
        t = html.unescape(t)
    t = _CTRL.sub("", t).replace("\r\n", "\n").replace("\r", "\n")
    t = _SPACE.sub(" ", t)
    t = _NEWLINES.sub("\n", t)
    return t.strip()


class CleanStage(Stage):
    name = "clean"
    requires: ClassVar[tuple[str, ...]] = ("docs.text",)
    assigns: ClassVar[tuple[str, ...]] = ("docs.text", "docs.text_original")

    def __init__(self, redact_pii: bool = True, pii_kinds: tuple[str, ...] | list[str] | None = None,
                 max_chars: int = 5000, pii_keep: tuple[str, ...] | list[str] | None = None,
                 pii_name_tagger: bool = True) -> None:
        self.redact_pii = redact_pii
        self.pii_kinds = pii_kinds
        self.pii_keep = pii_keep
        self.pii_name_tagger = pii_name_tagger
        self.max_chars = max_chars

    def _limit(self) -> int | None:
        limit = self.max_chars
        if limit is None:
            return None
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"clean.max_chars must be a whole number of characters >= 1 (or null for no limit), "
                              f"got {limit!r}; e.g. --set clean.max_chars=5000")
        return limit

    def _redactor(self) -> "Redactor":
        from voc.pii import Redactor

        keep = tuple(self.pii_keep or ())
        tagger = bool(self.pii_name_tagger)
        if self.pii_kinds:
            return Redactor(kinds=tuple(self.pii_kinds), keep_words=keep, name_tagger=tagger)
        return Redactor(keep_words=keep, name_tagger=tagger)

    def protect_fields(self, docs: pd.DataFrame, segments: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
        """With ``redact_pii``: ids holding personal data pseudonymised, channel and
        ``segments`` redacted (:func:`voc.pii.redact_fields`). The store calls it too,
        before keying documents, so its keys are the ids every output shows."""
        if not self.redact_pii:
            return docs, {"ids": 0, "labels": 0}
        from voc.pii import redact_fields

        return redact_fields(docs, ["channel", *segments], self._redactor())

    def transform(self, corpus: Corpus) -> Corpus:
        limit = self._limit()
        docs, protected = self.protect_fields(corpus.docs, list(corpus.meta.get("segments") or []))
        orphans = 0
        if "reply_to" in docs.columns:
            # a reply to a message that is not in the file starts its own thread: say how many, not silently
            given = docs["reply_to"].notna().to_numpy()
            orphans = int((given & ~docs["reply_to"].isin(docs["doc_id"]).to_numpy()).sum())
            if orphans:
                log.warning("%d replies point at a message not in the file (reply_to); each starts its own thread",
                            orphans)
        if "reply_to" in docs.columns and "thread" not in docs.columns:  # after ids are pseudonymised alike
            from voc.customers import thread_roots

            docs["thread"] = thread_roots(docs["doc_id"], docs["reply_to"]).astype("string")
        raw = docs["text"].astype("string").fillna("")
        counts: dict[str, int] = {}
        if self.redact_pii:
            # Redact the original as well: it is kept for display and must not leak.
            raw, counts = self._redactor().redact_series(raw)
        cleaned = raw.map(clean_text).astype("string")
        too_long = (cleaned.str.len() > limit) if limit is not None else pd.Series(False, index=cleaned.index)
        n_trunc = int(too_long.sum())
        if n_trunc:
            log.warning("%d text(s) longer than %d characters were truncated for the models (clean.max_chars; "
                        "text_original keeps the whole redacted text)", n_trunc, limit)
            cleaned = cleaned.where(~too_long, cleaned.str.slice(0, limit))
        docs["text_original"] = raw.astype("string")
        docs["text"] = cleaned
        corpus.docs = docs
        corpus.meta["clean"] = {
            "pii_redacted": {k: int(v) for k, v in counts.items()},
            "ids_pseudonymized": protected["ids"],
            "labels_redacted": protected["labels"],
            "truncated": n_trunc,
            "max_chars": limit,
            "empty_after_clean": int((cleaned.str.len() == 0).sum()),
            **({"replies_to_missing_messages": orphans} if "reply_to" in docs.columns else {}),
        }
        return corpus
