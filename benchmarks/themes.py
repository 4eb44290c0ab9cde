"""Benchmark of the theme stage: clustering quality against real labels (voc vs
BERTopic defaults on the *same* embeddings, same run) and time / peak memory at
10k, 50k and 200k sentences.

    python benchmarks/themes.py                 # everything, writes benchmarks/results/themes.json
    python benchmarks/themes.py --skip-scale    # quality only
    python benchmarks/themes.py --data-dir DIR  # another copy of the shared data sets

Embeddings are cached under ``--cache-dir`` (default: the system temp dir), never in
the repo. Each scale run happens in a fresh subprocess so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
sys.path.insert(0, str(REPO))


# --- data ----------------------------------------------------------------------------
def load_banking77(data_dir: Path) -> tuple[list[str], list[str]]:
    df = pd.read_csv(data_dir / "banking77" / "test.csv")
    return df["text"].astype(str).tolist(), df["category"].astype(str).tolist()


def load_airline_negative(data_dir: Path) -> tuple[list[str], list[str]]:
    df = pd.read_csv(data_dir / "twitter_us_airline_sentiment" / "Tweets.csv")
    df = df[df["airline_sentiment"] == "negative"]
    return df["text"].astype(str).tolist(), df["negativereason"].fillna("none").astype(str).tolist()


def load_scale_pool(data_dir: Path, cap: int = 50_000) -> list[str]:
    """Real customer sentences from every shared set we can read (Banking77 train+test,
    all airline tweets, clothing-review sentences), deduplicated, capped."""
    texts: list[str] = []
    for split in ("train", "test"):
        texts += pd.read_csv(data_dir / "banking77" / f"{split}.csv")["text"].astype(str).tolist()
    texts += pd.read_csv(data_dir / "twitter_us_airline_sentiment" / "Tweets.csv")["text"].astype(str).tolist()
    reviews = pd.read_csv(data_dir / "womens_ecommerce_clothing_reviews" / "Womens Clothing E-Commerce Reviews.csv")
    for review in reviews["Review Text"].dropna().astype(str):
        texts += [s.strip() for s in re.split(r"(?<=[.!?])\s+", review) if len(s.strip()) > 12]
    texts = list(dict.fromkeys(texts))
    rng = np.random.default_rng(0)
    if len(texts) > cap:
        texts = [texts[i] for i in sorted(rng.choice(len(texts), cap, replace=False))]
    return texts


def embed_cached(texts: list[str], cache_dir: Path) -> np.ndarray:
    """Encode with voc's Encoder once; reuse the .npy on later runs."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    f = cache_dir / f"emb_{key}_{len(texts)}.npy"
    if f.exists():
        return np.load(f)
    from voc.encoder import Encoder

    emb = Encoder().encode(texts).embeddings
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(f, emb)
    return emb


# --- quality: voc vs BERTopic on the same embeddings -------------------------------------
def scores(truth: list[str], ids: np.ndarray) -> dict[str, float]:
    """Outliers (-1) count as one cluster of their own: hiding them would flatter both."""
    from sklearn.metrics import normalized_mutual_info_score, v_measure_score

    return {"v_measure": round(float(v_measure_score(truth, ids)), 4),
            "nmi": round(float(normalized_mutual_info_score(truth, ids)), 4),
            "outlier_share": round(float(np.mean(ids < 0)), 4),
            "n_themes": int(len(set(ids.tolist()) - {-1}))}


def corpus_of(texts: list[str], emb: np.ndarray):  # type: ignore[no-untyped-def]
    from voc.stages.base import Corpus

    n = len(texts)
    return Corpus(docs=pd.DataFrame({"doc_id": np.arange(n)}),
                  sentences=pd.DataFrame({"doc_id": np.arange(n), "sentence_id": np.arange(n), "text": texts}),
                  embeddings=emb)


def run_voc(texts: list[str], emb: np.ndarray, **params) -> tuple[np.ndarray, dict]:  # type: ignore[no-untyped-def]
    from voc.stages.themes import ThemeStage

    c = corpus_of(texts, emb)
    t0 = time.perf_counter()
    params.setdefault("random_state", 0)
    stage = ThemeStage(**params).fit(c)
    out = stage.transform(c)
    dt = time.perf_counter() - t0
    ids = out.sentences["theme_id"].to_numpy()
    t = stage.themes_
    info = {"seconds": round(dt, 1), "fit_info": stage.fit_info_,
            "n_parents": int((t["level"] == 1).sum()),
            "largest_themes": [{"label": r.label, "size": int(r.size), "keywords": list(r.keywords)[:5],
                                "example": r.examples[0] if len(r.examples) else ""}
                               for r in t[t["level"] == 0].sort_values("size", ascending=False).head(12).itertuples()]}
    return ids, info


def fit_bertopic(texts: list[str], emb: np.ndarray):  # type: ignore[no-untyped-def]
    """The fitted BERTopic model (defaults: its own UMAP + HDBSCAN + c-TF-IDF, given our
    embeddings), its topic per text, and the seconds it took."""
    from bertopic import BERTopic

    t0 = time.perf_counter()
    model = BERTopic()
    topics, _ = model.fit_transform(texts, embeddings=emb)
    return model, np.asarray(topics), time.perf_counter() - t0


def run_bertopic(texts: list[str], emb: np.ndarray) -> tuple[np.ndarray, dict]:
    """BERTopic with its defaults (its own UMAP + HDBSCAN + c-TF-IDF), given our embeddings."""
    import bertopic

    _, topics, seconds = fit_bertopic(texts, emb)
    return topics, {"seconds": round(seconds, 1), "version": bertopic.__version__}


def quality(data_dir: Path, cache_dir: Path, with_bertopic: bool, ablation: bool) -> dict:
    out: dict[str, dict] = {}
    for name, loader in (("banking77_test", load_banking77), ("airline_negative_reason", load_airline_negative)):
        texts, truth = loader(data_dir)
        emb = embed_cached(texts, cache_dir)
        ids, info = run_voc(texts, emb)
        res: dict[str, object] = {"n_sentences": len(texts), "n_labels": len(set(truth)),
                                  "voc": {**scores(truth, ids), **info}}
        if with_bertopic:
            b_ids, b_info = run_bertopic(texts, emb)
            res["bertopic_defaults"] = {**scores(truth, b_ids), **b_info}
        if ablation and name == "banking77_test":
            # seed sensitivity: each seed is deterministic, but is seed 0 a lucky one?
            res["voc_other_seeds"] = {}
            for seed in (1, 2):
                s_ids, _ = run_voc(texts, emb, random_state=seed)
                res["voc_other_seeds"][str(seed)] = scores(truth, s_ids)
            res["voc_umap_epochs_500_ablation"] = {}  # UMAP's own default below 10k points; voc uses 200
            for seed in (0, 1, 2):
                e_ids, e_info = run_voc(texts, emb, random_state=seed, umap_epochs=500)
                res["voc_umap_epochs_500_ablation"][str(seed)] = {**scores(truth, e_ids), "seconds": e_info["seconds"]}
            res["voc_reduction_ablation"] = {}
            for red in ("pca", "none"):
                a_ids, a_info = run_voc(texts, emb, reduction=red)
                res["voc_reduction_ablation"][red] = {**scores(truth, a_ids), "seconds": a_info["seconds"]}
        out[name] = res
        print(json.dumps({name: {k: v for k, v in res.items() if k in ("voc", "bertopic_defaults")}},
                         default=str)[:3000], flush=True)
    return out


def sample_vs_full(data_dir: Path, cache_dir: Path) -> dict:
    """Does fitting on a sample and assigning the rest hold quality? Banking77 train
    and test (13k sentences, 77 intents): fit on all vs fit on samples of 3k, 5k and
    10k (the default ``max_fit_sentences``)."""
    df = pd.concat([pd.read_csv(data_dir / "banking77" / f"{split}.csv") for split in ("train", "test")])
    texts, truth = df["text"].astype(str).tolist(), df["category"].astype(str).tolist()
    emb = embed_cached(texts, cache_dir)
    res = {}
    for label, cap in (("fit_on_all", len(texts)), ("fit_on_10000_sample", 10_000), ("fit_on_5000_sample", 5_000),
                       ("fit_on_3000_sample", 3_000)):
        ids, info = run_voc(texts, emb, max_fit_sentences=cap)
        res[label] = {**scores(truth, ids), "seconds": info["seconds"]}
    return {"banking77_train_and_test": res}


# --- scale: time and peak RSS in a fresh process per size --------------------------------
def make_scale_corpus(pool_texts: list[str], pool_emb: np.ndarray, n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """``n`` sentences from the real pool: sampled without replacement up to its size,
    beyond that duplicated with noise (Gaussian noise on the embedding, cosine ~0.95 to
    the original, renormalised; one random word dropped from the text)."""
    rng = np.random.default_rng(seed)
    m = len(pool_texts)
    idx = rng.choice(m, n, replace=False) if n <= m else np.concatenate([rng.permutation(m), rng.integers(0, m, n - m)])
    emb = pool_emb[idx].copy()
    texts = [pool_texts[i] for i in idx]
    if n > m:
        dup = slice(m, n)
        emb[dup] += rng.normal(scale=0.33 / np.sqrt(emb.shape[1]), size=emb[dup].shape).astype(np.float32)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        for j in range(m, n):
            words = texts[j].split()
            if len(words) > 3:
                del words[int(rng.integers(len(words)))]
            texts[j] = " ".join(words)
    return texts, emb


def _rss_mb(field: str) -> float:
    """VmRSS / VmHWM of this process from /proc (Linux); ru_maxrss elsewhere."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale_worker(n: int, data_dir: Path, cache_dir: Path) -> None:
    import gc

    pool = load_scale_pool(data_dir)
    texts, emb = make_scale_corpus(pool, embed_cached(pool, cache_dir), n)
    c = corpus_of(texts, emb)
    del pool
    gc.collect()
    try:  # reset the peak so it measures the stage, not loading the pool
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    rss_before = _rss_mb("VmRSS")
    from voc.stages.themes import ThemeStage

    t0 = time.perf_counter()
    stage = ThemeStage(random_state=0).fit(c)
    t_fit = time.perf_counter() - t0
    out = stage.transform(c)
    t_all = time.perf_counter() - t0
    ids = out.sentences["theme_id"].to_numpy()
    print(json.dumps({"n_sentences": n, "fit_s": round(t_fit, 1), "fit_transform_s": round(t_all, 1),
                      "peak_rss_mb": round(_rss_mb("VmHWM")), "rss_before_stage_mb": round(rss_before),
                      "fit_sample": stage.fit_info_["fit_sample"], "n_themes": int(len(set(ids.tolist()) - {-1})),
                      "outlier_share": round(float(np.mean(ids < 0)), 4)}))


def scale(sizes: list[int], data_dir: Path, cache_dir: Path) -> list[dict]:
    rows = []
    for n in sizes:
        proc = subprocess.run([sys.executable, __file__, "--scale-worker", str(n), "--data-dir", str(data_dir),
                               "--cache-dir", str(cache_dir)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            rows.append({"n_sentences": n, "error": proc.stderr.strip().splitlines()[-1:]})
        else:
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def machine() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    mem = "unknown"
    try:
        mem = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        mem = f"{int(mem) / 1024 ** 2:.1f} GB"
    except (OSError, StopIteration):
        pass
    vers = {}
    for pkg in ("hdbscan", "umap-learn", "bertopic", "scikit-learn", "numpy", "spacy", "torch"):
        try:
            vers[pkg] = version(pkg)
        except PackageNotFoundError:
            vers[pkg] = "not installed"
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "memory": mem, "load_avg_at_start": [round(v, 2) for v in os.getloadavg()], "versions": vers,
            "note": "shared machine: other jobs ran concurrently, so timings are upper bounds"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "voc_bench_cache")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "themes.json")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--no-bertopic", action="store_true")
    ap.add_argument("--no-ablation", action="store_true")
    ap.add_argument("--sizes", default="10000,50000,200000")
    ap.add_argument("--encode-only", action="store_true")
    ap.add_argument("--scale-worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scale_worker:
        scale_worker(args.scale_worker, args.data_dir, args.cache_dir)
        return
    if args.encode_only:
        for loader in (load_banking77, load_airline_negative):
            embed_cached(loader(args.data_dir)[0], args.cache_dir)
        embed_cached(load_scale_pool(args.data_dir), args.cache_dir)
        return
    result: dict[str, object] = {}
    if args.out.exists():  # keep sections that this run skips
        result = json.loads(args.out.read_text(encoding="utf-8"))
    result["machine"] = machine()
    result["embeddings"] = "voc.encoder.Encoder (all-MiniLM-L6-v2, normalised), identical input to voc and BERTopic"
    if not args.skip_quality:
        result["quality"] = quality(args.data_dir, args.cache_dir, not args.no_bertopic, not args.no_ablation)
        result["sample_vs_full"] = sample_vs_full(args.data_dir, args.cache_dir)
    if not args.skip_scale:
        result["scale"] = {
            "corpus": " ".join((make_scale_corpus.__doc__ or "").split()),
            "pool": " ".join((load_scale_pool.__doc__ or "").split()),
            "notes": "one fresh process per size; fit_s includes numba's one-off JIT compilation of UMAP; "
                     "peak_rss_mb is the process peak during fit+transform (reset after loading the data), "
                     "rss_before_stage_mb what the process held before the stage ran",
            "runs": scale([int(v) for v in args.sizes.split(",")], args.data_dir, args.cache_dir)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
