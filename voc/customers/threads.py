"""Conversation threads: who spoke, how often the turn changed hands, and how long a
customer waited for the first agent reply.

Everything here is vectorised (numpy/pandas over integer thread codes) because a
support export easily holds a million messages; no function loops over rows.
Time to first response is survival data: a thread nobody answered has not *yet* been
answered, so it is censored rather than dropped, and :func:`service_times` summarises
it with the Kaplan-Meier estimator.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

__all__ = ["first_response_durations", "resolution_durations", "service_times", "service_times_by", "thread_roots",
           "thread_table", "times_by_key"]

MAX_JUMPS = 64  # pointer-jumping rounds: chains up to 2**64 replies long resolve well within this
MIN_THREADS = 5  # fewer threads than this in a group give no statistics, only a count
_HOUR = np.timedelta64(1, "h")


def thread_roots(doc_id: pd.Series, reply_to: pd.Series) -> pd.Series:
    """The root message's doc_id of each message's reply chain, aligned with ``doc_id``.

    Parents are followed by pointer jumping (each round maps a message to its parent's
    parent), so a chain of length L costs log2(L) vectorised rounds. A message whose
    ``reply_to`` is missing or names no doc_id in ``doc_id`` is its own root; a
    duplicated doc_id is resolved to its first row. Malformed data can hold reply
    cycles, which have no root: each cycle member becomes its own root, and replies
    hanging off a cycle take the member they lead into.
    """
    ids = doc_id.to_numpy()
    n = len(ids)
    first = ~doc_id.duplicated().to_numpy()
    rows = np.flatnonzero(first)
    parent = pd.Index(ids[first]).get_indexer(pd.Index(reply_to.to_numpy()))
    parent = np.where(parent >= 0, rows[np.maximum(parent, 0)], -1)
    self_ = np.arange(n)
    parent[parent == self_] = -1
    p = _jump(np.where(parent < 0, self_, parent))
    stuck = parent[p] >= 0  # ended on a message that still has a parent: a cycle is involved
    if stuck.any():
        parent[_cycle_members(parent, stuck)] = -1
        p = _jump(np.where(parent < 0, self_, parent))
    return pd.Series(ids[p], index=doc_id.index, name="thread", dtype=doc_id.dtype)


def _jump(p: np.ndarray) -> np.ndarray:
    for _ in range(MAX_JUMPS):
        nxt = p[p]
        if np.array_equal(nxt, p):
            break
        p = nxt
    return p


def _cycle_members(parent: np.ndarray, stuck: np.ndarray) -> np.ndarray:
    """Rows of ``stuck`` on a cycle: peel off, round by round, those no stuck row replies to."""
    alive = stuck.copy()
    for _ in range(MAX_JUMPS):
        src = np.flatnonzero(alive)
        has_child = np.zeros(len(parent), dtype=bool)
        has_child[parent[src]] = True
        leaves = alive & ~has_child
        if not leaves.any():
            break
        alive &= ~leaves
    return np.flatnonzero(alive)


def thread_table(docs: pd.DataFrame) -> pd.DataFrame:
    """One row per thread of ``docs`` (the documents contract: ``thread``, ``author_role``,
    ``date``; ``customer`` and ``channel`` when present), in order of first appearance.

    Messages are put in time order, undated ones last in file order. ``turns`` counts runs
    of consecutive messages by the same role (customer, customer, agent is 2 turns).
    ``first_response_at`` is the first agent message at or after the first customer
    message; ``answered`` also holds for an agent reply that follows it in an undated
    thread, where the times are NaT/NaN but the counts still stand.
    """
    if docs["thread"].isna().any():
        raise ValueError("documents have rows without a thread; fill it (e.g. with thread_roots) before thread_table")
    n = len(docs)
    codes, uniques = pd.factorize(docs["thread"])
    T = len(uniques)
    dates = pd.Series(docs["date"]) if "date" in docs else pd.Series(pd.NaT, index=docs.index, dtype="datetime64[ns]")
    dates = pd.to_datetime(dates)
    if dates.dt.tz is not None:
        dates = dates.dt.tz_convert(None)  # the contract's naive UTC
    key = dates.to_numpy().view("i8").copy()
    key[dates.isna().to_numpy()] = np.iinfo(np.int64).max  # undated messages last
    order = np.lexsort((np.arange(n), key, codes))

    c = codes[order]
    d = dates.iloc[order].reset_index(drop=True)
    role = docs["author_role"].to_numpy()[order]
    cust = role == "customer"
    agent = role == "agent"
    role_code = pd.factorize(role)[0]
    new = np.r_[True, c[1:] != c[:-1]] if n else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new)
    change = new | np.r_[True, role_code[1:] != role_code[:-1]] if n else new
    rank = np.arange(n) - starts[c]

    # first customer message per thread (position in sorted order, -1 when none)
    fc_row = np.full(T, -1)
    cust_pos = np.flatnonzero(cust)
    if len(cust_pos):
        cc = c[cust_pos]
        head = cust_pos[np.r_[True, cc[1:] != cc[:-1]]]
        fc_row[c[head]] = head
    has_cust = fc_row >= 0
    fc_at = pd.Series(d.to_numpy()[np.maximum(fc_row, 0)]).where(has_cust)
    fc_rank = rank[np.maximum(fc_row, 0)]

    row_fc = fc_at.to_numpy()[c]
    dated = d.notna().to_numpy() & ~pd.isna(row_fc)
    after = np.where(dated, d.to_numpy() >= row_fc, rank >= fc_rank[c]) & has_cust[c]
    resp = agent & after

    idx = pd.RangeIndex(T)
    out = pd.DataFrame({"thread": pd.Series(uniques, dtype=docs["thread"].dtype)})
    if "customer" in docs:
        who = docs["customer"].iloc[order].reset_index(drop=True)
        out["customer"] = who[cust].groupby(c[cust]).first().reindex(idx)
    if "channel" in docs:
        out["channel"] = docs["channel"].iloc[order[starts]].reset_index(drop=True)
    out["messages"] = np.bincount(c, minlength=T)
    out["customer_messages"] = np.bincount(c, weights=cust, minlength=T).astype(np.int64)
    out["agent_messages"] = np.bincount(c, weights=agent, minlength=T).astype(np.int64)
    out["turns"] = np.bincount(c, weights=change, minlength=T).astype(np.int64)
    out["first_message_at"] = d.groupby(c).min().reindex(idx)
    out["last_message_at"] = d.groupby(c).max().reindex(idx)
    out["first_customer_at"] = fc_at
    out["first_response_at"] = d[resp].groupby(c[resp]).min().reindex(idx)
    out["hours_to_first_response"] = (out["first_response_at"] - out["first_customer_at"]) / _HOUR
    out["answered"] = np.bincount(c, weights=resp, minlength=T) > 0
    return out


def first_response_durations(threads: pd.DataFrame, end: pd.Timestamp | None = None) -> tuple[pd.Series, pd.Series]:
    """(hours, observed) to first response for the threads of :func:`thread_table` that
    have a dated customer message, indexed like ``threads``.

    An answered thread is an event at its ``hours_to_first_response``. An unanswered one
    is censored: the customer had waited at least until the thread's last message, or
    until ``end`` (e.g. the data's last date) when given; negative waits clip to 0.
    Answered threads whose reply has no date are left out: the wait is unknown.
    """
    t = threads[threads["first_customer_at"].notna()]
    observed = t["hours_to_first_response"].notna()
    t = t[observed | ~t["answered"]]
    observed = observed.loc[t.index]
    stop = t["last_message_at"] if end is None else pd.Series(pd.Timestamp(end), index=t.index)
    waited = ((stop - t["first_customer_at"]) / _HOUR).clip(lower=0)
    hours = t["hours_to_first_response"].where(observed, waited).rename("hours")
    return hours, observed.rename("observed")


def service_times(
    hours: pd.Series,
    observed: pd.Series,
    by: pd.Series | None = None,
    confidence: float = 0.95,
    min_threads: int = MIN_THREADS,
) -> pd.DataFrame:
    """Kaplan-Meier time to first response per group of ``by`` (aligned on the index of
    ``hours``; rows with no group or no hours are left out), or overall as group "all".

    A plain median of answered threads would hide the ones never answered; KM counts them
    as waiting at least as long as observed. ``median_low``/``median_high`` bound the median
    at ``confidence``; ``q25_hours``/``q75_hours`` are when a quarter / three quarters had a
    reply (survival 0.75 / 0.25). A time the curve never reaches (say, most threads
    unanswered) is NaN, as is every statistic of a group with fewer than ``min_threads``.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    frame = pd.DataFrame({"h": hours, "o": observed.reindex(hours.index).fillna(False).astype(bool)})
    frame["g"] = "all" if by is None else by.reindex(hours.index)
    frame = frame.dropna(subset=["h", "g"])
    rows = []
    for group, g in frame.groupby("g", sort=True):
        row = {"group": group, "n": len(g), "events": int(g["o"].sum()), "censored": int((~g["o"]).sum()),
               "median_hours": np.nan, "median_low": np.nan, "median_high": np.nan,
               "q25_hours": np.nan, "q75_hours": np.nan}
        if len(g) >= min_threads:
            km = KaplanMeierFitter(alpha=1 - confidence).fit(g["h"], g["o"])
            low, high = median_survival_times(km.confidence_interval_).iloc[0]
            with warnings.catch_warnings():  # percentile() warns that it reads the step function; that is exact here
                warnings.simplefilter("ignore")
                row.update(median_hours=km.median_survival_time_, median_low=low, median_high=high,
                           q25_hours=km.percentile(0.75), q75_hours=km.percentile(0.25))
        rows.append(row)
    cols = ["group", "n", "events", "censored", "median_hours", "median_low", "median_high", "q25_hours", "q75_hours"]
    out = pd.DataFrame(rows, columns=cols)
    stats = cols[4:]
    out[stats] = out[stats].astype(float).replace([np.inf, -np.inf], np.nan)
    return out


def service_times_by(docs: pd.DataFrame, threads: pd.DataFrame, hours: pd.Series, observed: pd.Series,
                     theme_labels: dict | None = None, min_threads: int = MIN_THREADS) -> pd.DataFrame:
    """Time to first response per issue and per touchpoint: a thread counts under every
    issue (``theme_ids``) and touchpoint its customer messages raised. Columns ``kind``
    (issue / touchpoint), ``key``, ``label`` and those of :func:`service_times`, slowest
    median first. ``hours`` / ``observed`` come from :func:`first_response_durations`."""
    thread = threads["thread"].to_numpy()
    return times_by_key(docs, "thread", pd.Series(hours.to_numpy(), index=thread[hours.index.to_numpy()]),
                        pd.Series(observed.to_numpy(), index=thread[observed.index.to_numpy()]), theme_labels,
                        min_threads)


def times_by_key(docs: pd.DataFrame, unit: str, hours: pd.Series, observed: pd.Series,
                 theme_labels: dict | None = None, min_threads: int = MIN_THREADS) -> pd.DataFrame:
    """Kaplan-Meier times per issue and per touchpoint, for durations of units (threads,
    tickets, documents: ``hours`` / ``observed`` indexed by the ``unit`` column's values):
    a unit counts under every issue and touchpoint its customer messages raised."""
    from voc.language.stage import agent_mask

    parts = []
    cust = docs[~agent_mask(docs)]
    for kind, column in (("issue", "theme_ids"), ("touchpoint", "touchpoints")):
        if column not in cust.columns or not len(hours):
            continue
        ex = cust[[unit, column]].explode(column).dropna().drop_duplicates()
        if kind == "issue":
            ex = ex[ex[column].astype(int) >= 0]
        ex = ex[ex[unit].isin(hours.index)]
        if ex.empty:
            continue
        units = ex[unit].to_numpy()
        h = pd.Series(hours.loc[units].to_numpy(), name="hours")
        o = pd.Series(observed.loc[units].to_numpy(), name="observed")
        key = pd.Series(ex[column].astype(str).to_numpy())
        st = service_times(h, o, by=key, min_threads=min_threads).rename(columns={"group": "key"})
        st.insert(0, "kind", kind)
        labels = {str(k): v for k, v in (theme_labels or {}).items()} if kind == "issue" else {}
        st.insert(2, "label", st["key"].map(lambda k: labels.get(str(k), k)))
        parts.append(st)
    if not parts:
        return pd.DataFrame(columns=["kind", "key", "label", "n", "events", "censored", "median_hours", "median_low",
                                     "median_high", "q25_hours", "q75_hours"])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["median_hours", "n"], ascending=[False, False], na_position="last",
                           kind="stable").reset_index(drop=True)


def resolution_durations(docs: pd.DataFrame, end: pd.Timestamp | None = None) -> tuple[pd.Series, pd.Series, str]:
    """(hours, resolved, unit column) to resolution per ticket, from the ``opened`` and
    ``closed`` times of ``docs``: per ``thread`` when mapped (opened = its earliest, closed
    = its latest), else per document. A ticket not closed is still open: censored at
    ``end`` (the data's last date) rather than dropped, as an unanswered thread is."""
    unit = "thread" if "thread" in docs.columns and docs["thread"].notna().any() else "doc_id"
    d = docs[docs[unit].notna() & docs["opened"].notna()] if "opened" in docs.columns else docs.iloc[:0]
    if d.empty or "closed" not in d.columns:
        return pd.Series(dtype=float, name="hours"), pd.Series(dtype=bool, name="observed"), unit
    g = d.groupby(unit, sort=True)
    opened, closed = g["opened"].min(), g["closed"].max()
    observed = closed.notna()
    stop = closed.where(observed, pd.Timestamp(end) if end is not None else pd.NaT)
    hours = ((stop - opened) / _HOUR).clip(lower=0)
    keep = hours.notna()
    return hours[keep].rename("hours"), observed[keep].rename("observed"), unit
