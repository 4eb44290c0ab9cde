"""Benchmark of voc.customers.outcomes: 95% interval coverage and bias on planted effects.

    python benchmarks/outcomes.py [--reps 500] [--units 5000] [--seed 20] [--out benchmarks/results/outcomes.json]

Issue #20 asks for "95% interval coverage between 93% and 97%, bias reported". Every
scenario draws ``--reps`` seeded populations of ``--units`` customers with six issues
(prevalence 2-30%) whose true effects are known in closed form, runs outcome_effects and
counts the intervals that contain the truth:

a. ``binary``: churn = channel base rate + a planted risk difference per issue (linear
   probability, so the additive effects are exact), issues independent of channel. The
   raw risk difference (Newcombe) then estimates the planted effect itself, and so does
   the adjusted difference; the relative risk (Katz) is checked against the exact ratio.
b. ``value``: a lognormal (sigma 1, heavily skewed) value multiplied by (1 + gamma) per
   issue raised; Welch's difference and the ratio of means against their exact values.
c. ``confounded``: as (a) but phone customers both churn more and raise every issue more
   often. The adjusted difference (HC3, controls = channel) is checked against the planted
   effect; the raw difference against the marginal difference it estimates (computed
   exactly over channels), and its bias against the planted effect shows the confounding.
d. ``customers``: scenario (a) written as documents (1-5 messages per customer in shuffled
   file order, an issue mentioned in a random subset of its raiser's messages, agents'
   replies naming random issues, earlier messages carrying a stale "no" churn flag) and
   taken through coerce_outcomes and unit_outcomes: the end-to-end path must keep the
   coverage of (a).

Coverage is reported per issue and pooled over issues, with its Monte Carlo standard error
(500 replicates: +/- 1 point per issue, 0.4 pooled); bias is the mean of estimate - truth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voc.customers.outcomes import OutcomeSpec, Units, coerce_outcomes, outcome_effects, unit_outcomes  # noqa: E402

CHANNELS = np.array(["email", "phone", "chat"])
P_CHANNEL = np.array([0.5, 0.3, 0.2])
PREVALENCE = np.array([0.02, 0.05, 0.10, 0.15, 0.22, 0.30])
RISK_DIFF = np.array([0.15, 0.10, 0.05, 0.0, -0.03, 0.02])  # planted churn risk differences
CHURN_BASE = np.array([0.08, 0.14, 0.10])  # by channel
VALUE_GAMMA = np.array([-0.30, -0.20, -0.10, 0.0, 0.10, -0.05])  # value multiplied by 1 + gamma
VALUE_MU, VALUE_SIGMA = np.log(200.0), 1.0
# confounded scenario: issue prevalence multiplier and churn base rate by channel
CONF_MULT = np.array([0.6, 1.8, 1.0])
CONF_BASE = np.array([0.06, 0.20, 0.10])
CHURNED = OutcomeSpec("churned", "Churn", "binary")
VALUE = OutcomeSpec("value", "Value", "number")


def _rng(seed: int, scenario: int, rep: int) -> np.random.Generator:
    return np.random.default_rng([seed, scenario, rep])


def _population(rng: np.random.Generator, n: int, mult: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(channel index, n × 6 issue presence); issues independent given the channel."""
    ch = rng.choice(3, size=n, p=P_CHANNEL)
    p = PREVALENCE[None, :] * (mult[ch][:, None] if mult is not None else 1.0)
    return ch, rng.random((n, PREVALENCE.size)) < p


def _units(table: dict[str, np.ndarray], members: np.ndarray, ch: np.ndarray) -> Units:
    frame = pd.DataFrame({"unit": np.arange(members.shape[0]), **table, "channel": CHANNELS[ch]})
    return Units(frame, sparse.csr_matrix(members), [("issue", j) for j in range(members.shape[1])], ["channel"])


def truth_binary(base: np.ndarray, mult: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Exact marginal risk difference and ratio per issue, P(churn | raised) vs not, under the
    additive model with issues independent given the channel (by enumeration over channels)."""
    m = np.ones(3) if mult is None else mult
    p = PREVALENCE[None, :] * m[:, None]  # channel × issue
    diff, ratio = np.empty(PREVALENCE.size), np.empty(PREVALENCE.size)
    for j in range(PREVALENCE.size):
        others = base + (p * RISK_DIFF[None, :]).sum(axis=1) - p[:, j] * RISK_DIFF[j]  # E[churn | c] without j
        w1, w0 = P_CHANNEL * p[:, j], P_CHANNEL * (1 - p[:, j])
        r1 = (w1 * (others + RISK_DIFF[j])).sum() / w1.sum()
        r0 = (w0 * others).sum() / w0.sum()
        diff[j], ratio[j] = r1 - r0, r1 / r0
    return {"difference": diff, "ratio": ratio, "adjusted": RISK_DIFF.copy()}


def truth_value() -> dict[str, np.ndarray]:
    """Exact difference and ratio of mean value, raised vs not (issues independent)."""
    mean_l = float((P_CHANNEL * np.exp(VALUE_MU + VALUE_SIGMA**2 / 2)).sum())
    factor = 1 + VALUE_GAMMA * PREVALENCE  # E[(1 + gamma)^A] per issue
    rest = np.prod(factor) / factor
    return {"difference": mean_l * VALUE_GAMMA * rest, "ratio": 1 + VALUE_GAMMA}


def draw_binary(rng: np.random.Generator, n: int, confounded: bool) -> Units:
    ch, a = _population(rng, n, CONF_MULT if confounded else None)
    base = (CONF_BASE if confounded else CHURN_BASE)[ch]
    churn = rng.random(n) < base + a @ RISK_DIFF
    return _units({"churned": churn.astype(float)}, a, ch)


def draw_value(rng: np.random.Generator, n: int) -> Units:
    ch, a = _population(rng, n)
    value = np.exp(VALUE_MU + VALUE_SIGMA * rng.standard_normal(n)) * np.prod(np.where(a, 1 + VALUE_GAMMA, 1.0), axis=1)
    return _units({"value": value}, a, ch)


def draw_documents(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Scenario (a) as a documents frame with the traps of real conversation data."""
    ch, a = _population(rng, n)
    churn = rng.random(n) < CHURN_BASE[ch] + a @ RISK_DIFF
    k = rng.integers(1, 6, size=n)  # messages per customer
    cust = np.repeat(np.arange(n), k)
    order = np.concatenate([np.arange(m) for m in k])
    last = order == np.repeat(k - 1, k)
    # each raised issue goes to one random message of its raiser, plus each other message with p = 0.3
    pick = rng.integers(0, np.repeat(k, PREVALENCE.size).reshape(n, -1))
    mention = (a[cust] & ((pick[cust] == order[:, None]) | (rng.random((cust.size, PREVALENCE.size)) < 0.3)))
    ids = [list(np.flatnonzero(r)) or [-1] for r in mention]
    flag = np.where(last, np.where(churn[cust], "yes", "no"), np.where(rng.random(cust.size) < 0.5, "no", ""))
    docs = pd.DataFrame({"customer": [f"c{c}" for c in cust], "author_role": "customer", "theme_ids": ids,
                         "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(order * 24 + rng.random(cust.size),
                                                                               unit="h"),
                         "channel": CHANNELS[ch[cust]], "Churn": flag})
    agents = docs.sample(frac=0.5, random_state=rng.integers(2**31))  # replies that name an issue the customer may not
    agents = agents.assign(author_role="agent", Churn="",
                           theme_ids=[[int(v)] for v in rng.integers(0, PREVALENCE.size, size=len(agents))])
    docs = pd.concat([docs, agents], ignore_index=True).sample(frac=1.0, random_state=rng.integers(2**31))
    return docs.reset_index(drop=True).assign(line=lambda d: np.arange(len(d)) + 2)


def _estimates(e: pd.DataFrame, outcome: str, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = e[e["outcome"] == outcome].sort_values("key")
    low, high = {"difference": ("difference_ci_low", "difference_ci_high"), "ratio": ("ratio_ci_low", "ratio_ci_high"),
                 "adjusted": ("adjusted_ci_low", "adjusted_ci_high")}[column]
    est = r["adjusted_difference" if column == "adjusted" else column]
    return est.to_numpy(float), r[low].to_numpy(float), r[high].to_numpy(float)


def summarise(est: np.ndarray, low: np.ndarray, high: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """Coverage, bias and width per issue (reps × issues arrays) and pooled."""
    ok = ~np.isnan(low) & ~np.isnan(high)
    cover = (low <= truth) & (truth <= high)
    reps = ok.sum(axis=0)
    per = [{"issue": j, "prevalence": float(PREVALENCE[j]), "truth": round(float(truth[j]), 5),
            "coverage": round(float(cover[ok[:, j], j].mean()), 4),
            "coverage_mc_se": round(float(np.sqrt(cover[ok[:, j], j].mean() * (1 - cover[ok[:, j], j].mean())
                                                  / max(reps[j], 1))), 4),
            "bias": round(float(np.nanmean(est[:, j]) - truth[j]), 5),
            "mean_width": round(float(np.nanmean(high[:, j] - low[:, j])), 5), "reps_estimated": int(reps[j])}
           for j in range(truth.size)]
    pooled = float(cover[ok].mean())
    se = float(np.sqrt(pooled * (1 - pooled) / ok.sum()))
    return {"coverage_pooled": round(pooled, 4), "coverage_pooled_mc_se": round(se, 4),
            "coverage_min_issue": min(p["coverage"] for p in per),
            "coverage_max_issue": max(p["coverage"] for p in per),
            "within_93_97_pooled": bool(0.93 <= pooled <= 0.97),
            "mean_abs_bias": round(float(np.mean([abs(p["bias"]) for p in per])), 5), "per_issue": per}


def run(name: str, scenario: int, reps: int, n: int, seed: int, draw, outcome: str, specs: list[OutcomeSpec],
        checks: dict[str, np.ndarray], extra: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """``reps`` replicates of ``draw``; per estimator in ``checks`` (name → truth) the summary."""
    t0 = time.time()
    cols = {c: np.empty((reps, PREVALENCE.size, 3)) for c in checks}
    units_seen = []
    for r in range(reps):
        units = draw(_rng(seed, scenario, r), n)
        if isinstance(units, pd.DataFrame):  # documents: the end-to-end path
            docs, resolved, _ = coerce_outcomes(units, specs)
            units = unit_outcomes(docs, resolved, "customer")
        units_seen.append(len(units.table))
        e = outcome_effects(units, specs)
        for c in checks:
            cols[c][r] = np.column_stack(_estimates(e, outcome, c))
    out: dict[str, Any] = {"reps": reps, "units": int(np.mean(units_seen)), "outcome": outcome, "estimators": {}}
    for c, truth in checks.items():
        est, low, high = (cols[c][..., i] for i in range(3))
        out["estimators"][c] = summarise(est, low, high, truth)
    for label, truth in (extra or {}).items():  # bias of an estimator against another target
        c = label.split(":")[0]
        out[f"bias_{label.replace(':', '_vs_')}"] = [round(float(v), 5) for v in np.nanmean(cols[c][..., 0], axis=0)
                                                     - truth]
    out["seconds"] = round(time.time() - t0, 1)
    print(f"{name}: " + ", ".join(f"{c} {s['coverage_pooled']:.3f}" for c, s in out["estimators"].items())
          + f" ({out['seconds']}s)", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--units", type=int, default=5000, help="customers per replicate")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "outcomes.json")
    args = ap.parse_args(argv)
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit = git.stdout.strip()
    result: dict[str, Any] = {
        "benchmark": "outcomes",
        "command": " ".join(["python benchmarks/outcomes.py", *(sys.argv[1:] if argv is None else argv)]),
        "seed": args.seed, "voc_commit": commit,
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "numpy": np.__version__, "pandas": pd.__version__},
        "model": {"channels": CHANNELS.tolist(), "p_channel": P_CHANNEL.tolist(), "prevalence": PREVALENCE.tolist(),
                  "risk_difference": RISK_DIFF.tolist(), "churn_base_by_channel": CHURN_BASE.tolist(),
                  "value_gamma": VALUE_GAMMA.tolist(), "value_lognormal_mu_sigma": [float(VALUE_MU), VALUE_SIGMA],
                  "confounded_prevalence_multiplier": CONF_MULT.tolist(),
                  "confounded_churn_base": CONF_BASE.tolist()},
        "note": "coverage = share of 95% intervals containing the exact population value; bias = mean(estimate) - "
                "truth; Monte Carlo SE of a coverage near 0.95 is about sqrt(0.95*0.05/reps)",
    }
    t0 = time.time()
    tb, tv, tc = truth_binary(CHURN_BASE), truth_value(), truth_binary(CONF_BASE, CONF_MULT)
    n, reps, seed = args.units, args.reps, args.seed
    result["binary"] = run("binary", 1, reps, n, seed, lambda g, n: draw_binary(g, n, False), "churned", [CHURNED],
                           {"difference": tb["difference"], "ratio": tb["ratio"], "adjusted": tb["adjusted"]})
    result["value"] = run("value", 2, reps, n, seed, draw_value, "value", [VALUE],
                          {"difference": tv["difference"], "ratio": tv["ratio"]})
    result["confounded"] = run("confounded", 3, reps, n, seed, lambda g, n: draw_binary(g, n, True), "churned",
                               [CHURNED], {"adjusted": tc["adjusted"], "difference": tc["difference"]},
                               extra={"difference:planted": RISK_DIFF})
    result["customers"] = run("customers", 4, reps, n, seed, draw_documents, "churned", [CHURNED],
                              {"difference": tb["difference"], "adjusted": tb["adjusted"]})
    keys = ("coverage_pooled", "coverage_min_issue", "coverage_max_issue", "mean_abs_bias")
    result["summary"] = {f"{sc}.{est}": {k: v[k] for k in keys}
                         for sc in ("binary", "value", "confounded", "customers")
                         for est, v in result[sc]["estimators"].items()}
    result["seconds_total"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
