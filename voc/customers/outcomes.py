"""Outcomes beyond scores: which issues and touchpoints go with churn, lost value or long waits.

A CX team asks not only "which issues lower the NPS" but "are the customers who raised
this issue the ones who leave, and what is that worth". Per customer (or per document)
voc knows what was raised; an outcome column (churned, value, hours...) says what
happened. Per outcome × issue or touchpoint this module gives the raw comparison of the
units that raised it with those that did not (risk difference with Newcombe's interval
and relative risk with Katz's for yes/no outcomes; Welch's difference and the ratio of
means for numbers), an adjusted difference from one linear model of the outcome on every
key at once plus the channel and segment mix (as the key driver model does for scores),
and, given a yes/no outcome and a value, the value at risk.

All of it is association among the units observed, not a causal estimate: customers who
raise an issue may differ from the rest in ways no control captures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse, stats
from threadpoolctl import threadpool_limits

from voc.customers.repeat import wilson
from voc.drivers.impact import bh_qvalues
from voc.drivers.keydriver import _ols_hc3, control_matrix, vif
from voc.errors import ConfigError
from voc.language.stage import agent_mask

OUTCOME_KINDS = ("binary", "number", "hours")
DEFAULT_KINDS = {**dict.fromkeys(("churned", "churn", "retained", "escalated", "reopened", "resolved"), "binary"),
                 **dict.fromkeys(("value", "revenue", "cltv", "clv", "ltv", "spend"), "number"),
                 **dict.fromkeys(("hours", "duration"), "hours")}
#: yes/no outcomes where yes is good, so a key that lowers the rate is the harmful one
GOOD_OUTCOMES = frozenset({"retained", "resolved", "renewed", "converted", "repurchased", "satisfied"})
VALUE_NAMES = ("value", "revenue", "cltv", "clv", "ltv", "spend")
TRUE_TOKENS = ("yes", "y", "true", "t", "1")
FALSE_TOKENS = ("no", "n", "false", "f", "0")
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "<na>", "#n/a")
KIND_WORDS = {"binary": "yes/no, true/false or 0/1", "number": "numbers",
        "hours": "hours or durations (2.5, '90min', '1 day 03:00:00') of zero or more"}

#: the raw comparison's columns (rates for yes/no outcomes, means and medians for numbers)
RAW_COLUMNS = ["rate_with", "rate_without", "mean_with", "mean_without", "median_with", "median_without", "difference",
               "difference_ci_low", "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high", "p_value"]
EFFECT_COLUMNS = ["outcome", "outcome_kind", "higher_is_better", "dimension", "key", "units_with", "units_without",
                  *RAW_COLUMNS, "q_value", "adjusted_difference", "adjusted_ci_low", "adjusted_ci_high",
                  "value_outcome", "value_with", "value_at_risk", "value_at_risk_ci_low", "value_at_risk_ci_high",
                  "note"]


@dataclass(frozen=True)
class OutcomeSpec:
    """One outcome column: ``name`` in outputs, source ``column`` and ``kind`` (one of
    :data:`OUTCOME_KINDS`, or ``auto`` to be read off the data by :func:`coerce`)."""

    name: str
    column: str
    kind: str = "auto"

    @classmethod
    def parse(cls, spec: str) -> OutcomeSpec:
        """``NAME=COLUMN`` or ``NAME=COLUMN:KIND`` (a CLI value). Without a kind, well-known
        names decide it (churned → binary, value → number, hours → hours), else the data do."""
        name, eq, rest = spec.partition("=")
        name = name.strip()
        column, colon, kind = rest.rpartition(":") if ":" in rest else (rest, "", "")
        column, kind = column.strip(), kind.strip().lower()
        if not eq or not name or not column:
            raise ConfigError(f"outcome {spec!r}: expected NAME=COLUMN or NAME=COLUMN:KIND, e.g. churned=Churn")
        if colon and kind not in (*OUTCOME_KINDS, "auto"):
            raise ConfigError(f"outcome {spec!r}: unknown kind {kind!r}; use one of {', '.join(OUTCOME_KINDS)} "
                              "(a column name containing ':' needs its kind spelled out)")
        return cls(name, column, kind if colon else DEFAULT_KINDS.get(name.lower(), "auto"))


def higher_is_better(spec: OutcomeSpec) -> bool:
    """Durations are waits (lower is better); numbers are value-like; yes/no outcomes are
    bad news (churned, escalated) unless named in :data:`GOOD_OUTCOMES`."""
    if spec.kind == "binary":
        return spec.name.lower() in GOOD_OUTCOMES
    return spec.kind != "hours"


def _numbers(text: pd.Series) -> np.ndarray:
    """Floats from text, accepting a currency symbol and thousands separators ("£1,234.50");
    "1.234,50" stays unparsed rather than silently becoming 1.2345."""
    t = (text.str.replace(r"^([-+]?)\s*[£$€]\s*|\s*[£$€]$", r"\1", regex=True)
         .str.replace(r"(?<=\d),(?=\d{3}(?!\d))", "", regex=True))
    out = pd.to_numeric(t, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    out[~np.isfinite(out)] = np.nan
    return out


def _binary(low: pd.Series) -> np.ndarray:
    yes, no = low.isin(TRUE_TOKENS).fillna(False).to_numpy(bool), low.isin(FALSE_TOKENS).fillna(False).to_numpy(bool)
    out = np.where(yes, 1.0, np.where(no, 0.0, np.nan))
    num = _numbers(low)
    return np.where(np.isnan(out) & np.isin(num, (0.0, 1.0)), num, out)


def _hours(s: pd.Series, text: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(s):
        out = (s / pd.Timedelta(hours=1)).to_numpy(dtype=float, na_value=np.nan)
    else:
        out = _numbers(text)
        todo = np.isnan(out) & text.notna().to_numpy()
        if todo.any():  # "90min", "2 days 03:00:00"
            td = pd.to_timedelta(text[todo].astype(object), errors="coerce")
            out[todo] = (td / pd.Timedelta(hours=1)).to_numpy(dtype=float, na_value=np.nan)
    return np.where(out >= 0, out, np.nan)


def _parse(s: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(floats, present mask, resolved kind) of values ``s``, each parsed as ``kind``."""
    text = s.astype("string").str.strip()
    low = text.str.lower()
    present = ~(low.isna() | low.isin(MISSING_TOKENS)).to_numpy(dtype=bool)
    text, low = text.where(present), low.where(present)
    if kind in ("binary", "auto"):
        out = _binary(low)
        if kind == "auto":
            kind = "binary" if not (present & np.isnan(out)).any() else "number"
    if kind == "number":
        out = s.to_numpy(dtype=float, na_value=np.nan, copy=True) if pd.api.types.is_float_dtype(s) else _numbers(text)
        out[~np.isfinite(out)] = np.nan
    elif kind == "hours":
        out = _hours(s, text)
    elif kind != "binary":
        raise ConfigError(f"unknown outcome kind {kind!r}; use one of {', '.join(OUTCOME_KINDS)}")
    return out, present, kind


def coerce(values: pd.Series, spec: OutcomeSpec) -> tuple[np.ndarray, np.ndarray, str]:
    """(floats with NaN for missing, mask of present-but-invalid values, resolved kind).

    Binary is 1/0 from yes/no, y/n, true/false, t/f, 1/0 (any case) or booleans; ``auto``
    becomes binary when every present value is such a token, else number. A few bad values
    become NaN and are flagged for the caller to report by line; more than half bad means
    the column or the kind is wrong, so that raises :class:`ConfigError` with examples."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    u = pd.Series(uniques)  # each distinct value parsed once: a million yes/no rows are two strings
    out_u, present_u, kind = _parse(u, spec.kind)
    has = codes >= 0
    out = np.where(has, out_u[codes], np.nan)
    present = has & present_u[codes]
    invalid = present & np.isnan(out)
    if invalid.sum() > 0.5 * present.sum():
        bad = ", ".join(repr(str(v).strip()) for v in u[present_u & np.isnan(out_u)][:5])
        raise ConfigError(f"outcome {spec.name!r} (column {spec.column}): {bad} are not {KIND_WORDS[kind]} "
                          f"({int(invalid.sum())} of {int(present.sum())} values); check the column, or give its "
                          f"kind as {spec.name}={spec.column}:KIND (one of {', '.join(OUTCOME_KINDS)})")
    return out, invalid, kind


def coerce_outcomes(docs: pd.DataFrame, specs: Sequence[OutcomeSpec]
                    ) -> tuple[pd.DataFrame, list[OutcomeSpec], dict[str, np.ndarray]]:
    """``docs`` with each outcome as a float column named ``spec.name``, the specs with
    their kinds resolved, and per outcome the ``line`` (else row position) of invalid values."""
    names = [s.name for s in specs]
    if len(set(names)) < len(names):
        raise ConfigError(f"outcome names must be unique: {', '.join(names)}")
    cols, resolved, bad = {}, [], {}
    for spec in specs:
        if spec.column not in docs.columns:
            raise ConfigError(f"outcome {spec.name!r}: column {spec.column!r} not found")
        cols[spec.name], invalid, kind = coerce(docs[spec.column], spec)
        resolved.append(dataclasses.replace(spec, kind=kind))
        lines = docs["line"].to_numpy() if "line" in docs.columns else np.arange(len(docs))
        bad[spec.name] = lines[invalid]
    return docs.assign(**cols), resolved, bad


class Units(NamedTuple):
    """What :func:`unit_outcomes` returns: ``table`` (``unit``, one float column per
    outcome, the controls), ``members`` (units × keys, sparse bool: the unit raised the
    key), ``keys`` (``("issue", theme_id)`` or ``("touchpoint", name)``) and ``controls``
    (the table's control columns)."""

    table: pd.DataFrame
    members: sparse.csr_matrix
    keys: list[tuple[str, Any]]
    controls: list[str]


def _most_frequent(unit: np.ndarray, values: pd.Series, n_units: int) -> np.ndarray:
    """Per unit, its most frequent value (ties: alphabetical first), None when it has none."""
    f = pd.DataFrame({"u": unit, "v": values.astype("string").to_numpy()}).dropna()
    c = f.groupby(["u", "v"], sort=True).size().reset_index(name="n")
    c = c.sort_values(["u", "n"], ascending=[True, False], kind="stable").drop_duplicates("u")
    out = np.full(n_units, None, dtype=object)
    out[c["u"].to_numpy()] = c["v"].to_numpy()
    return out


def _membership(unit: np.ndarray, d: pd.DataFrame, n_units: int) -> tuple[sparse.csr_matrix, list[tuple[str, Any]]]:
    """Units × keys from the list columns ``theme_ids`` (ids >= 0 only: -1/-2/-3 mean no
    issue) and ``touchpoints`` of the rows ``d`` (``unit`` gives each row's unit)."""
    rows, cols, keys = [], [], []
    for dim, column in (("issue", "theme_ids"), ("touchpoint", "touchpoints")):
        if column not in d.columns:
            continue
        ex = pd.DataFrame({"u": unit, "k": d[column].to_numpy()}).explode("k").dropna()
        if dim == "issue":
            k = pd.to_numeric(ex["k"], errors="coerce")
            ex = ex.assign(k=k)[k >= 0].astype({"k": "int64"})
        else:
            ex = ex.assign(k=ex["k"].astype(str))
            ex = ex[ex["k"].str.strip() != ""]
        levels = np.sort(ex["k"].unique())
        rows.append(ex["u"].to_numpy(dtype=np.int64))
        cols.append(len(keys) + np.searchsorted(levels, ex["k"].to_numpy()))
        keys += [(dim, v.item() if hasattr(v, "item") else v) for v in levels]
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    m = sparse.csr_matrix((np.ones(r.size, dtype=bool), (r, c)), shape=(n_units, len(keys)), dtype=bool)
    return m, keys


def unit_outcomes(docs: pd.DataFrame, specs: Sequence[OutcomeSpec], level: Literal["customer", "document"] = "customer",
                  segments: Sequence[str] = ()) -> Units:
    """One row per unit with its outcomes, controls and the keys it raised.

    ``docs`` carries the coerced outcomes as columns named ``spec.name`` (see
    :func:`coerce_outcomes`). Per customer, the outcome is their last non-missing value
    in time order (``date``, then ``line``; undated rows count as the earliest, so they never
    override a dated value): what happened in the end. A customer raised a
    key if any of their own messages did; an agent's reply never counts (it mentions the
    refund because the customer did). Controls are each unit's most frequent ``channel``
    and ``segments`` value. Per document, agents' messages are left out."""
    if level not in ("customer", "document"):
        raise ConfigError(f"outcome level {level!r}: use customer or document")
    names = [s.name for s in specs]
    ctrl = [c for c in ["channel", *segments] if c in docs.columns]
    own = ~agent_mask(docs)
    if level == "document":
        d = docs[own]
        table = pd.DataFrame({"unit": d["doc_id"].to_numpy() if "doc_id" in d.columns else np.arange(len(d))})
        for col in names:
            table[col] = d[col].to_numpy(dtype=float)
        for col in ctrl:
            table[col] = d[col].astype("string").to_numpy()
        members, keys = _membership(np.arange(len(d)), d, len(d))
        return Units(table, members, keys, ctrl)
    if "customer" not in docs.columns:
        raise ConfigError("customer-level outcomes need a customer column; map one or use the document level")
    d = docs[docs["customer"].notna().to_numpy()]
    order = [c for c in ("date", "line") if c in d.columns]
    d = d.sort_values(order, kind="stable", na_position="first") if order else d
    codes, uniques = pd.factorize(d["customer"].astype(str), sort=True)
    own = ~agent_mask(d)
    mine_ids = np.unique(codes[own])  # customers with a message of their own
    remap = np.full(len(uniques), -1)
    remap[mine_ids] = np.arange(mine_ids.size)
    code, units = remap[codes], np.asarray(uniques)[mine_ids]
    known = code >= 0
    table = pd.DataFrame({"unit": units})
    last = d.loc[known, names].groupby(code[known], sort=True).last()  # last non-missing per column
    for col in names:
        table[col] = last[col].reindex(np.arange(units.size)).to_numpy(dtype=float)
    mine = d[own]
    for col in ctrl:
        table[col] = _most_frequent(code[own], mine[col], units.size)
    members, keys = _membership(code[own], mine, units.size)
    return Units(table, members, keys, ctrl)


def _counts(y: np.ndarray, members: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Units with each key, and the sums of ``y`` over them (one sparse product each)."""
    mt = members.T.tocsr().astype(float)
    return np.asarray(mt.sum(axis=1)).ravel(), mt @ y


def binary_effects(y: np.ndarray, members: sparse.csr_matrix, level: float = 0.95) -> pd.DataFrame:
    """Per key, 1/0 outcome ``y`` (no NaN) of units with vs without it: rates, risk
    difference with Newcombe's hybrid score interval (method 10: Wilson intervals of each
    rate combined; keeps its coverage near 0 and 1 where Wald's fails), relative risk
    with Katz's log interval and the pooled two-proportion z-test p-value. A zero events
    cell makes the log undefined, so there 0.5 is added to each cell of that 2×2 table
    (ratio and interval both; the rates and difference stay raw)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    n1, a = _counts(y, members)
    n0, b = y.size - n1, y.sum() - a
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = a / n1, b / n0
        (l1, u1), (l0, u0) = wilson(a, n1, z), wilson(b, n0, z)
        diff = p1 - p0
        lo = diff - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
        hi = diff + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
        zero = (a == 0) | (b == 0)
        ca, cb = np.where(zero, a + 0.5, a), np.where(zero, b + 0.5, b)
        cn1, cn0 = np.where(zero, n1 + 1, n1), np.where(zero, n0 + 1, n0)
        ratio = (ca / cn1) / (cb / cn0)
        se = np.sqrt(1 / ca - 1 / cn1 + 1 / cb - 1 / cn0)
        pool = (a + b) / y.size
        zstat = diff / np.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))
    return pd.DataFrame({"units_with": n1, "units_without": n0, "rate_with": p1, "rate_without": p0,
                         "difference": diff, "difference_ci_low": lo, "difference_ci_high": hi, "ratio": ratio,
                         "ratio_ci_low": ratio * np.exp(-z * se), "ratio_ci_high": ratio * np.exp(z * se),
                         "p_value": 2 * stats.norm.sf(np.abs(zstat))})


def mean_effects(y: np.ndarray, members: sparse.csr_matrix, level: float = 0.95) -> pd.DataFrame:
    """Per key, numeric outcome ``y`` (no NaN) of units with vs without it: means, medians,
    Welch's difference and t interval (unequal variances: a small group of big spenders is
    not as spread as everyone else), and the ratio of means with a delta-method interval on
    its log (NaN unless both means are positive)."""
    yc = y - y.mean()  # centred, so sums of squares do not cancel catastrophically
    n1, s1 = _counts(yc, members)
    _, q1 = _counts(yc**2, members)
    n0, s0, q0 = y.size - n1, yc.sum() - s1, (yc**2).sum() - q1
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m0 = s1 / n1, s0 / n0
        v1 = np.where(n1 >= 2, np.clip(q1 - n1 * m1**2, 0, None) / (n1 - 1), np.nan)
        v0 = np.where(n0 >= 2, np.clip(q0 - n0 * m0**2, 0, None) / (n0 - 1), np.nan)
        e1, e0 = v1 / n1, v0 / n0
        se = np.sqrt(e1 + e0)
        df = (e1 + e0) ** 2 / (e1**2 / (n1 - 1) + e0**2 / (n0 - 1))
        t = stats.t.ppf(0.5 + level / 2, df)
        mean1, mean0 = m1 + y.mean(), m0 + y.mean()
        diff = mean1 - mean0
        pos = (mean1 > 0) & (mean0 > 0)
        ratio = np.where(pos, mean1 / mean0, np.nan)
        lse = np.sqrt(e1 / mean1**2 + e0 / mean0**2)
        zq = float(stats.norm.ppf(0.5 + level / 2))
        p = 2 * stats.t.sf(np.abs(diff / se), df)
    cols = members.tocsc()
    med1, med0 = np.full(n1.size, np.nan), np.full(n1.size, np.nan)
    for j in range(n1.size):  # a loop over keys (tens), never over units
        idx = cols.indices[cols.indptr[j]:cols.indptr[j + 1]]
        if 0 < idx.size < y.size:
            med1[j] = np.median(y[idx])
            med0[j] = np.median(np.delete(y, idx))
    return pd.DataFrame({"units_with": n1, "units_without": n0, "mean_with": mean1, "mean_without": mean0,
                         "median_with": med1, "median_without": med0, "difference": diff,
                         "difference_ci_low": diff - t * se, "difference_ci_high": diff + t * se, "ratio": ratio,
                         "ratio_ci_low": ratio * np.exp(-zq * lse), "ratio_ci_high": ratio * np.exp(zq * lse),
                         "p_value": p})


def adjusted_effects(y: np.ndarray, members: sparse.csr_matrix, controls: pd.DataFrame | None = None,
                     level: float = 0.95, max_vif: float = 10.0) -> pd.DataFrame:
    """Each key's coefficient in one OLS of ``y`` on every column of ``members`` plus the
    one-hot ``controls``, with an HC3 interval: the difference a key makes holding the other
    keys and the channel/segment mix fixed (for 1/0 outcomes a linear probability model,
    whose heteroscedasticity HC3 absorbs). A key whose VIF exceeds ``max_vif`` is dropped
    while any does, as in the key driver model, so two near-copies do not split an effect.
    Dense: memory grows with units × keys (200k customers × 100 keys ≈ 0.5 GB at peak)."""
    k = members.shape[1]
    out = pd.DataFrame({"adjusted_difference": np.full(k, np.nan), "adjusted_ci_low": np.nan,
                        "adjusted_ci_high": np.nan, "note": ""})
    x = members.toarray().astype(float)
    cm, _ = control_matrix(controls, n_rows=y.size)
    cm = cm[:, cm.std(axis=0) > 0] if cm.shape[1] else cm
    cols = list(range(k))
    with threadpool_limits(limits=1, user_api="blas"):
        while len(cols) > 1:
            v = vif(np.column_stack([x[:, cols], cm]))[: len(cols)]
            worst = int(np.argmax(v))
            if np.isfinite(v[worst]) and v[worst] <= max_vif:
                break
            out.loc[cols.pop(worst), "note"] = f"left out of the adjusted model (VIF {v[worst]:.1f})"
        if not cols or y.size <= len(cols) + cm.shape[1] + 1 or np.ptp(y) == 0:
            return out
        beta, se, _ = _ols_hc3(np.column_stack([np.ones(y.size), cm, x[:, cols]]), y)
    z = float(stats.norm.ppf(0.5 + level / 2))
    b, e = beta[-len(cols):], se[-len(cols):]
    out.loc[cols, ["adjusted_difference", "adjusted_ci_low", "adjusted_ci_high"]] = np.column_stack(
        [b, b - z * e, b + z * e])
    return out


def outcome_effects(units: Units, specs: Sequence[OutcomeSpec], min_units: int = 5, level: float = 0.95,
                    value: str | None = None, max_vif: float = 10.0) -> pd.DataFrame:
    """One row per outcome × key (:data:`EFFECT_COLUMNS`): counts, the raw comparison
    (:func:`binary_effects` or :func:`mean_effects`), BH q-values per outcome and dimension,
    and the adjusted difference (:func:`adjusted_effects`, issues and touchpoints in
    separate models like the drivers). Keys raised by fewer than ``min_units`` units with a
    known outcome (or by all of them) keep their counts and get NaN effects.

    For a yes/no outcome, given a number outcome ``value`` (default: the first number
    outcome, value-like names first), ``value_at_risk`` = the summed value of the units that
    raised the key × its excess harmful rate (difference oriented by the outcome, clipped
    at 0), with the interval from the difference's bounds: the value expected lost to the
    extra churn among them. An association, not what fixing the issue would save."""
    numbers = sorted((s for s in specs if s.kind == "number"), key=lambda s: s.name.lower() not in VALUE_NAMES)
    vspec = next((s for s in specs if s.name == value), None) if value else (numbers[0] if numbers else None)
    if value and (vspec is None or vspec.kind != "number"):
        raise ConfigError(f"value outcome {value!r} is not a number outcome")
    dims = np.array([k[0] for k in units.keys], dtype=object)
    frames = []
    for spec in specs:
        y = units.table[spec.name].to_numpy(dtype=float)
        kind = spec.kind if spec.kind != "auto" else ("binary" if np.isin(y[~np.isnan(y)], (0, 1)).all() else "number")
        spec = dataclasses.replace(spec, kind=kind)
        ok = ~np.isnan(y)
        m = units.members[np.flatnonzero(ok)]
        raw = (binary_effects if kind == "binary" else mean_effects)(y[ok], m, level)
        f = pd.DataFrame({"outcome": spec.name, "outcome_kind": kind, "higher_is_better": higher_is_better(spec),
                          "dimension": dims, "key": [k[1] for k in units.keys]})
        f = pd.concat([f, raw.reindex(columns=["units_with", "units_without", *RAW_COLUMNS])], axis=1)
        small = (f["units_with"] < min_units) | (f["units_without"] < 1)
        f.loc[small, RAW_COLUMNS] = np.nan
        f["note"] = np.select([f["units_with"] < min_units, small],
                              [f"raised by fewer than {min_units} units with a known {spec.name}",
                               f"raised by every unit with a known {spec.name}"], "")
        f["q_value"] = np.nan
        for dim in pd.unique(dims):
            sel = np.flatnonzero(dims == dim)
            f.loc[sel, "q_value"] = bh_qvalues(f.loc[sel, "p_value"].to_numpy(dtype=float))
            fit = sel[~small.to_numpy()[sel]]
            if fit.size:
                ctrl = units.table.loc[ok, units.controls].reset_index(drop=True) if units.controls else None
                adj = adjusted_effects(y[ok], m[:, fit], ctrl, level, max_vif)
                f.loc[fit, ["adjusted_difference", "adjusted_ci_low", "adjusted_ci_high"]] = adj.iloc[:, :3].to_numpy()
                f.loc[fit, "note"] = adj["note"].to_numpy()
        if kind == "binary" and vspec is not None:
            v = units.table[vspec.name].to_numpy(dtype=float)
            sign = -1.0 if higher_is_better(spec) else 1.0
            harm = np.sort(sign * f[["difference", "difference_ci_low", "difference_ci_high"]].to_numpy(), axis=1)
            f["value_outcome"] = vspec.name
            f["value_with"] = units.members.T.astype(float) @ np.nan_to_num(v)
            f["value_at_risk"] = f["value_with"] * np.clip(sign * f["difference"], 0, None)
            f["value_at_risk_ci_low"] = f["value_with"] * np.clip(harm[:, 0], 0, None)
            f["value_at_risk_ci_high"] = f["value_with"] * np.clip(harm[:, 2], 0, None)
        frames.append(f.reindex(columns=EFFECT_COLUMNS))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EFFECT_COLUMNS)
    return out.astype({"units_with": "int64", "units_without": "int64"})


def rank_by(effects: pd.DataFrame, outcome: str,
            by: Literal["difference", "adjusted_difference", "value_at_risk"] = "difference") -> pd.DataFrame:
    """The keys of ``outcome`` ordered by the harm the data support at the interval's level:
    the effect is oriented so that positive is harmful (more churn, less value, longer
    waits; less retention for a :data:`GOOD_OUTCOMES` name) and sorted by the bound nearest
    zero (``conservative_harm``), as the drivers rank pain points, so a small key with a
    large, noisy effect does not outrank a large one with a solid effect. ``harmful`` marks
    intervals wholly on the harmful side; keys without an estimate come last."""
    d = effects[effects["outcome"] == outcome].copy()
    if d.empty:
        return d.assign(harm=[], harm_ci_low=[], harm_ci_high=[], conservative_harm=[], harmful=[], rank=[])
    ci = {"difference": "difference_ci", "adjusted_difference": "adjusted_ci", "value_at_risk": "value_at_risk_ci"}[by]
    sign = 1.0 if by == "value_at_risk" or not d["higher_is_better"].iloc[0] else -1.0
    bounds = np.sort(sign * d[[f"{ci}_low", f"{ci}_high"]].to_numpy(dtype=float), axis=1)
    d["harm"] = sign * d[by].to_numpy(dtype=float)
    d["harm_ci_low"], d["harm_ci_high"] = bounds[:, 0], bounds[:, 1]
    d["harmful"] = d["harm_ci_low"] > 0
    d["conservative_harm"] = d["harm_ci_low"].clip(lower=0)
    d = d.sort_values(["harm_ci_low", "harm"], ascending=False, na_position="last", kind="stable")
    d["rank"] = np.arange(1, len(d) + 1)
    return d.reset_index(drop=True)
