"""segment: documents → sentences → clauses.

One review often praises one thing and blames another ("love the dress but the zip
broke", "the food is great, the service is slow"); splitting at contrast markers and,
with ``split_aspects``, where a new subject and verb start another remark lets every
theme and touchpoint get the sentiment of its own clause.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pandas as pd

from voc.language import analysed_mask
from voc.language.stage import multilingual_docs
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
# "While we enjoyed the food, it was loud": a sentence that opens with a concessive clause
# carries two opinions; the cut is the comma that closes that clause.
_CONCESSIVE = re.compile(r"^(?:while|although|though|even though|whereas|despite|in spite of)\b[^,]{6,}?,\s*", re.I)
# "the food is horrible, the service is pathetic", "on time while the box was damaged": a
# comma, "and" or "while" followed by a new subject and its verb starts another
# predication, usually about another aspect; the cut goes before the conjunction. Not after
# a pronoun subject: "I ordered the soup and it was cold" is one remark.
_PREDICATION = re.compile(
    r"(?:,\s*|\s+(?=(?:and|while)\s))(?P<conj>(?:and|while)\s+)?(?!(?:and|while)\s)"
    r"(?!(?:it|they|he|she|this|that|which|who|there|i|we|you)\b)"
    r"(?=(?:(?:the|our|my|their|his|her|its|these|those|a|an|all|every)\s+)?"
    r"(?:[a-z][\w'-]*\s+){1,4}(?:is|was|are|were|isn't|wasn't|aren't|weren't|has|have|had|hasn't|haven't|"
    r"does|did|doesn't|didn't|won't|can't|couldn't|seemed|seems|looked|looks|tasted|tastes|felt|feels|smelled|"
    r"smells|sounded|sounds|came|took|arrived|runs|ran|fits|fit|works|worked|went|got|fell|broke|stopped|failed|"
    r"keeps|kept|leaks|tore|ripped|shrank|faded)\b)",
    re.I)
# "the service, however, was slow": a parenthetical contrast marker cuts nothing
_PARENTHETICAL = re.compile(r"\w+\s*,\s*(?:is|was|are|were|has|have|had|did|does|do|could|would|can|will|"
                            r"seems?|seemed|\w+ed)\b", re.I)
_LEADING_AND = re.compile(r"^and\s+", re.I)
# "Great food, rude staff, slow kitchen": a list of short opinion phrases, one aspect each.
_LIST_ITEM = re.compile(r"\s*,\s*(?:and\s+)?")
# "@united @AmericanAir ok thanks": the handles say whom a post addresses, not what it is
# about; left in, they pull sentences into per-brand themes ("ok thank" of one airline).
_LEADING_MENTIONS = re.compile(r"^(?:[.\s]*@\w+[\s,:;-]*)+")


def strip_mentions(text: str) -> str:
    """``text`` without the @handles it opens with (unchanged when nothing else is left)."""
    rest = _LEADING_MENTIONS.sub("", text, count=1).strip()
    return rest if rest else text.strip()


def _cut_points(chunk: str, aspects: bool) -> list[int]:
    """Candidate cut offsets in ``chunk``: contrast markers, and with ``aspects`` the end
    of an opening concessive clause and the start of each new predication."""
    # "the service, however, was slow": a parenthetical marker before the verb cuts nothing
    cuts = {m.end() for m in _CONTRAST.finditer(chunk) if not _PARENTHETICAL.match(chunk, m.end())}
    if aspects:
        lead = _CONCESSIVE.match(chunk)
        if lead:
            cuts.add(lead.end())
        # the cut goes before "and"/"while" (kept with the clause it introduces, "and" dropped)
        cuts.update(m.start("conj") if m.group("conj") else m.end() for m in _PREDICATION.finditer(chunk))
    return sorted(c for c in cuts if 0 < c < len(chunk))


def _opinion_list(chunk: str) -> list[str] | None:
    """The items of "great food, rude staff, slow kitchen" or "great product, terrible
    service" (2+ comma-separated items of 2-4 words and no verb-like word), else None."""
    items = [i.strip(" .!") for i in _LIST_ITEM.split(chunk)]
    if len(items) < 2 or not all(2 <= len(i.split()) <= 4 for i in items):
        return None
    if any(re.search(r"\b(?:is|was|are|were|be|been|have|has|had|do|did|will|would|can|could)\b", i, re.I)
           for i in items):
        return None
    return items


def split_clauses(sentence: str, min_words: int = 2, aspects: bool = True) -> list[str]:
    """Split a sentence at semicolons and contrast markers, and (``aspects``) where a new
    predication or an opening concessive clause ends, so one clause tends to carry one
    aspect and its own polarity ("The food is great, service is ok" -> two clauses); a
    piece shorter than ``min_words`` words stays joined to its neighbour ("great but
    pricey" is one clause)."""
    out: list[str] = []
    for chunk in _SEMI.split(sentence):
        listed = _opinion_list(chunk) if aspects else None
        if listed:
            out.extend(listed)
            continue
        cuts = [0] + _cut_points(chunk, aspects) + [len(chunk)]
        kept = [0]
        for i in range(1, len(cuts) - 1):
            left = chunk[kept[-1]:cuts[i]]
            right = chunk[cuts[i]:cuts[i + 1]]
            if len(left.split()) >= min_words and len(right.split()) >= min_words:
                kept.append(cuts[i])
        kept.append(len(chunk))
        pieces = (_LEADING_AND.sub("", chunk[a:b].strip(" ,")) for a, b in zip(kept, kept[1:]))
        out.extend(p for p in pieces if p)
    return out or ([sentence.strip()] if sentence.strip() else [])


class SegmentStage(Stage):
    name = "segment"
    requires: ClassVar[tuple[str, ...]] = ("docs.doc_id", "docs.text")
    assigns: ClassVar[tuple[str, ...]] = ("sentences.doc_id", "sentences.sentence_id", "sentences.text",
                                          "sentences.sentence_index")

    def __init__(self, split_clauses: bool = True, spacy: str = "senter", min_clause_words: int = 2,
                 batch_size: int = 256, strip_mentions: bool = True, split_aspects: bool = True) -> None:
        self.split_clauses = split_clauses
        self.split_aspects = split_aspects
        self.strip_mentions = strip_mentions
        self.spacy = spacy
        self.min_clause_words = min_clause_words
        self.batch_size = batch_size

    def transform(self, corpus: Corpus) -> Corpus:
        nlp = load_spacy(self.spacy)  # type: ignore[arg-type]
        texts = corpus.docs["text"].astype("string").fillna("").tolist()
        analysed = analysed_mask(corpus.docs)  # a language no model reads yields no sentences
        texts = [t if keep else "" for t, keep in zip(texts, analysed)]
        english = ~multilingual_docs(corpus.docs)  # the clause rules are English ("but", "and", "while")
        doc_ids = corpus.docs["doc_id"].tolist()
        rows_doc: list[object] = []
        rows_sid: list[int] = []
        rows_sent: list[int] = []
        rows_text: list[str] = []
        for doc_id, doc, is_english in zip(doc_ids, nlp.pipe(texts, batch_size=self.batch_size), english, strict=True):
            k = 0
            for s_index, sent in enumerate(s for s in doc.sents if s.text.strip()):
                # spaCy keeps line breaks inside a sentence when the model does not split there
                pieces = [p for p in sent.text.split("\n") if p.strip()]
                if self.strip_mentions:
                    pieces = [strip_mentions(p) for p in pieces]
                for piece in pieces:
                    clauses = (split_clauses(piece, self.min_clause_words, self.split_aspects)
                               if self.split_clauses and is_english else [piece.strip()])
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
