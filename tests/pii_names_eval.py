"""Hand-labelled people's names in real tweets, and how a name finder is scored on them.

tests/data/pii_names_gold.jsonl labels 500 tweets (250 customer-support tweets, 250
airline tweets; drawn by benchmarks/pii_names_sample.py from the half of the shared data
sets that voc's name rules were not written on) as the name pass sees them: other PII
already replaced. The file holds each tweet's id, source, the SHA-256 of that text and
its labels, not the text: :func:`load_gold` reads the tweet from ../shared/data by id,
replaces the other PII kinds as the sampler did and checks the hash (the labelled data
stay in ../shared; the tests that need them skip when it is absent). Each ``names`` entry
is ``[start, end, label]``:

* ``person``: a private person's name (customer, agent, staff, friend), one entry per
  name, first name and surname together;
* ``initials``: an agent's initials signing a reply ("^KA", "-KW", "*HVI", "/GN");
* ``public``: a public figure or performer ("Gary Kelly", "Lady Gaga"); not scored.

Labelled by hand, one pass, by the engineer who wrote the rules, before running them on
these texts. The tweets are CC BY-NC-SA 4.0 (see the data sets' READMEs in ../shared/data).

A name counts as redacted when none of its letters survive; a predicted span is correct
when it overlaps a labelled name (predictions on ``public`` names are left out of both
counts); a name-free tweet is "touched" when anything in it was predicted as a name.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path

GOLD = Path(__file__).resolve().parent / "data" / "pii_names_gold.jsonl"

#: Words that must never be taken for a name; occurrences are counted in whole texts.
BRANDS_AND_PLACES = (
    "United", "Virgin", "Delta", "Southwest", "JetBlue", "Jetblue", "American", "Alaska", "Spirit", "Amazon", "Apple",
    "Uber", "Lyft", "Spotify", "Hulu", "Xbox", "Tesco", "PayPal", "Chase", "Alexa", "Prime", "WiFi", "Wifi", "iPhone",
    "JFK", "LAX", "SFO", "ORD", "DFW", "EWR", "LGA", "BOS", "CLT", "PHL", "DEN", "IAH", "ATL", "MCO",
    "Austin", "Vegas", "Denver", "Dallas", "Houston", "Chicago", "Boston", "Charlotte", "Phoenix", "Newark",
    "Atlanta", "Orlando", "Miami", "Nashville", "Philadelphia", "Seattle", "London", "Paris", "Sydney", "Jordan",
    "Georgia", "Virginia", "Monday", "Friday", "Sunday", "April", "May", "June", "August", "Christmas",
)


#: where each source's tweets are in ../shared/data, their id column and the label ids' prefix
SOURCES = {"support": ("customer_support_twitter/twcs_subset.csv", "tweet_id", "s"),
           "airline": ("twitter_us_airline_sentiment/Tweets.csv", "tweet_id", "a")}
OTHER_KINDS = ("url", "email", "iban", "card", "phone", "address")


def text_sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=4)
def _texts(data_dir: Path, path: Path = GOLD) -> dict[str, str]:
    """Every id labelled in ``path``: its text from the shared data sets, other PII kinds replaced."""
    from voc.pii import Redactor

    wanted = {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    red = Redactor(OTHER_KINDS)
    return {key: red.redact(text) for key, text in raw_texts(data_dir, wanted).items()}


def raw_texts(data_dir: Path, wanted: set[str]) -> dict[str, str]:
    """The tweets with these ids as the shared data sets hold them (nothing redacted)."""
    import pandas as pd

    out: dict[str, str] = {}
    for path, id_col, prefix in SOURCES.values():
        frame = pd.read_csv(data_dir / path, dtype=str)
        for tid, text in zip(frame[id_col], frame["text"], strict=True):
            key = f"{prefix}{tid}"
            if key in wanted and isinstance(text, str) and key not in out:
                out[key] = text
    return out


def load_gold(path: Path = GOLD, data_dir: Path | None = None) -> list[dict]:  # type: ignore[type-arg]
    """The labelled tweets with their text (read from ``data_dir``, default ../shared/data;
    under pytest a missing data set skips the test). A text whose hash differs from the
    labelled one (the other kinds' redaction changed) is an error: the spans would point
    elsewhere."""
    if data_dir is None:
        try:
            from tests.conftest import shared_path
        except ImportError:  # tests/ on sys.path itself
            from conftest import shared_path  # type: ignore[no-redef]

        data_dir = shared_path(SOURCES["support"][0]).parents[1]
        shared_path(SOURCES["airline"][0])
    texts = _texts(Path(data_dir), Path(path))
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        it = json.loads(line)
        text = texts.get(it["id"])
        if text is None or text_sha256(text) != it["sha256"]:
            raise ValueError(f"labelled tweet {it['id']}: its text in {data_dir} is missing or differs from the one "
                             "labelled (did the other PII kinds' redaction change?)")
        items.append({**it, "text": text})
    return items


Spans = Sequence[tuple[int, int]]


def _covered(text: str, start: int, end: int, pred: Spans) -> bool:
    return all(any(s <= k < e for s, e in pred) for k in range(start, end) if text[k].isalnum())


def score(predict: Callable[[str], Spans], items: list[dict], keep: int = 0) -> dict:  # type: ignore[type-arg]
    """Recall per label, placeholder precision, name-free texts touched (and up to
    ``keep`` misses and false positives as text excerpts)."""
    found = {"person": 0, "initials": 0}
    total = {"person": 0, "initials": 0}
    tp = fp = 0
    free = touched = 0
    misses: list[str] = []
    false_pos: list[str] = []
    for it in items:
        text, gold = it["text"], it["names"]
        pred = list(predict(text))
        for s, e, label in gold:
            if label in total:
                total[label] += 1
                if _covered(text, s, e, pred):
                    found[label] += 1
                elif len(misses) < keep:
                    misses.append(f"{label}: {text[s:e]!r} in {text[max(0, s - 40):e + 20]!r}")
        for ps, pe in pred:
            hit = [label for s, e, label in gold if ps < e and s < pe]
            if hit and all(label == "public" for label in hit):
                continue
            if hit:
                tp += 1
            else:
                fp += 1
                if len(false_pos) < keep:
                    false_pos.append(f"{text[ps:pe]!r} in {text[max(0, ps - 40):pe + 20]!r}")
        if not gold:
            free += 1
            touched += bool(pred)
    both = found["person"] + found["initials"], total["person"] + total["initials"]
    out = {
        "recall_person": round(found["person"] / max(total["person"], 1), 3),
        "recall_initials": round(found["initials"] / max(total["initials"], 1), 3),
        "recall_all": round(both[0] / max(both[1], 1), 3),
        "precision": round(tp / max(tp + fp, 1), 3),
        "predicted": tp + fp, "false_positives": fp,
        "names": total, "name_free_texts": free, "name_free_texts_touched": touched,
        "name_free_touched_share": round(touched / max(free, 1), 3),
    }
    if keep:
        out["misses"], out["false_positive_examples"] = misses, false_pos
    return out


def brand_hits(predict: Callable[[str], Spans], texts: Sequence[str],
               words: Sequence[str] = BRANDS_AND_PLACES) -> dict[str, int]:
    """How many whole-word occurrences of each brand/place word ``predict`` redacts
    (only words found at least once are listed; ``"_occurrences"`` is the total)."""
    import re

    rx = re.compile(r"(?<![\w@#])(" + "|".join(map(re.escape, words)) + r")(?![\w])")
    hits: dict[str, int] = {}
    seen = 0
    for text in texts:
        occ = list(rx.finditer(text))
        if not occ:
            continue
        seen += len(occ)
        pred = list(predict(text))
        for m in occ:
            if any(s < m.end() and m.start() < e for s, e in pred):
                hits[m.group(1)] = hits.get(m.group(1), 0) + 1
    return {"_occurrences": seen, **dict(sorted(hits.items()))}
