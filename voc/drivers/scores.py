"""Score metrics as means of a per-row transform.

Every CX score voc reports is the mean of a per-respondent value ``y = f(x)``: NPS is
the mean of +100 (promoter 9-10), 0 (passive) and -100 (detractor 0-6), a top-2-box
share is the mean of 100·[x in the top two points], a mean is the mean of ``x``. Writing
them that way lets one set of formulas (means, differences of means, their influence
functions and bootstrap) serve every score kind, and makes the analytic variance of any
metric simply ``var(y) / n``; for NPS that is the textbook
``10^4·[p(1-p) + d(1-d) + 2pd] / n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from voc.errors import ConfigError
from voc.io.mapping import ScoreSpec

#: The metric each score kind is ranked by in the drivers table unless told otherwise.
PRIMARY_METRIC: dict[str, str] = {"nps": "nps", "csat": "top2box", "ces": "mean", "stars": "mean", "custom": "mean"}

#: Every metric reported per score kind (the overall summary).
KIND_METRICS: dict[str, tuple[str, ...]] = {
    "nps": ("nps", "promoters", "detractors", "mean"),
    "csat": ("top2box", "mean"),
    "ces": ("mean", "top2box"),
    "stars": ("mean", "bottom2box", "top2box"),
    "custom": ("mean",),
}


@dataclass(frozen=True)
class Metric:
    """A score metric: its name, per-row transform, whether higher values are better and
    the range of the transformed values (None when the score has no declared range)."""

    name: str
    transform: Callable[[np.ndarray], np.ndarray]
    higher_is_better: bool
    bounds: tuple[float, float] | None = None

    def values(self, x: np.ndarray) -> np.ndarray:
        """Per-row values whose mean is the metric; NaN stays NaN (row not scored)."""
        x = np.asarray(x, dtype=float)
        out = np.full(x.shape, np.nan)
        ok = ~np.isnan(x)
        out[ok] = self.transform(x[ok])
        return out


def _bounds(spec: ScoreSpec) -> tuple[float, float]:
    lo, hi = spec.bounds()
    return (float(lo) if lo is not None else np.nan, float(hi) if hi is not None else np.nan)


def metric(spec: ScoreSpec, name: str | None = None) -> Metric:
    """The :class:`Metric` ``name`` (default: the kind's primary metric) of score ``spec``.

    Top/bottom-2-box use the declared range (top two points of 1-5 are 4 and 5); a custom
    score without a range only supports ``mean``.
    """
    name = name or PRIMARY_METRIC.get(spec.kind, "mean")
    lo, hi = _bounds(spec)
    better = spec.higher_is_better
    if name == "nps":
        return Metric("nps", lambda x: 100.0 * ((x >= 9).astype(float) - (x <= 6).astype(float)), True, (-100.0, 100.0))
    if name == "promoters":
        return Metric("promoters", lambda x: 100.0 * (x >= 9), True, (0.0, 100.0))
    if name == "detractors":
        return Metric("detractors", lambda x: 100.0 * (x <= 6), False, (0.0, 100.0))
    if name == "mean":
        rng = None if np.isnan(lo) or np.isnan(hi) else (lo, hi)
        return Metric("mean", lambda x: x, better, rng)
    if name in ("top2box", "bottom2box"):
        if np.isnan(lo) or np.isnan(hi):
            raise ConfigError(f"score {spec.label!r}: {name} needs a declared range (low and high)")
        if name == "top2box":
            return Metric("top2box", lambda x: 100.0 * (x >= hi - 1), better, (0.0, 100.0))
        return Metric("bottom2box", lambda x: 100.0 * (x <= lo + 1), not better, (0.0, 100.0))
    raise ConfigError(f"score {spec.label!r}: unknown metric {name!r}; use one of nps, promoters, detractors, "
                      "mean, top2box, bottom2box")


def out_of_range(spec: ScoreSpec, x: np.ndarray) -> np.ndarray:
    """Mask of scored rows outside the declared range (they are set to NaN, not clipped)."""
    lo, hi = _bounds(spec)
    x = np.asarray(x, dtype=float)
    bad = np.zeros(x.shape, dtype=bool)
    if not np.isnan(lo):
        bad |= x < lo
    if not np.isnan(hi):
        bad |= x > hi
    return bad & ~np.isnan(x)


def score_column(docs: "pd.DataFrame", spec: ScoreSpec) -> tuple[np.ndarray, int] | None:
    """A mapped score's values per document row (the renamed ``label`` column, else the
    raw ``column``), with values outside the declared range set to NaN; also how many
    were. None when the frame has neither column. Drivers and sentiment adaptation read
    scores through this one door, so both see the same values."""
    import pandas as pd

    col = spec.label if spec.label in docs.columns else spec.column
    if col not in docs.columns:
        return None
    x = pd.to_numeric(docs[col], errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    bad = out_of_range(spec, x)
    return np.where(bad, np.nan, x), int(bad.sum())


def mean_and_se(y: np.ndarray) -> tuple[float, float, int]:
    """Mean of the non-NaN values, its analytic standard error sqrt(var/n), and n.

    Uses the plug-in variance (divisor n) so that for NPS it is exactly the textbook
    ``10^4·[p(1-p)+d(1-d)+2pd]/n``.
    """
    y = np.asarray(y, dtype=float)
    y = y[~np.isnan(y)]
    n = y.size
    if n == 0:
        return (np.nan, np.nan, 0)
    return (float(y.mean()), float(np.sqrt(y.var() / n)), n)


def nps(x: np.ndarray) -> float:
    """Net Promoter Score (-100..100) of 0-10 answers, NaN ignored."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return np.nan
    return float(100.0 * (np.mean(x >= 9) - np.mean(x <= 6)))


def nps_variance(x: np.ndarray) -> float:
    """Analytic variance of the NPS estimate: 10^4·[p(1-p) + d(1-d) + 2pd] / n."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return np.nan
    p, d = np.mean(x >= 9), np.mean(x <= 6)
    return float(1e4 * (p * (1 - p) + d * (1 - d) + 2 * p * d) / n)


def summarize(spec: ScoreSpec, x: np.ndarray, z: float = 1.959963984540054) -> list[dict[str, float | str | int]]:
    """Every metric of the score's kind over ``x``: value, analytic SE and 95% interval."""
    rows: list[dict[str, float | str | int]] = []
    for name in KIND_METRICS.get(spec.kind, ("mean",)):
        try:
            m = metric(spec, name)
        except ConfigError:
            continue
        value, se, n = mean_and_se(m.values(x))
        rows.append({"score": spec.label, "kind": spec.kind, "metric": name, "n": n, "value": value, "se": se,
                     "ci_low": value - z * se, "ci_high": value + z * se})
    return rows
