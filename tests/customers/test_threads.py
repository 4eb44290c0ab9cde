import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from voc.customers import first_response_durations, service_times, thread_roots, thread_table

T0 = pd.Timestamp("2024-03-01 09:00")
H = pd.Timedelta(hours=1)
SHARED = Path(__file__).resolve().parents[3] / "shared"
TWCS = SHARED / "data" / "customer_support_twitter" / "twcs_subset.csv"


def _docs(rows):
    """rows: (doc_id, thread, role, customer, hours after T0 or None)."""
    ids, threads, roles, customers, hours = zip(*rows)
    return pd.DataFrame({
        "doc_id": list(ids), "thread": list(threads), "author_role": list(roles),
        "customer": pd.Series(customers, dtype="string"),
        "date": pd.Series([pd.NaT if h is None else T0 + h * H for h in hours], dtype="datetime64[ns]"),
        "channel": ["email"] * len(ids),
    })


# -- thread_table ---------------------------------------------------------------------------------------------------

def test_alternating_thread_has_four_turns_and_exact_first_response():
    docs = _docs([
        ("a3", "a", "customer", "ann", 2.0),  # out of order on purpose: the table sorts by time
        ("a1", "a", "customer", "ann", 0.0),
        ("a2", "a", "agent", None, 1.25),
        ("a4", "a", "agent", None, 2.5),
    ])
    t = thread_table(docs).set_index("thread").loc["a"]
    assert t["turns"] == 4
    assert (t["messages"], t["customer_messages"], t["agent_messages"]) == (4, 2, 2)
    assert t["hours_to_first_response"] == 1.25
    assert t["first_response_at"] == T0 + 1.25 * H
    assert t["first_message_at"] == T0 and t["last_message_at"] == T0 + 2.5 * H
    assert t["answered"] and t["customer"] == "ann" and t["channel"] == "email"


def test_role_runs_count_as_turns():
    docs = _docs([("b1", "b", "customer", "bo", 0.0), ("b2", "b", "customer", "bo", 0.5),
                  ("b3", "b", "agent", None, 3.0)])
    t = thread_table(docs).iloc[0]
    assert t["turns"] == 2
    assert t["hours_to_first_response"] == 3.0


def test_agent_before_the_customer_is_no_response_and_thread_is_censored():
    docs = _docs([
        ("c0", "c", "agent", None, 0.0),  # outbound message first: not a response
        ("c1", "c", "customer", "cy", 1.0),
        ("c2", "c", "customer", "cy", 4.0),
    ])
    t = thread_table(docs)
    row = t.iloc[0]
    assert not row["answered"] and math.isnan(row["hours_to_first_response"]) and pd.isna(row["first_response_at"])
    assert row["first_customer_at"] == T0 + H and row["customer"] == "cy" and row["turns"] == 2
    hours, observed = first_response_durations(t)
    assert hours.tolist() == [3.0] and observed.tolist() == [False]  # waited until the thread's last message
    hours, observed = first_response_durations(t, end=T0 + 10 * H)
    assert hours.tolist() == [9.0] and observed.tolist() == [False]


def test_undated_thread_still_counts():
    docs = _docs([("d1", "d", "customer", "di", None), ("d2", "d", "agent", None, None),
                  ("d3", "d", "agent", None, None)])
    row = thread_table(docs).iloc[0]
    assert (row["messages"], row["turns"]) == (3, 2)
    assert row["answered"] and math.isnan(row["hours_to_first_response"]) and pd.isna(row["first_message_at"])
    hours, _ = first_response_durations(thread_table(docs))
    assert hours.empty  # no dated customer message: no duration at all


def test_answer_without_a_date_is_left_out_of_durations():
    docs = _docs([("e1", "e", "customer", "ed", 0.0), ("e2", "e", "agent", None, None),
                  ("f1", "f", "customer", "fi", 0.0), ("f2", "f", "customer", "fi", 2.0)])
    t = thread_table(docs)
    assert t["answered"].tolist() == [True, False]
    hours, observed = first_response_durations(t)
    assert t.loc[hours.index, "thread"].tolist() == ["f"]  # e was answered, but when is unknown: not censored
    assert hours.tolist() == [2.0] and observed.tolist() == [False]


def test_threads_are_separate_and_in_order_of_appearance():
    docs = _docs([("x1", "x", "customer", "xa", 0.0), ("y1", "y", "agent", None, 0.0), ("x2", "x", "agent", None, 2.0)])
    t = thread_table(docs)
    assert t["thread"].tolist() == ["x", "y"]
    assert t["messages"].tolist() == [2, 1] and t["hours_to_first_response"].iloc[0] == 2.0
    assert t["turns"].tolist() == [2, 1]  # y's lone agent message is a turn of its own, not x's continued
    assert pd.isna(t["customer"].iloc[1]) and not t["answered"].iloc[1]


# -- thread_roots ---------------------------------------------------------------------------------------------------

def test_roots_follow_a_chain_and_a_missing_parent_starts_a_thread():
    ids = pd.Series(["m1", "m2", "m3", "m4", "m5", "m6"])
    parents = pd.Series(["m3", None, "m2", "m1", "gone", "m5"])  # m4 -> m1 -> m3 -> m2; m6 -> m5 -> (absent)
    assert thread_roots(ids, parents).tolist() == ["m2", "m2", "m2", "m2", "m5", "m5"]


def test_roots_of_a_long_chain():
    n = 5000
    ids = pd.Series([f"n{i}" for i in range(n)])
    parents = pd.Series([None] + [f"n{i}" for i in range(n - 1)])
    assert (thread_roots(ids, parents) == "n0").all()


def test_cycle_members_are_their_own_roots():
    ids = pd.Series(["a", "b", "c", "t", "s", "ok"])
    parents = pd.Series(["b", "c", "a", "a", "s", None])  # a->b->c->a; t hangs off the cycle; s replies to itself
    assert thread_roots(ids, parents).tolist() == ["a", "b", "c", "a", "s", "ok"]


# -- service_times --------------------------------------------------------------------------------------------------

def _km_median(h, o):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KaplanMeierFitter().fit(h, o).median_survival_time_


def test_km_median_matches_lifelines_with_censoring():
    hours = pd.Series([0.5, 1.0, 1.0, 2.0, 3.5, 4.0, 6.0, 8.0, 9.0, 12.0])
    observed = pd.Series([True, True, False, True, False, True, True, False, True, False])
    st = service_times(hours, observed)
    row = st.iloc[0]
    assert row["group"] == "all" and (row["n"], row["events"], row["censored"]) == (10, 6, 4)
    assert row["median_hours"] == _km_median(hours, observed)
    # plain median of answered threads only would be 3.0: censoring moves it later
    assert row["median_hours"] == 6.0
    assert row["median_low"] <= row["median_hours"] <= row["median_high"] or math.isnan(row["median_high"])
    assert row["q25_hours"] <= row["median_hours"] <= row["q75_hours"]


def test_small_and_all_censored_groups_give_nan():
    hours = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 1.0, 2.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    observed = pd.Series([True] * 3 + [False] * 2 + [True] + [False] * 6)
    by = pd.Series(["small"] * 3 + ["mixed"] * 2 + ["mixed"] + ["silent"] * 6)
    st = service_times(hours, observed, by=by).set_index("group")
    assert st.loc["small", "n"] == 3 and st.loc["small", ["median_hours", "q25_hours"]].isna().all()
    assert st.loc["silent", "n"] == 6 and st.loc["silent", "events"] == 0
    assert math.isnan(st.loc["silent", "median_hours"])  # never reached 0.5: NaN, not inf
    assert st.loc["mixed", "n"] == 3 and math.isnan(st.loc["mixed", "median_hours"])
    ok = service_times(hours, observed, by=by, min_threads=3).set_index("group")
    assert ok.loc["small", "median_hours"] == 2.0


# -- real data ------------------------------------------------------------------------------------------------------

def _walk_roots(ids, parents):
    """Independent of thread_roots: follow each parent in a dict, one message at a time."""
    parent_of = {i: p for i, p in zip(ids, parents) if isinstance(p, str)}
    known = set(ids)
    roots = []
    for i in ids:
        seen = {i}
        while i in parent_of and parent_of[i] in known and parent_of[i] not in seen:
            i = parent_of[i]
            seen.add(i)
        roots.append(i)
    return roots


@pytest.fixture(scope="module")
def twcs():
    if not SHARED.is_dir():
        pytest.skip("needs the sibling ../shared folder with data/customer_support_twitter (not present here)")
    raw = pd.read_csv(TWCS, dtype={"tweet_id": str, "author_id": str, "in_response_to_tweet_id": str,
                                   "response_tweet_id": str})
    inbound = raw["inbound"].astype(bool)
    date = pd.to_datetime(raw["created_at"], format="%a %b %d %H:%M:%S %z %Y", utc=True).dt.tz_localize(None)
    docs = pd.DataFrame({
        "doc_id": raw["tweet_id"], "text": raw["text"], "date": date.astype("datetime64[ns]"),
        "customer": raw["author_id"].where(inbound), "reply_to": raw["in_response_to_tweet_id"],
        "author_role": np.where(inbound, "customer", "agent"), "analysed": inbound, "author": raw["author_id"],
    })
    docs["thread"] = _walk_roots(docs["doc_id"].tolist(), docs["reply_to"].tolist())
    return docs


@pytest.mark.slow
def test_thread_roots_on_real_replies(twcs):
    assert thread_roots(twcs["doc_id"], twcs["reply_to"]).tolist() == twcs["thread"].tolist()


@pytest.mark.slow
def test_thread_table_equals_direct_recomputation_on_real_threads(twcs):
    t = thread_table(twcs).set_index("thread")
    expected_hours, expected_turns = {}, {}
    for thread, g in twcs.sort_values("date", kind="stable").groupby("thread", sort=False):
        cust = g[g["author_role"] == "customer"]
        fc = cust["date"].min()
        replies = g[(g["author_role"] == "agent") & (g["date"] >= fc)]
        expected_hours[thread] = (replies["date"].min() - fc) / pd.Timedelta(hours=1) if len(replies) else np.nan
        roles = g["author_role"].tolist()
        expected_turns[thread] = 1 + sum(a != b for a, b in zip(roles, roles[1:]))
    expected = pd.DataFrame({"hours": expected_hours, "turns": expected_turns})
    assert len(t) == twcs["thread"].nunique()
    assert t["messages"].equals(twcs.groupby("thread").size().reindex(t.index).rename("messages"))
    hours = expected["hours"].reindex(t.index).to_numpy()
    np.testing.assert_array_equal(t["hours_to_first_response"].to_numpy(), hours)
    assert (t["turns"] == expected["turns"].reindex(t.index)).all()
    assert t["answered"].equals(t["hours_to_first_response"].notna().rename("answered"))  # every tweet is dated


@pytest.mark.slow
def test_median_first_response_per_brand(twcs):
    t = thread_table(twcs)
    # the brand of a thread: the author of its first response
    responses = twcs[twcs["author_role"] == "agent"].merge(
        t[["thread", "first_response_at"]], left_on=["thread", "date"], right_on=["thread", "first_response_at"])
    brand = responses.drop_duplicates("thread").set_index("thread")["author"]
    hours, observed = first_response_durations(t, end=twcs["date"].max())
    by = t["thread"].map(brand)
    st = service_times(hours, observed, by=by).set_index("group")
    counts = by.loc[hours.index].value_counts()
    assert st["n"].equals(counts.reindex(st.index).rename("n"))
    big = counts[counts >= 5].index
    assert len(big) >= 10 and st.loc[big, "median_hours"].notna().all()
    assert st.drop(big)["median_hours"].isna().all()
    # every thread with a brand was answered, so KM reduces to a sample median (lower or upper: with an even
    # count, lifelines' product-limit lands on 0.5 only up to rounding)
    for b in big:
        h = np.sort(hours[by.loc[hours.index] == b].to_numpy())
        assert st.loc[b, "median_hours"] in (h[math.ceil(len(h) / 2) - 1], h[len(h) // 2])
    assert (st["censored"] == 0).all()
    overall = service_times(hours, observed).iloc[0]
    assert overall["censored"] > 0 and overall["median_hours"] > 0
