"""segment: documents → sentences → clauses.

One review often praises one thing and blames another ("love the dress but the zip
broke"); splitting at contrast markers lets every theme and touchpoint get the
sentiment of its own clause.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pandas as pd

from voc.language import analysed_mask
from voc.nlp import load_spacy
from voc.stages.base import Corpus, Stage

# Contrast markers that start a new clause. The marker stays with the clause it
# introduces, because it carries meaning for sentiment ("but the zip broke").
_CONTRAST = re.compile(
    r"(?:,|;|\s)\s*(?=\b(?:but|however|although|though|whereas|except|yet|unfortunately|sadly|"
    r"on the other hand|apart from that|other than that)\b)",
    re.I,
)
_SEMI = re.compile(r"\s*;\s*")
# "@united @AmericanAir ok thanks": the handles say whom a post addresses, not what it is
# about; left in, they pull sentences into per-brand themes ("ok thank" of one airline).
_LEADING_MENTIONS = re.compile(r"^(?:[.\s]*@\w+[\s,:;-]*)+")


def strip_mentions(text: str) -> str:
    """``text`` without the @handles it opens with (unchanged when nothing else is left)."""
    rest = _LEADING_MENTIONS.sub("", text, count=1).strip()
    return rest if rest else text.strip()


def split_clauses(sentence: str, min_words: int = 3) -> list[str]:
    """Split a sentence at semicolons and contrast markers; a piece shorter than
    ``min_words`` words stays joined to its neighbour ("great but pricey" is one clause)."""
    out: list[str] = []
    for chunk in _SEMI.split(sentence):
        cuts = [0] + [m.end() for m in _CONTRAST.finditer(chunk) if 0 < m.end() < len(chunk)] + [len(chunk)]
        kept = [0]
        for i in range(1, len(cuts) - 1):
            left = chunk[kept[-1]:cuts[i]]
            right = chunk[cuts[i]:cuts[i + 1]]
            if len(left.split()) >= min_words and len(right.split()) >= min_words:
                kept.append(cuts[i])
        kept.append(len(chunk))
        pieces = (chunk[a:b].strip(" ,") for a, b in zip(kept, kept[1:]))
        out.extend(p for p in pieces if p)
    return out or ([sentence.strip()] if sentence.strip() else [])


class SegmentStage(Stage):
    name = "segment"
    requires: ClassVar[tuple[str, ...]] = ("docs.doc_id", "docs.text")
    assigns: ClassVar[tuple[str, ...]] = ("sentences.doc_id", "sentences.sentence_id", "sentences.text",
                                          "sentences.sentence_index")

    def __init__(self, split_clauses: bool = True, spacy: str = "senter", min_clause_words: int = 3,
                 batch_size: int = 256, strip_mentions: bool = True) -> None:
        self.split_clauses = split_clauses
        self.strip_mentions = strip_mentions
        self.spacy = spacy
        self.min_clause_words = min_clause_words
        self.batch_size = batch_size

    def transform(self, corpus: Corpus) -> Corpus:
        nlp = load_spacy(self.spacy)  # type: ignore[arg-type]
        texts = corpus.docs["text"].astype("string").fillna("").tolist()
        analysed = analysed_mask(corpus.docs)  # a language no model reads yields no sentences
        texts = [t if keep else "" for t, keep in zip(texts, analysed)]
        doc_ids = corpus.docs["doc_id"].tolist()
        rows_doc: list[object] = []
        rows_sid: list[int] = []
        rows_sent: list[int] = []
        rows_text: list[str] = []
        for doc_id, doc in zip(doc_ids, nlp.pipe(texts, batch_size=self.batch_size), strict=True):
            k = 0
            for s_index, sent in enumerate(s for s in doc.sents if s.text.strip()):
                # spaCy keeps line breaks inside a sentence when the model does not split there
                pieces = [p for p in sent.text.split("\n") if p.strip()]
                if self.strip_mentions:
                    pieces = [strip_mentions(p) for p in pieces]
                for piece in pieces:
                    clauses = split_clauses(piece, self.min_clause_words) if self.split_clauses else [piece.strip()]
                    for clause in clauses:
                        rows_doc.append(doc_id)
                        rows_sid.append(k)
                        rows_sent.append(s_index)
                        rows_text.append(clause)
                        k += 1
        corpus.sentences = pd.DataFrame({
            "doc_id": pd.Series(rows_doc, dtype=corpus.docs["doc_id"].dtype),
            "sentence_id": np.asarray(rows_sid, dtype=np.int32),
            "sentence_index": np.asarray(rows_sent, dtype=np.int32),
            "text": pd.Series(rows_text, dtype="string"),
        })
        corpus.meta["segment"] = {"sentences": len(rows_text),
                                  "docs_without_text": int(sum(1 for t, a in zip(texts, analysed) if a and not t.strip())),
                                  "docs_not_analysed": int((~analysed).sum())}
        return corpus
