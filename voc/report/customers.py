"""The report's Customers section: journeys, repeat contact, waits, resolution times and
outcomes, as plain rows.

Reads the tables ``voc analyze`` writes when customers, conversations, ticket times or
outcomes are mapped (``customers``, ``repeat_contacts``, ``service_times``,
``resolution_times``, ``outcomes``) and shapes them for the page and the spreadsheet; a
table the run did not produce leaves its part out, and a run with none of them has no
section at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.report.data import _key, finite, fmt, hidden_keys, pct

if TYPE_CHECKING:
    from voc.pipeline import Analysis

MIN_GROUP = 20  # customers (threads) an issue needs to be listed: fewer give intervals too wide to act on
TOP_ROWS = 15
TOP_OUTCOME_ROWS = 8
TOP_LINKS = 25
NO_TOUCHPOINT = {"", "none", "nan"}


def table(analysis: "Analysis", name: str) -> pd.DataFrame | None:
    """A customer table of the run, or None when the run did not make it (or it is empty)."""
    t = analysis.tables.get(name)
    return t if t is not None and len(t) else None


def _seq(v: Any) -> list[str]:
    """A list cell as the run wrote it (list in memory, numpy array from parquet)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x) for x in v]
    return []


# --- journey flow -----------------------------------------------------------------
def transitions(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers per touchpoint-to-next-touchpoint step (``from``, ``to``, ``customers``),
    most first: each customer's touchpoints in time order, repeats in a row collapsed,
    every step counted once per customer (a customer who went a→b twice is one customer)."""
    if "touchpoints" not in customers.columns:
        return pd.DataFrame(columns=["from", "to", "customers"])
    seqs = customers["touchpoints"].map(_seq)
    ex = pd.DataFrame({"customer": np.repeat(np.arange(len(seqs)), seqs.map(len).to_numpy(dtype=np.int64)),
                       "from": pd.Series([x for v in seqs for x in v], dtype=object)})
    ex = ex[~ex["from"].str.strip().str.lower().isin(NO_TOUCHPOINT)]
    ex = ex[(ex["from"] != ex.groupby("customer")["from"].shift()).to_numpy()]
    ex["to"] = ex.groupby("customer")["from"].shift(-1)
    steps = ex.dropna(subset=["to"]).drop_duplicates(["customer", "from", "to"])
    out = steps.groupby(["from", "to"]).size().rename("customers").reset_index()
    return out.sort_values(["customers", "from", "to"], ascending=[False, True, True], kind="stable").reset_index(
        drop=True)


# --- repeat contact ---------------------------------------------------------------
def _rate(k: Any, low: Any, high: Any) -> dict[str, str]:
    return {"text": pct(k, 1), "ci": f"{pct(low, 1)} to {pct(high, 1)}"}


def repeat_rows(repeat: pd.DataFrame, quotes: dict[str, str], hidden: set[str],
                min_customers: int = MIN_GROUP, top: int = TOP_ROWS) -> list[dict[str, Any]]:
    """The issues and touchpoints customers most often had to come back about (raised by
    at least ``min_customers``), highest repeat rate first, each with one verbatim."""
    r = repeat[pd.to_numeric(repeat["customers"], errors="coerce").fillna(0) >= min_customers]
    r = r[~(r["kind"].eq("issue") & r["key"].map(_key).isin(hidden))]
    r = r.sort_values(["repeat_rate", "customers"], ascending=False, kind="stable").head(top)
    return [{"kind": str(x["kind"]), "label": str(x["label"]), "customers": int(x["customers"]),
             "repeat": _rate(x["repeat_rate"], x["repeat_low"], x["repeat_high"]),
             "switch": _rate(x["switch_rate"], x["switch_low"], x["switch_high"]),
             "effort": pct(x["effort_share"], 1),
             "example": quotes.get(_key(x["key"]), "") if x["kind"] == "issue" else ""}
            for _, x in r.iterrows()]


# --- waiting for an answer ----------------------------------------------------------
def duration(hours: Any) -> str:
    """Hours for a reader: minutes under an hour, days from two days on."""
    h = finite(hours)
    if h is None:
        return "–"
    if h * 60 < 1:
        return "<1 min"
    if h < 1:
        return f"{h * 60:.0f} min"
    return f"{h:.1f} h" if h < 48 else f"{h / 24:.1f} days"


def service_rows(times: pd.DataFrame, hidden: set[str], min_threads: int = MIN_GROUP,
                 top: int = TOP_ROWS) -> list[dict[str, Any]]:
    """Waits for a first reply per issue and touchpoint with at least ``min_threads``
    threads, slowest first; a median the curve never reaches (fewer than half answered
    by the end of the data) is the slowest of all, so it leads."""
    t = times[pd.to_numeric(times["n"], errors="coerce").fillna(0) >= min_threads]
    t = t[~(t["kind"].eq("issue") & t["key"].map(_key).isin(hidden))]
    t = t.assign(_open=t["median_hours"].isna()).sort_values(["_open", "median_hours", "n"],
                                                              ascending=[False, False, False], kind="stable")
    return [{"kind": str(x["kind"]), "label": str(x["label"]), "threads": int(x["n"]), "answered": int(x["events"]),
             "median": duration(x["median_hours"]) if pd.notna(x["median_hours"]) else "not reached",
             "open": bool(x["_open"]), "ci": f"{duration(x['median_low'])} to {duration(x['median_high'])}",
             "quartiles": f"{duration(x['q25_hours'])} / {duration(x['q75_hours'])}"}
            for _, x in t.head(top).iterrows()]


def _km_words(hours: dict[str, Any]) -> dict[str, Any]:
    """A Kaplan-Meier summary from run.json worded; a time the curve never reached (too few
    answered or closed by the end of the data) is None, for the page to say so."""
    def reached(name: str) -> str | None:
        return None if hours.get(name) is None else duration(hours[name])

    return {"median": reached("median_hours"), "q25": reached("q25_hours"), "q75": reached("q75_hours"),
            "ci": f"{duration(hours.get('median_low'))} to {duration(hours.get('median_high'))}"}


def overall_wait(run: dict[str, Any]) -> dict[str, Any] | None:
    """run.json's overall time to first response, worded."""
    st = (run.get("stages") or {}).get("threads") or {}
    fr = st.get("first_response_hours")
    if not fr:
        return None
    return {"threads": int(st.get("threads") or 0), "answered": int(st.get("answered") or 0), **_km_words(fr)}


def overall_resolution(run: dict[str, Any]) -> dict[str, Any] | None:
    """run.json's overall time to resolution, worded."""
    st = (run.get("stages") or {}).get("resolution") or {}
    fr = st.get("resolution_hours")
    if not fr:
        return None
    return {"tickets": int(st.get("tickets") or 0), "closed": int(st.get("closed") or 0), **_km_words(fr)}


# --- outcomes -----------------------------------------------------------------------
def _decimals(scale: Any) -> int:
    """Decimals for a number outcome: none for values in the hundreds (12,340), two below."""
    try:
        return 0 if abs(float(scale)) >= 100 else 2
    except (TypeError, ValueError):
        return 2


def _num(v: Any, decimals: int = 0, sign: bool = False) -> str:
    """A value or mean with thousands separators (12,340)."""
    return fmt(v, decimals, sign=sign, thousands=True)


def _signed(v: Any, kind: str, decimals: int) -> str:
    """A difference in the outcome's unit: points for rates, hours for waits."""
    if kind == "binary":
        return fmt(100 * float(v), 1, sign=True) + " pp"
    return fmt(v, 1, sign=True) + " h" if kind == "hours" else _num(v, decimals, sign=True)


def _span(lo: Any, hi: Any, kind: str, decimals: int) -> str:
    if kind == "binary":
        return f"{fmt(100 * float(lo), 1)} to {fmt(100 * float(hi), 1)}"
    if kind == "hours":
        return f"{fmt(lo, 1)} to {fmt(hi, 1)}"
    return f"{_num(lo, decimals)} to {_num(hi, decimals)}"


def _effect_row(x: pd.Series, kind: str, decimals: int, quotes: dict[str, str]) -> dict[str, Any]:
    if kind == "binary":
        with_, without = pct(x["rate_with"], 1), pct(x["rate_without"], 1)
    elif kind == "hours":
        with_, without = duration(x["mean_with"]), duration(x["mean_without"])
    else:
        with_, without = _num(x["mean_with"], decimals), _num(x["mean_without"], decimals)
    adjusted = {"text": "–", "ci": ""}
    if pd.notna(x.get("adjusted_difference")):
        adjusted = {"text": _signed(x["adjusted_difference"], kind, decimals),
                    "ci": _span(x["adjusted_ci_low"], x["adjusted_ci_high"], kind, decimals)}
    risk = {"text": "–", "ci": ""}
    if pd.notna(x.get("value_at_risk")):
        risk = {"text": _num(x["value_at_risk"]),
                "ci": f"{_num(x['value_at_risk_ci_low'])} to {_num(x['value_at_risk_ci_high'])}"}
    return {"kind": str(x["dimension"]), "label": str(x["label"]), "units": int(x["units_with"]),
            "with": with_, "without": without, "difference": _signed(x["difference"], kind, decimals),
            "ci": _span(x["difference_ci_low"], x["difference_ci_high"], kind, decimals), "adjusted": adjusted,
            "risk": risk,
            "example": quotes.get(_key(x["key"]), "") if x["dimension"] == "issue" else ""}


def harmful_effects(effects: pd.DataFrame, outcome: str, hidden: set[str], min_units: int = MIN_GROUP
                    ) -> pd.DataFrame:
    """One outcome's issues and touchpoints raised by at least ``min_units`` units whose
    whole 95% interval of the difference is harmful (more churn, less value, longer
    waits), ranked by the harm the data support (the interval's end nearest zero), as
    the drivers rank pain points. Smaller groups are left out: with a handful of units a
    skewed outcome (value) gives intervals that exclude zero far more often than 5%."""
    from voc.customers.outcomes import rank_by

    ranked = rank_by(effects.assign(higher_is_better=effects["higher_is_better"].map(_truthy)), outcome)
    ranked = ranked[ranked["harmful"].astype(bool) & (ranked["units_with"] >= min_units)]
    return ranked[~(ranked["dimension"].eq("issue") & ranked["key"].map(_key).isin(hidden))]


def _truthy(v: Any) -> bool:
    return str(v).strip().lower() in ("true", "1", "1.0")


def _base(kind: str, info: dict[str, Any], level: str, decimals: int) -> str:
    """An outcome over all units, from run.json: "15.9% of 1,174 customers", "mean 680 over ..."."""
    n, mean = info.get("units_known"), info.get("mean")
    if n is None or mean is None:
        return ""
    if kind == "binary":
        return f"{pct(mean, 1)} of {int(n):,} {level}s"
    return f"mean {duration(mean) if kind == 'hours' else _num(mean, decimals)} over {int(n):,} {level}s"


def _harm(kind: str, higher_is_better: bool) -> str:
    """What harm looks like for an outcome: "higher rate" (churn), "lower mean" (value), "longer wait"."""
    if kind == "hours":
        return "shorter wait" if higher_is_better else "longer wait"
    return ("lower" if higher_is_better else "higher") + (" rate" if kind == "binary" else " mean")


def outcome_blocks(effects: pd.DataFrame, run: dict[str, Any], quotes: dict[str, str], hidden: set[str],
                   top: int = TOP_OUTCOME_ROWS) -> list[dict[str, Any]]:
    """Per outcome: what it is over the units (base rate or mean), its harmful effects
    (:func:`harmful_effects`, top ``top``) and whether a value at risk goes with them."""
    meta = (run.get("stages") or {}).get("outcomes") or {}
    level = meta.get("level") or "customer"
    out = []
    for name in pd.unique(effects["outcome"].astype(str)):
        e = effects[effects["outcome"].astype(str) == name]
        kind = str(e["outcome_kind"].iloc[0])
        info = (meta.get("by_outcome") or {}).get(name) or {}
        decimals = _decimals(info.get("mean") if info.get("mean") is not None else e["mean_without"].abs().median())
        rows = harmful_effects(e, name, hidden)
        values = e["value_outcome"].dropna()
        out.append({"name": name, "kind": kind, "level": level, "base": _base(kind, info, level, decimals),
                    "harm": _harm(kind, _truthy(e["higher_is_better"].iloc[0])),
                    "value": str(values.iloc[0]) if len(values) else "", "n_harmful": len(rows),
                    "rows": [_effect_row(x, kind, decimals, quotes) for _, x in rows.head(top).iterrows()]})
    return out


# --- the section --------------------------------------------------------------------
def section(analysis: "Analysis", quotes: dict[str, str]) -> dict[str, Any] | None:
    """Everything the Customers section shows, or None when the run has none of its tables.
    ``quotes`` maps a theme key to the verbatim that shows what the issue is."""
    from voc.report import charts

    customers, repeat = table(analysis, "customers"), table(analysis, "repeat_contacts")
    times, effects = table(analysis, "service_times"), table(analysis, "outcomes")
    resolution = table(analysis, "resolution_times")
    if customers is None and repeat is None and times is None and effects is None and resolution is None:
        return None
    hidden = hidden_keys(analysis.themes)
    out: dict[str, Any] = {"min_group": MIN_GROUP, "top_links": TOP_LINKS,
                           "repeat_days": ((analysis.run.get("config") or {}).get("customers") or {}).get(
                               "repeat_days", 7), "per_customer": customers is not None or repeat is not None}
    if customers is not None:
        links = transitions(customers)
        multi = customers["touchpoints"].map(lambda v: len(set(_seq(v)) - NO_TOUCHPOINT) > 1)
        out["journey"] = {"chart": charts.journey_flow(links, TOP_LINKS), "customers": len(customers),
                          "multi": int(multi.sum()), "links": len(links)}
    if repeat is not None:
        docs = analysis.documents
        out["repeat"] = {"rows": repeat_rows(repeat, quotes, hidden),
                         "switch": "channel" in docs.columns and docs["channel"].nunique() > 1}
    if times is not None:
        out["waits"] = {"rows": service_rows(times, hidden), "overall": overall_wait(analysis.run)}
    if resolution is not None:
        out["resolution"] = {"rows": service_rows(resolution, hidden), "overall": overall_resolution(analysis.run)}
    if effects is not None:
        out["outcomes"] = outcome_blocks(effects, analysis.run, quotes, hidden)
    out["parts"] = _parts(out)
    return out


def _parts(section: dict[str, Any]) -> str:
    """What the section answers, in words, for its opening line (capitalised)."""
    phrases = (("journey", "where customers' journeys lead", ""), ("repeat", "what customers have to come back about",
                                                                   "what they have to come back about"),
               ("waits", "how long customers wait for an answer", "how long they wait for an answer"),
               ("resolution", "how long tickets take to resolve", "how long tickets take to resolve"))
    parts: list[str] = []
    for key, first, later in phrases:
        if key in section:
            parts.append(later if parts and later else first)
    if section.get("outcomes"):
        parts.append("which issues go with " + " and ".join(o["name"] for o in section["outcomes"]))
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
    return text[:1].upper() + text[1:]


# --- themes.xlsx --------------------------------------------------------------------
def _with_examples(frame: pd.DataFrame, dimension: str, quotes: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each issue's verbatim in an ``example`` column (touchpoints have none)."""
    issue = frame[dimension].astype(str).eq("issue")
    return frame.assign(example=[quotes.get(_key(k), "") if i else "" for k, i in zip(frame["key"], issue)])


def _harmful(effects: pd.DataFrame) -> pd.Series:
    """Whether the whole 95% interval of the difference lies on the harmful side."""
    good = effects["higher_is_better"].map(_truthy)
    return (good & (effects["difference_ci_high"] < 0)) | (~good & (effects["difference_ci_low"] > 0))


def sheets(analysis: "Analysis", quotes: dict[str, str]) -> list[tuple[str, pd.DataFrame, dict[str, int]]]:
    """The section's tables in full for themes.xlsx (name, frame, column widths), only
    those the run made: every transition, issue and touchpoint, not just the top ones."""
    out: list[tuple[str, pd.DataFrame, dict[str, int]]] = []
    customers, repeat = table(analysis, "customers"), table(analysis, "repeat_contacts")
    times, effects = table(analysis, "service_times"), table(analysis, "outcomes")
    if customers is not None:
        out.append(("Customers journey transitions", transitions(customers), {"from": 28, "to": 28}))
    if repeat is not None:
        out.append(("Repeat contact", _with_examples(repeat, "kind", quotes), {"label": 28, "example": 60}))
    if times is not None:
        out.append(("Service times", _with_examples(times, "kind", quotes), {"label": 28, "example": 60}))
    resolution = table(analysis, "resolution_times")
    if resolution is not None:
        out.append(("Resolution times", _with_examples(resolution, "kind", quotes), {"label": 28, "example": 60}))
    if effects is not None:
        e = _with_examples(effects, "dimension", quotes)
        e.insert(e.columns.get_loc("difference_ci_high") + 1, "harmful", _harmful(effects).to_numpy())
        out.append(("Outcomes", e, {"label": 28, "note": 40, "example": 60}))
    return out


ABOUT = [
    ("Customers journey transitions", "Customers per step from one touchpoint to the next one they raised (their "
                                      "touchpoints in time order, each step counted once per customer)."),
    ("Repeat contact", "Per issue and touchpoint: customers who raised it, the share who wrote about it again within "
                       "customers.repeat_days (repeat_rate, Wilson 95% interval repeat_low..repeat_high) and who did "
                       "so through another channel (switch_*), and the share of its messages flagged effort."),
    ("Service times", "Time to first agent reply per issue and touchpoint, in hours: Kaplan-Meier median with its 95% "
                      "interval and quartiles (q25 = a quarter answered by then); unanswered threads count as waiting "
                      "until the last date in the data. n = threads, events = answered, censored = not answered."),
    ("Resolution times", "Time from opened to closed per issue and touchpoint, in hours: Kaplan-Meier median with "
                         "its 95% interval and quartiles; tickets still open count as open until the last time in the "
                         "data. n = tickets, events = closed, censored = still open."),
    ("Outcomes", "Per outcome x issue and touchpoint: units (customers, else documents) with and without it, rate or "
                 "mean of each, the difference with its 95% interval (harmful = the whole interval on the harmful "
                 "side), ratio, q-value, the difference adjusted for the other issues, channel and segments, and "
                 "value at risk. Associations among the units observed, not causal estimates."),
]
