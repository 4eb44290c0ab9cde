"""Throughput of voc, always as ratios measured in the same run (issue 9).

    python benchmarks/throughput.py                  # all parts, defaults sized for a busy 2-core box
    python benchmarks/throughput.py --n 10000        # documents per data set
    python benchmarks/throughput.py --parts e2e,scoring --n 500

Parts (each heavy measurement runs in a fresh subprocess, so wall time includes the
imports and model loads a user pays, and peak RSS is that process's own):

  e2e       ``voc analyze`` on N airline tweets and N clothing reviews vs
            ``SentenceTransformer.encode`` alone on the very sentences voc produced, same
            batch size and max_length: docs/s, sentences/s, run.json's stage timings and
            the ratio encoder-alone / voc (goal >= 0.8)
  bertopic  BERTopic 0.17.4 with its defaults and the same MiniLM on the same documents:
            wall time and peak RSS next to voc's (goal: voc >= 2x BERTopic's throughput)
  scoring   ``voc.load(model).transform`` on held-out tweets: docs/s and p50/p95 latency
            for batches of 1 and 1,000; cold (cache off), warm (cache on, text seen
            before); torch vs onnx vs onnx-int8 with their agreement with torch
  scale     ``voc.datasets.make_feedback`` documents streamed through scoring in chunks:
            time and peak RSS, extrapolated linearly to 1M (stated, not hidden)
  theme_share  the theme stage's share of ``voc analyze`` on 1,000 / 4,000 / all airline
            tweets (issue 17's floor: <= 25%)

Writes benchmarks/results/throughput.json (relative paths only). The machine is shared
with other jobs, so absolute times are noisy; the load average is recorded around
every measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results" / "throughput.json"
DATASETS = {
    "airline_tweets": ("twitter_us_airline_sentiment/Tweets.csv", "text"),
    "clothing_reviews": ("womens_ecommerce_clothing_reviews/Womens Clothing E-Commerce Reviews.csv", "Review Text"),
}
BATCH = 64
MAX_LENGTH = 128


# --- helpers --------------------------------------------------------------------------
def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def env() -> dict[str, str]:
    e = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    e["PYTHONPATH"] = str(REPO) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def spawn(args: list[str], timeout: float = 7200) -> dict[str, Any]:
    """Run a child, return its JSON (last stdout line) plus wall time and peak RSS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        la0 = load_avg()
        t0 = time.perf_counter()
        p = subprocess.Popen(args, stdout=out, stderr=err, env=env(), cwd=REPO)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text, etext = out.read(), err.read()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}... failed ({p.returncode}):\n{etext[-3000:]}")
    lines = [ln for ln in text.strip().splitlines() if ln.startswith("{")]
    res = json.loads(lines[-1]) if lines else {}
    res.update({"process_wall_s": round(wall, 2), "process_peak_rss_mb": round(ru.ru_maxrss / 1024, 1),
                "load_avg_before": la0, "load_avg_after": load_avg()})
    return res


def worker(kind: str, **kw: Any) -> dict[str, Any]:
    return spawn([sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--worker-args", json.dumps(kw)])


def analyze(csv: Path, out_dir: Path, *extra: str) -> dict[str, Any]:
    """``voc analyze`` (cold: embedding cache off) in a fresh process, as a user runs it."""
    return spawn([sys.executable, "-m", "voc", "analyze", str(csv), "--out", str(out_dir), "--text-col", "text",
                  "--id-col", "id", "--set", "embed.cache=false", *extra, "-q"])


def sample_docs(data_dir: Path, name: str, n: int, offset: int = 0):  # type: ignore[no-untyped-def]
    import pandas as pd

    rel, col = DATASETS[name]
    df = pd.read_csv(data_dir / rel)
    texts = df[col].dropna().astype(str)
    texts = texts[texts.str.strip() != ""].sample(frac=1.0, random_state=0)
    part = texts.iloc[offset:offset + n]
    return pd.DataFrame({"id": [f"{name[:3]}-{i}" for i in part.index], "text": part.to_numpy()})


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


# --- workers (run in a child process) -----------------------------------------------------
def w_st_encode(sentences_file: str, batch_size: int, max_length: int) -> dict[str, Any]:
    """The bare encoder: SentenceTransformer.encode on voc's own sentences."""
    import pandas as pd

    t_load = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    from voc.encoder import model_path

    st = SentenceTransformer(str(model_path()), device="cpu")
    st.max_seq_length = max_length
    texts = pd.read_parquet(sentences_file, columns=["text"])["text"].astype(str).tolist()
    load_s = time.perf_counter() - t_load
    la = load_avg()
    t0 = time.perf_counter()
    st.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    dt = time.perf_counter() - t0
    import torch

    return {"sentences": len(texts), "encode_s": round(dt, 2), "load_s": round(load_s, 2),
            "sentences_per_s": round(len(texts) / dt, 1), "torch_threads": torch.get_num_threads(),
            "load_avg_during": la}


def w_voc_encode(sentences_file: str, batch_size: int, max_length: int, backend: str, cache_dir: str) -> dict[str, Any]:
    """voc's own encoder on the same sentences and back-end voc ran with: alone, then
    with the sentiment model branching off layer 2 in the same pass. Separates what
    the back-end buys from what voc's stages cost."""
    import pandas as pd

    from voc.encoder import Encoder
    from voc.stages.sentiment import resolve_sentiment_model

    texts = pd.read_parquet(sentences_file, columns=["text"])["text"].astype(str).tolist()
    enc = Encoder(batch_size=batch_size, max_length=max_length, backend=backend, cache=False, cache_dir=cache_dir)
    head, _ = resolve_sentiment_model("sentiment")
    for heads in ([], [head]):  # load weights, export and open both ONNX graphs outside the timing
        enc.encode(texts[:64], heads=heads)
    out: dict[str, Any] = {"backend": backend, "sentences": len(texts), "load_avg_during": load_avg()}
    for tag, heads in (("encoder_alone", []), ("encoder_plus_sentiment_branch", [head])):
        t0 = time.perf_counter()
        enc.encode(texts, heads=heads)
        dt = time.perf_counter() - t0
        out[tag] = {"encode_s": round(dt, 2), "sentences_per_s": round(len(texts) / dt, 1)}
    out["sentiment_branch_share_of_pass"] = round(
        1 - out["encoder_alone"]["encode_s"] / out["encoder_plus_sentiment_branch"]["encode_s"], 3)
    return out


def w_bertopic(docs_file: str) -> dict[str, Any]:
    """BERTopic with its defaults, given the same packaged MiniLM as its embedding model."""
    import pandas as pd

    docs = pd.read_csv(docs_file)["text"].astype(str).tolist()
    t0 = time.perf_counter()
    import bertopic
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    from voc.encoder import model_path

    st = SentenceTransformer(str(model_path()), device="cpu")
    t1 = time.perf_counter()
    topics, _ = BERTopic(embedding_model=st).fit_transform(docs)
    t2 = time.perf_counter()
    return {"version": bertopic.__version__, "documents": len(docs), "load_s": round(t1 - t0, 2),
            "fit_transform_s": round(t2 - t1, 2), "n_topics": len(set(topics) - {-1}),
            "outlier_share": round(sum(t == -1 for t in topics) / max(1, len(topics)), 4)}


def _frames(n: int, chunks: int, data_dir: Path, offset: int):  # type: ignore[no-untyped-def]
    return [sample_docs(data_dir, "airline_tweets", n, offset + i * n) for i in range(chunks)]


def _timed_transform(model: Any, frame: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = model.transform(frame)
    return time.perf_counter() - t0, out


def w_scoring(model_dir: str, data_dir: str, offset: int, batch: int, reps_small: int, reps_large: int,
              backends: list[str], cache_dir: str) -> dict[str, Any]:
    import numpy as np

    import voc
    from voc.encoder import Encoder

    data = Path(data_dir)
    t0 = time.perf_counter()
    model = voc.load(model_dir)
    embed = model._build()["embed"]
    embed.cache_dir = cache_dir
    load_s = time.perf_counter() - t0
    pool = _frames(batch, reps_large + 1, data, offset)
    small = pool[-1].head(reps_small + 5)
    res: dict[str, Any] = {"model_load_s": round(load_s, 2), "batch_large": batch}

    def run(tag: str, backend: str, cache: bool, frames: list[Any], singles: bool) -> dict[str, Any]:
        embed.backend, embed.cache = backend, cache
        t_first, _ = _timed_transform(model, small.head(1))  # loads models/ONNX export once
        la = load_avg()
        large = [_timed_transform(model, f) for f in frames]
        lat = [dt for dt, _ in large]
        docs = sum(len(f) for f in frames)
        r: dict[str, Any] = {"backend": backend, "cache": cache, "first_call_s": round(t_first, 2),
                             "load_avg": la,
                             f"batch_{batch}": {"docs_per_s": round(docs / sum(lat), 1),
                                                "sentences_per_s": round(sum(len(o.sentences) for _, o in large)
                                                                         / sum(lat), 1),
                                                "p50_s": round(pct(lat, 0.5), 3), "p95_s": round(pct(lat, 0.95), 3),
                                                "reps": len(lat),
                                                "stage_s": {k: round(statistics.mean(o.run["timings_s"][k]
                                                                                     for _, o in large), 3)
                                                            for k in large[0][1].run["timings_s"]}}}
        st_ = r[f"batch_{batch}"]["stage_s"]
        r[f"batch_{batch}"]["embed_share_of_total"] = round(st_["embed"] / st_["total"], 3) if st_["total"] else None
        if singles:
            one = [_timed_transform(model, small.iloc[[i]])[0] for i in range(reps_small)]
            r["batch_1"] = {"docs_per_s": round(len(one) / sum(one), 1), "p50_ms": round(pct(one, 0.5) * 1000, 1),
                            "p95_ms": round(pct(one, 0.95) * 1000, 1), "reps": len(one)}
        return r, [o for _, o in large]

    frames = pool[:reps_large]
    res["cold_torch"], ref = run("cold", "torch", False, frames, True)
    # warm: the same frames again with the cache on (first pass fills it, second is timed)
    embed.cache = True
    for f in frames:
        model.transform(f)
    model.transform(small)
    res["warm_cache_torch"], warm = run("warm", "torch", True, frames, True)
    res["warm_cache_identical_outputs"] = all(
        np.array_equal(a.sentences["theme_id"].to_numpy(), b.sentences["theme_id"].to_numpy())
        and np.allclose(a.sentences["sentiment_score"].to_numpy(), b.sentences["sentiment_score"].to_numpy(),
                        atol=1e-5) for a, b in zip(ref, warm, strict=True))
    # back-ends, cold, same frames; agreement with torch on what users see
    texts = [t for o in ref for t in o.sentences["text"].astype(str).tolist()]
    base = Encoder(embed.model, max_length=embed.max_length, backend="torch").encode(texts).embeddings
    res["backends"] = {}
    for backend in backends:
        try:
            r, outs = run(backend, backend, False, frames, True)
        except Exception as exc:  # noqa: BLE001 - report a missing extra, keep the rest
            res["backends"][backend] = {"error": str(exc)}
            continue
        emb = Encoder(embed.model, max_length=embed.max_length, backend=backend,
                      cache_dir=cache_dir).encode(texts).embeddings
        cos = (emb * base).sum(1)
        s_ref = np.concatenate([o.sentences["sentiment"].astype(str).to_numpy() for o in ref])
        s_new = np.concatenate([o.sentences["sentiment"].astype(str).to_numpy() for o in outs])
        t_ref = np.concatenate([o.sentences["theme_id"].to_numpy() for o in ref])
        t_new = np.concatenate([o.sentences["theme_id"].to_numpy() for o in outs])
        d_ref = np.concatenate([o.documents["sentiment"].astype(str).to_numpy() for o in ref])
        d_new = np.concatenate([o.documents["sentiment"].astype(str).to_numpy() for o in outs])
        r["agreement_with_torch"] = {
            "embedding_cosine_mean": round(float(cos.mean()), 5), "embedding_cosine_p01": round(float(
                np.quantile(cos, 0.01)), 5), "embedding_cosine_min": round(float(cos.min()), 5),
            "sentence_sentiment_label": round(float((s_ref == s_new).mean()), 4),
            "document_sentiment_label": round(float((d_ref == d_new).mean()), 4),
            "sentence_theme_id": round(float((t_ref == t_new).mean()), 4),
            "sentences": int(len(texts))}
        res["backends"][backend] = r
    return res


def w_threads(data_dir: str, n: int) -> dict[str, Any]:
    """torch intra-op threads 1 vs 2 on the same sentences, interleaved."""
    import torch

    from voc.encoder import Encoder

    texts = sample_docs(Path(data_dir), "airline_tweets", n, 0)["text"].tolist()
    e = Encoder(max_length=MAX_LENGTH)
    e.encode(texts[:64])
    out: dict[str, list[float]] = {"1": [], "2": []}
    for _ in range(2):
        for k in ("1", "2"):
            torch.set_num_threads(int(k))
            t0 = time.perf_counter()
            e.encode(texts)
            out[k].append(len(texts) / (time.perf_counter() - t0))
    return {k: round(max(v), 1) for k, v in out.items()} | {"texts": len(texts), "load_avg": load_avg()}


def w_spacy(data_dir: str, n: int) -> dict[str, Any]:
    """Segment-stage spaCy: senter with the shared tok2vec (before) vs senter alone (now)."""
    import spacy

    from voc.nlp import SPACY_MODEL, load_spacy

    texts = sample_docs(Path(data_dir), "clothing_reviews", n, 0)["text"].tolist()
    before = spacy.load(SPACY_MODEL, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "ner"])
    before.enable_pipe("senter")
    now = load_spacy("senter")
    out: dict[str, float] = {}
    same = True
    for name, nlp in (("with_tok2vec", before), ("senter_only", now)) * 2:
        t0 = time.perf_counter()
        sents = [[s.text for s in d.sents] for d in nlp.pipe(texts, batch_size=256)]
        out[name] = max(out.get(name, 0.0), round(len(texts) / (time.perf_counter() - t0), 1))
        out.setdefault("_ref", sents)  # type: ignore[arg-type]
        same &= sents == out["_ref"]
    out.pop("_ref")
    return {"docs_per_s": out, "identical_sentences": bool(same), "docs": len(texts),
            "speedup": round(out["senter_only"] / out["with_tok2vec"], 2)}


def w_scale(n_total: int, chunk: int, cache: bool, backend: str, cache_dir: str, out_dir: str,
            model_dir: str, n_fit: int) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import voc
    from voc.datasets import make_feedback

    t0 = time.perf_counter()
    if not Path(model_dir).is_dir():  # the first scale run fits the model, later ones reuse it
        fit = make_feedback(n=n_fit, random_state=12345)
        fitted = voc.Analyzer(mapping=voc.ColumnMapping(text="text", id="id"), overrides=["embed.cache=false"])
        fitted.fit_transform(fit[["id", "text"]])
        fitted.to_disk(model_dir)
    fit_s = time.perf_counter() - t0
    analyzer = voc.load(model_dir)
    embed = analyzer._build()["embed"]
    embed.cache, embed.backend, embed.cache_dir = cache, backend, cache_dir
    rss_after_fit = rss_mb()
    writer = None
    per_chunk: list[dict[str, Any]] = []
    done = sentences = uniq = 0
    t_all = time.perf_counter()
    for i in range(0, n_total, chunk):
        frame = make_feedback(n=min(chunk, n_total - i), random_state=i // chunk)[["id", "text"]]
        t1 = time.perf_counter()
        out = analyzer.transform(frame)
        dt = time.perf_counter() - t1
        table = pa.Table.from_pandas(out.documents[["doc_id", "sentiment", "sentiment_score"]].astype(
            {"doc_id": str, "sentiment": str}), preserve_index=False)
        writer = writer or pq.ParquetWriter(Path(out_dir) / "scored.parquet", table.schema)
        writer.write_table(table)
        done += len(frame)
        sentences += len(out.sentences)
        uniq += out.run["stages"]["embed"]["encoded_texts"]
        per_chunk.append({"docs": len(frame), "s": round(dt, 2), "rss_mb": rss_mb()})
        del out, frame, table
    if writer is not None:
        writer.close()
    total = time.perf_counter() - t_all
    rate = done / total
    return {"documents": done, "chunk": chunk, "cache": cache, "backend": backend, "fit_or_load_model_s": round(fit_s, 1),
            "score_s": round(total, 1), "docs_per_s": round(rate, 1), "sentences": sentences,
            "distinct_sentences_encoded": uniq, "rss_after_fit_mb": rss_after_fit,
            "rss_per_chunk_mb": [c["rss_mb"] for c in per_chunk], "chunk_s": [c["s"] for c in per_chunk],
            "peak_rss_mb": peak_rss_mb(), "extrapolated_1m_hours": round(1_000_000 / rate / 3600, 2),
            "load_avg_end": load_avg()}


WORKERS = {"st": w_st_encode, "voc_encode": w_voc_encode, "bertopic": w_bertopic, "scoring": w_scoring, "threads": w_threads,
           "spacy": w_spacy, "scale": w_scale}


# --- orchestration -----------------------------------------------------------------------
def machine() -> dict[str, Any]:
    vers = {}
    for pkg in ("voc", "torch", "transformers", "sentence-transformers", "spacy", "onnxruntime", "onnx", "bertopic",
                "hdbscan", "umap-learn", "numpy"):
        try:
            vers[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            vers[pkg] = "not installed"
    mem = "unknown"
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 ** 2:.1f} GB"
    except (OSError, StopIteration, ValueError):
        pass
    cpu = platform.processor() or "unknown"
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cpus": os.cpu_count(), "memory": mem, "gpu": "none", "versions": vers, "load_avg_at_start": load_avg(),
            "note": "shared machine: other engineers' tests ran concurrently; compare ratios measured in the same "
                    "run, not absolute times"}


def part_e2e(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> None:
    out: dict[str, Any] = {}
    # A machine's first voc run exports the ONNX graph and compiles numba's kernels
    # (both cached on disk); time that once here, outside the measured runs.
    warm = tmp / "warmup.csv"
    sample_docs(args.data_dir, "airline_tweets", 40, offset=14_000).to_csv(warm, index=False)
    first = analyze(warm, tmp / "out_warmup")
    out["first_run_on_machine_wall_s"] = {"documents": 40, "process_wall_s": first["process_wall_s"],
                                          "note": "includes one-off ONNX export and numba compilation if this "
                                                  "machine had not run voc before"}
    for name in DATASETS:
        docs = sample_docs(args.data_dir, name, args.n)
        f = tmp / f"{name}.csv"
        docs.to_csv(f, index=False)
        run_dir = tmp / f"out_{name}"
        voc_res = analyze(f, run_dir, "--set", f"embed.batch_size={BATCH}", "--set", f"embed.max_length={MAX_LENGTH}")
        run = json.loads((run_dir / "run.json").read_text())
        st = worker("st", sentences_file=str(run_dir / "sentences.parquet"), batch_size=BATCH, max_length=MAX_LENGTH)
        backend = run["stages"]["embed"]["backend"]
        own = worker("voc_encode", sentences_file=str(run_dir / "sentences.parquet"), batch_size=BATCH,
                     max_length=MAX_LENGTH, backend=backend, cache_dir=str(tmp / "cache"))
        t = run["timings_s"]
        n_docs, n_sent = run["counts"]["documents"], run["counts"]["sentences"]
        out[name] = {
            "documents": n_docs, "sentences": n_sent,
            "voc": {"pipeline_s": t["total"], "process_wall_s": voc_res["process_wall_s"],
                    "peak_rss_mb": voc_res["process_peak_rss_mb"], "docs_per_s": round(n_docs / t["total"], 1),
                    "sentences_per_s": round(n_sent / t["total"], 1), "stage_s": t,
                    "stage_share": {k: round(v / t["total"], 3) for k, v in t.items() if k != "total"},
                    "embed_sentences_per_s": run["stages"]["embed"]["sentences_per_s"],
                    "load_avg_before": voc_res["load_avg_before"], "load_avg_after": voc_res["load_avg_after"]},
            "voc_backend": backend,
            "sentence_transformers_encode": st,
            "voc_encoder_same_backend": own,
            "ratio_encoder_alone_over_voc_pipeline": round(st["encode_s"] / t["total"], 3),
            "ratio_same_backend_encoder_alone_over_voc_pipeline": round(own["encoder_alone"]["encode_s"] / t["total"],
                                                                         3),
            "non_encoder_stages_share": round(1 - t["embed"] / t["total"], 3),
            "ratio_encoder_alone_over_voc_embed_stage": round(st["encode_s"] / t["embed"], 3),
            "ratio_wall_incl_startup": round((st["encode_s"] + st["load_s"]) / voc_res["process_wall_s"], 3),
        }
        # the optional whole-document sentiment reading (embed.document_pass), same documents
        dp_dir = tmp / f"out_{name}_document_pass"
        analyze(f, dp_dir, "--set", f"embed.batch_size={BATCH}", "--set", f"embed.max_length={MAX_LENGTH}",
                "--set", "embed.document_pass=true")
        dp = json.loads((dp_dir / "run.json").read_text())
        out[name]["voc_document_pass"] = {
            "pipeline_s": dp["timings_s"]["total"], "embed_s": dp["timings_s"]["embed"],
            "documents_read_whole": dp["stages"]["embed"].get("documents_read_whole"),
            "pipeline_time_over_default": round(dp["timings_s"]["total"] / t["total"], 3),
            "embed_time_over_default": round(dp["timings_s"]["embed"] / t["embed"], 3)}
        results.setdefault("_runs", {})[name] = str(run_dir)
        print(f"e2e {name}: ratio {out[name]['ratio_encoder_alone_over_voc_pipeline']}", flush=True)
    out["goal"] = "ratio_encoder_alone_over_voc_pipeline >= 0.8"
    out["notes"] = ("voc pipeline_s is run.json timings_s.total (all stages incl. fitting themes and touchpoints); "
                    "process_wall_s adds Python start-up, model loads and writing outputs + report.html. The encoder "
                    f"baseline encodes voc's own sentences (sentences.parquet) with batch_size={BATCH}, "
                    f"max_seq_length={MAX_LENGTH}, in its own process. voc ran with embed.cache=false (cold) and its "
                    "default back-end (voc_backend). voc_encoder_same_backend times voc's Encoder on the same "
                    "sentences and back-end, alone and with the sentiment branch (layers 3-6 off layer 2), so the "
                    "ratios separate the back-end's speed from the stages' cost. voc_document_pass reruns voc with "
                    "embed.document_pass=true (sentiment also reads each multi-clause document whole) and compares "
                    "its time with the default run's.")
    results["e2e"] = out


def part_bertopic(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> None:
    out: dict[str, Any] = {}
    e2e = results.get("e2e", {})
    for name in DATASETS:
        f = tmp / f"{name}.csv"
        if not f.exists():
            sample_docs(args.data_dir, name, args.n).to_csv(f, index=False)
        b = worker("bertopic", docs_file=str(f))
        v = e2e.get(name, {}).get("voc", {})
        out[name] = {"documents": b["documents"], "bertopic_defaults": b,
                     "voc_process_wall_s": v.get("process_wall_s"), "voc_peak_rss_mb": v.get("peak_rss_mb"),
                     "bertopic_process_wall_s": b["process_wall_s"], "bertopic_peak_rss_mb": b["process_peak_rss_mb"]}
        if v:
            out[name]["voc_throughput_over_bertopic"] = round(b["process_wall_s"] / v["process_wall_s"], 3)
            out[name]["voc_pipeline_over_bertopic_fit"] = round(b["fit_transform_s"] / v["pipeline_s"], 3)
        print(f"bertopic {name}: {out[name].get('voc_throughput_over_bertopic')}", flush=True)
    out["goal"] = "voc_throughput_over_bertopic >= 2"
    out["notes"] = ("Both in fresh processes on the same documents and the same packaged all-MiniLM-L6-v2. BERTopic "
                    "embeds whole documents (max_seq_length 256) and clusters documents; voc embeds sentences/clauses "
                    "(max_length 128), clusters sentences and also produces sentiment, touchpoints, drivers and "
                    "report.html. Clustering quality on labeled sets (same embeddings): see "
                    "benchmarks/results/themes.json 'quality'.")
    try:
        themes = json.loads((REPO / "benchmarks" / "results" / "themes.json").read_text())
        out["quality_from_themes_benchmark"] = {
            k: {"voc_v_measure": q["voc"]["v_measure"], "voc_outlier_share": q["voc"]["outlier_share"],
                "bertopic_v_measure": q["bertopic_defaults"]["v_measure"],
                "bertopic_outlier_share": q["bertopic_defaults"]["outlier_share"],
                "voc_theme_stage_s": q["voc"]["seconds"], "bertopic_clustering_s": q["bertopic_defaults"]["seconds"]}
            for k, q in themes["quality"].items() if "bertopic_defaults" in q}
    except (OSError, KeyError, ValueError):
        pass
    results["bertopic"] = out


def part_scoring(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> None:
    model = tmp / "out_airline_tweets" / "model"
    if not model.is_dir():
        f = tmp / "airline_tweets.csv"
        sample_docs(args.data_dir, "airline_tweets", args.n).to_csv(f, index=False)
        analyze(f, tmp / "out_airline_tweets")
    res = worker("scoring", model_dir=str(model), data_dir=str(args.data_dir), offset=args.n, batch=args.score_batch,
                 reps_small=args.reps_small, reps_large=args.reps_large, backends=args.backends,
                 cache_dir=str(tmp / "cache"))
    res["goal"] = f"batch_{args.score_batch} docs_per_s >= 1000"
    res["notes"] = ("Model fitted on the e2e airline sample; scored documents are other tweets of the same set. "
                    "cold = embed.cache=false; warm = the same documents scored before with the cache on. "
                    "first_call_s is the first transform after voc.load (loads the encoder, spaCy, the sentiment "
                    "head; for onnx back-ends it includes the one-off export/quantisation into the cache dir).")
    results["scoring"] = res


def part_scale(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> None:
    out: dict[str, Any] = {}
    for tag, cache, backend in (("cold_onnx_default", False, "onnx"), ("cold_torch", False, "torch"),
                                ("cold_onnx_int8", False, "onnx-int8")):
        if backend not in ("torch", "onnx", *args.backends):
            continue
        try:
            out[tag] = worker("scale", n_total=args.scale_n, chunk=args.scale_chunk, cache=cache, backend=backend,
                              cache_dir=str(tmp / "cache"), out_dir=str(tmp), model_dir=str(tmp / "scale_model"),
                              n_fit=args.scale_fit)
        except RuntimeError as exc:
            out[tag] = {"error": str(exc)[-500:]}
        print(f"scale {tag}: {out[tag].get('docs_per_s')} docs/s, peak {out[tag].get('process_peak_rss_mb')} MB",
              flush=True)
    out["goal"] = "1M documents streamed through scoring with peak RSS < 4 GB"
    out["notes"] = (f"{args.scale_n:,} make_feedback documents (not 1M: at this machine's speed 1M would take the "
                    "hours given in extrapolated_1m_hours), in chunks, each chunk's documents appended to one Parquet "
                    f"file. Time extrapolates linearly (per-chunk times are flat); memory does not grow with N "
                    "(rss_per_chunk_mb), so the measured peak is the 1M peak. The model is fitted on other "
                    f"make_feedback documents ({args.scale_fit:,}).")
    try:
        themes = json.loads((REPO / "benchmarks" / "results" / "themes.json").read_text())
        out["theme_fit_200k_sentences"] = {"source": "benchmarks/results/themes.json scale.runs (not rerun here)",
                                           **next(r for r in themes["scale"]["runs"] if r["n_sentences"] == 200_000)}
    except (OSError, KeyError, ValueError, StopIteration):
        pass
    results["scale"] = out


def part_components(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> None:
    results["components"] = {"spacy_segment": worker("spacy", data_dir=str(args.data_dir), n=min(args.n, 2000)),
                             "torch_threads_sentences_per_s": worker("threads", data_dir=str(args.data_dir),
                                                                     n=min(args.n, 1000))}


def part_theme_share(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> None:
    """Issue 17's floor: the theme stage's share of ``voc analyze`` on the airline tweets, at
    growing sizes up to the whole file. Labels parse a bounded number of sentences
    (``themes.label_budget``), so the share falls as the file grows."""
    out: dict[str, Any] = {}
    for n in args.share_sizes:
        docs = sample_docs(args.data_dir, "airline_tweets", n)
        f = tmp / f"share_{n}.csv"
        docs.to_csv(f, index=False)
        run_dir = tmp / f"out_share_{n}"
        res = analyze(f, run_dir)
        run = json.loads((run_dir / "run.json").read_text())
        t = run["timings_s"]
        out[str(len(docs))] = {"documents": run["counts"]["documents"], "sentences": run["counts"]["sentences"],
                               "pipeline_s": t["total"], "themes_s": t["themes"], "embed_s": t["embed"],
                               "themes_share": round(t["themes"] / t["total"], 3),
                               "stage_share": {k: round(v / t["total"], 3) for k, v in t.items() if k != "total"},
                               "process_wall_s": res["process_wall_s"], "peak_rss_mb": res["process_peak_rss_mb"],
                               "load_avg_before": res["load_avg_before"], "load_avg_after": res["load_avg_after"]}
        print(f"theme_share airline {len(docs)}: {out[str(len(docs))]['themes_share']}", flush=True)
    out["goal"] = "themes_share <= 0.25 (issue 17) on the airline tweets"
    out["notes"] = ("voc analyze, cold (embed.cache=false), default settings, one fresh process per size; the whole "
                    "file is the last size. Theme labels parse at most themes.label_budget sentences with spaCy, "
                    "and UMAP + HDBSCAN run on at most themes.max_fit_sentences, while embedding grows with the file.")
    results["theme_share"] = out


PARTS = {"e2e": part_e2e, "bertopic": part_bertopic, "scoring": part_scoring, "scale": part_scale,
         "components": part_components, "theme_share": part_theme_share}


def summary(r: dict[str, Any]) -> dict[str, Any]:
    """Goals of issue 9, met or not, from the figures above (nothing new is measured)."""
    out: dict[str, Any] = {}
    e2e = {k: v for k, v in r.get("e2e", {}).items() if isinstance(v, dict) and "voc" in v}
    if e2e:
        ratios = {k: v["ratio_encoder_alone_over_voc_pipeline"] for k, v in e2e.items()}
        out["voc_vs_bare_encoder"] = {
            "ratio": ratios, "goal": 0.8, "met": all(x >= 0.8 for x in ratios.values()),
            "embed_stage_vs_encoder_alone": {k: v["ratio_encoder_alone_over_voc_embed_stage"] for k, v in e2e.items()},
            "voc_backend": {k: v.get("voc_backend") for k, v in e2e.items()},
            "ratio_same_backend": {k: v.get("ratio_same_backend_encoder_alone_over_voc_pipeline")
                                   for k, v in e2e.items()},
            "non_encoder_stages_share": {k: v.get("non_encoder_stages_share") for k, v in e2e.items()},
            "sentiment_branch_share_of_pass": {k: v.get("voc_encoder_same_backend", {})
                                               .get("sentiment_branch_share_of_pass") for k, v in e2e.items()},
            "cause": {k: {s: v["voc"]["stage_share"][s] for s in ("embed", "themes", "touchpoints", "segment")}
                      for k, v in e2e.items()},
            "document_pass_time_over_default": {k: v.get("voc_document_pass", {}).get("pipeline_time_over_default")
                                                for k, v in e2e.items()}}
    b = {k: v for k, v in r.get("bertopic", {}).items() if isinstance(v, dict) and "bertopic_defaults" in v}
    if b:
        x = {k: v.get("voc_throughput_over_bertopic") for k, v in b.items()}
        out["voc_vs_bertopic"] = {"throughput_ratio": x, "goal": 2.0,
                                  "met": all(v is not None and v >= 2 for v in x.values()),
                                  "peak_rss_mb": {k: {"voc": v["voc_peak_rss_mb"], "bertopic": v["bertopic_peak_rss_mb"]}
                                                  for k, v in b.items()}}
    sc = r.get("scoring", {})
    if sc:
        key = f"batch_{sc.get('batch_large')}"
        rows = {"cold_torch": sc["cold_torch"], "warm_cache_torch": sc["warm_cache_torch"],
                **{f"cold_{k}": v for k, v in sc.get("backends", {}).items() if "error" not in v}}
        out["scoring"] = {"docs_per_s": {k: v[key]["docs_per_s"] for k, v in rows.items()}, "goal": 1000,
                          "met_for_known_text": sc["warm_cache_torch"][key]["docs_per_s"] >= 1000,
                          "met_for_new_text": any(v[key]["docs_per_s"] >= 1000 for k, v in rows.items()
                                                  if k != "warm_cache_torch"),
                          "batch_1_p50_ms": {k: v["batch_1"]["p50_ms"] for k, v in rows.items() if "batch_1" in v},
                          "cache_speedup": round(sc["warm_cache_torch"][key]["docs_per_s"]
                                                 / sc["cold_torch"][key]["docs_per_s"], 1)}
    sl = r.get("scale", {})
    runs = {k: v for k, v in sl.items() if isinstance(v, dict) and "peak_rss_mb" in v and "documents" in v}
    if runs:
        out["scale"] = {"peak_rss_mb": {k: v["process_peak_rss_mb"] for k, v in runs.items()}, "goal_rss_mb": 4096,
                        "rss_met": all(v["process_peak_rss_mb"] < 4096 for v in runs.values()),
                        "documents_measured": {k: v["documents"] for k, v in runs.items()},
                        "extrapolated_1m_hours": {k: v["extrapolated_1m_hours"] for k, v in runs.items()}}
    ts = {k: v for k, v in r.get("theme_share", {}).items() if isinstance(v, dict) and "themes_share" in v}
    if ts:
        whole = ts[max(ts, key=int)]
        out["theme_share"] = {"themes_share": {k: v["themes_share"] for k, v in ts.items()}, "goal": 0.25,
                              "met_on_whole_file": whole["themes_share"] <= 0.25}
    comp = r.get("components", {})
    if comp:
        t = comp.get("torch_threads_sentences_per_s", {})
        out["components"] = {"spacy_senter_only_speedup": comp.get("spacy_segment", {}).get("speedup"),
                             "torch_threads_sentences_per_s": {k: t.get(k) for k in ("1", "2")},
                             "torch_threads_load_avg": t.get("load_avg")}
    return out


def relativise(obj: Any, tmp: Path, data_dir: Path) -> Any:
    """No machine-absolute path leaves this script."""
    if isinstance(obj, dict):
        return {k: relativise(v, tmp, data_dir) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [relativise(v, tmp, data_dir) for v in obj]
    if isinstance(obj, str):
        return (obj.replace(str(tmp), "<tmp>").replace(str(data_dir), "<data>").replace(str(REPO), ".")
                .replace(str(Path.home()), "~"))
    return obj


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="documents per data set (default 300: a few minutes per part "
                    "on a busy 2-core machine; use --n 10000 on a quiet one)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--score-batch", type=int, default=1000)
    ap.add_argument("--reps-large", type=int, default=2, help="timed batches of --score-batch per mode")
    ap.add_argument("--reps-small", type=int, default=40, help="timed batches of 1 per mode")
    ap.add_argument("--backends", default="onnx,onnx-int8")
    ap.add_argument("--share-sizes", type=lambda v: [int(x) for x in v.split(",")], default=[1_000, 4_000, 20_000],
                    help="airline tweets per theme_share run (more than the file holds = the whole file)")
    ap.add_argument("--scale-n", type=int, default=4_000, help="make_feedback documents scored in the scale part")
    ap.add_argument("--scale-chunk", type=int, default=2_000)
    ap.add_argument("--scale-fit", type=int, default=1_000, help="make_feedback documents the scale model is fitted on")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--keep", action="store_true", help="keep the temporary run directory")
    ap.add_argument("--summarize", action="store_true", help="only recompute the summary of the results file")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-args", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.summarize:
        res = json.loads(args.out.read_text())
        res["summary"] = summary(res)
        args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(res["summary"], indent=2))
        return 0
    if args.worker:
        res = WORKERS[args.worker](**json.loads(args.worker_args))
        print(json.dumps(res), flush=True)
        return 0
    args.backends = [b for b in args.backends.split(",") if b]
    parts = [p for p in args.parts.split(",") if p]
    results: dict[str, Any] = {"machine": machine(),
                               "command": "python benchmarks/throughput.py " + " ".join(argv or sys.argv[1:]),
                               "n_docs_per_dataset": args.n,
                               "datasets": {k: f"../shared/data/{v[0]} (column {v[1]!r})" for k, v in DATASETS.items()}}
    tmp = Path(tempfile.mkdtemp(prefix="voc-throughput-"))
    t0 = time.perf_counter()
    try:
        for p in parts:
            PARTS[p](args, tmp, results)
    finally:
        results["benchmark_wall_s"] = round(time.perf_counter() - t0, 1)
        results["machine"]["load_avg_at_end"] = load_avg()
        clean = relativise(results, tmp, args.data_dir.resolve())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        old = json.loads(args.out.read_text()) if args.out.exists() else {}
        if set(parts) != set(PARTS):  # a partial rerun keeps the other parts' last results
            clean = {**old, **clean}
        clean["summary"] = summary(clean)
        args.out.write_text(json.dumps(clean, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
