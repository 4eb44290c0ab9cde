"""Customers and conversations: the mapping roles, agents kept out of the analysis, ids
pseudonymised alike, and the customer table."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import voc
from voc.cli import app
from voc.customers.table import customer_table
from voc.errors import ConfigError
from voc.io.mapping import ColumnMapping
from voc.io.validate import author_roles, validate

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "customer_support_twitter" / "twcs_subset.csv"

THREAD = pd.DataFrame({
    "id": ["m1", "m2", "m3", "m4", "m5", "m6"],
    "who": ["customer", "agent", "customer", "agent", "customer", "customer"],
    "cust": ["ann@example.com", "AcmeHelp", "ann@example.com", "AcmeHelp", "c-2", "c-2"],
    "parent": [None, "m1", "m2", "m3", None, None],
    "when": ["2024-03-01 09:00", "2024-03-01 10:30", "2024-03-02 08:00", "2024-03-02 08:05", "2024-03-03 12:00",
             "2024-03-05 12:00"],
    "text": ["My parcel is three days late and nobody answers the phone.",
             "Sorry to hear that! Please DM us your order number and we will look into it.",
             "Still no parcel, this is the third time I'm writing to you.",
             "We have escalated it, you will get a call today.",
             "The app crashes every time I try to pay.",
             "Refund arrived quickly, thanks, great service."],
})
MAPPING = ColumnMapping(text="text", id="id", date="when", customer="cust", reply_to="parent", author_role="who")


def test_mapping_file_and_dict_take_the_conversation_roles(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("text: body\ncustomer: requester\nthread: ticket\nreply_to: parent\nauthor_role: via\n")
    m = ColumnMapping.from_file(f)
    assert (m.customer, m.thread, m.reply_to, m.author_role) == ("requester", "ticket", "parent", "via")
    assert ColumnMapping.from_dict(m.to_dict()) == m
    with pytest.raises(ConfigError, match="unknown keys"):
        ColumnMapping.from_dict({"text": "t", "customer_id": "c"})


def test_author_roles_read_words_and_inbound_flags():
    assert author_roles(pd.Series([True, False])).tolist() == ["customer", "agent"]
    got = author_roles(pd.Series(["Customer", " agent", "brand", "inbound", "0", 1.0, "robot", None]))
    assert got.tolist()[:6] == ["customer", "agent", "agent", "customer", "agent", "customer"]
    assert got.isna().tolist()[6:] == [True, True]


def test_unknown_author_role_is_rejected_with_its_line_and_empty_means_customer():
    raw = THREAD.assign(who=["customer", "robot", "", "agent", "customer", "customer"])
    res = validate(raw, MAPPING, raw.index + 2, "t.csv")
    assert len(res.frame) == 5 and res.rejects["line"].tolist() == [3]
    assert "author role 'robot' is neither customer nor agent" in res.rejects["reason"].iloc[0]
    assert res.frame.set_index("doc_id").loc["m3", "author_role"] == "customer"


def test_agents_are_kept_but_never_analysed_and_ids_are_pseudonymised_alike():
    a = voc.Analyzer(mapping=MAPPING).fit_transform(THREAD)
    docs = a.documents.set_index("doc_id")
    agents = docs[docs["author_role"] == "agent"]
    assert len(agents) == 2 and not agents["analysed"].any() and agents["sentiment"].isna().all()
    assert not a.sentences["doc_id"].isin(agents.index).any()  # no sentence, so no theme, touchpoint or driver
    assert a.run["counts"]["agent_messages"] == 2 and a.run["counts"]["not_analysed"] == 0
    assert a.run["stages"]["language"]["message"] is None  # agents are not "feedback left out"
    # an e-mail customer id is pseudonymised, and the same everywhere it appears
    ann = docs.loc["m1", "customer"]
    assert ann.startswith("id-") and docs.loc["m3", "customer"] == ann
    assert "ann@example.com" not in a.documents.to_string()
    assert docs.loc["m2", "reply_to"] == "m1"


def test_customer_table_per_customer():
    a = voc.Analyzer(mapping=MAPPING).fit_transform(THREAD)
    c = a.tables["customers"].set_index("customer")
    ann = a.documents.set_index("doc_id").loc["m1", "customer"]
    assert set(c.index) == {ann, "c-2"}  # the agent account is not a customer
    assert c.loc[ann, "contacts"] == 2 and c.loc["c-2", "contacts"] == 2
    assert c.loc[ann, "first_contact"] == pd.Timestamp("2024-03-01 09:00")
    assert c.loc["c-2", "last_contact"] == pd.Timestamp("2024-03-05 12:00")
    s = a.documents.set_index("doc_id")["sentiment_score"]
    assert c.loc["c-2", "sentiment_first"] == pytest.approx(s["m5"]) and c.loc["c-2", "sentiment_last"] == \
        pytest.approx(s["m6"])
    assert c.loc["c-2", "sentiment_change"] > 0  # crash complaint, then thanks


def test_customer_table_orders_what_was_raised_and_keeps_latest_scores():
    docs = pd.DataFrame({
        "doc_id": list("abcd"), "customer": ["x", "x", "x", "y"], "line": [4, 2, 3, 5],
        "date": pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-02", "2024-01-01"]),
        "channel": ["chat", "email", "chat", "phone"],
        "touchpoints": [["returns"], ["delivery"], ["delivery", "billing"], []],
        "theme_labels": [["refund slow"], ["late delivery"], ["late delivery"], []],
        "sentiment_score": [0.5, -0.8, -0.2, np.nan], "analysed": [True, True, True, True],
        "nps": [9.0, np.nan, 2.0, np.nan], "author_role": ["customer"] * 4,
    })
    c = customer_table(docs, ["nps"]).set_index("customer")
    assert c.loc["x", "touchpoints"] == ["delivery", "billing", "returns"]
    assert c.loc["x", "issues"] == ["late delivery", "refund slow"]
    assert c.loc["x", "channels"] == ["email", "chat"]
    assert c.loc["x", "sentiment_first"] == -0.8 and c.loc["x", "sentiment_last"] == 0.5
    assert c.loc["x", "latest_nps"] == 9.0 and np.isnan(c.loc["y", "latest_nps"])
    assert np.isnan(c.loc["y", "sentiment_first"]) and c.loc["y", "touchpoints"] == []


def test_cli_writes_customers_parquet_and_a_bad_role_flag_is_an_error(tmp_path):
    src = tmp_path / "threads.csv"
    THREAD.to_csv(src, index=False)
    out = tmp_path / "out"
    args = ["analyze", str(src), "--out", str(out), "--id-col", "id", "--date-col", "when", "--no-redact",
            "--conversation", "customer=cust", "--conversation", "author_role=who", "--conversation", "reply-to=parent"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    c = pd.read_parquet(out / "customers.parquet")
    assert sorted(c["customer"]) == ["ann@example.com", "c-2"] and c["contacts"].tolist() == [2, 2]
    r = CliRunner().invoke(app, ["analyze", str(src), "--out", str(out), "--id-col", "id"])
    assert r.exit_code == 0 and not (out / "customers.parquet").exists()  # no stale table from the earlier run
    r = CliRunner().invoke(app, ["analyze", str(src), "--out", str(out), "--conversation", "buyer=cust"])
    assert r.exit_code == 2 and "--conversation 'buyer=cust'" in r.output


@pytest.mark.slow
def test_support_threads_agents_stay_out_and_contacts_match_the_raw_file(tmp_path):
    if not SHARED.is_file():
        pytest.skip("../shared/data/customer_support_twitter is absent (the shared labeled data)")
    raw = pd.read_csv(SHARED, dtype=str).head(1200)
    m = ColumnMapping(text="text", id="tweet_id", date="created_at", customer="author_id",
                      reply_to="in_response_to_tweet_id", author_role="inbound")
    a = voc.Analyzer(mapping=m).fit_transform(raw)
    docs = a.documents
    inbound = raw["inbound"] == "True"
    assert (docs["author_role"] == "agent").sum() == (~inbound).sum()
    agents = docs.loc[docs["author_role"] == "agent", "doc_id"]
    assert not a.sentences["doc_id"].isin(agents).any()
    expected = raw[inbound].groupby("author_id").size()
    got = a.tables["customers"].set_index("customer")["contacts"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()


def test_threads_follow_replies_and_give_first_response_times(tmp_path):
    """Without a thread column, a message's thread is the root of its reply chain (after
    pseudonymisation, so pseudonymised ids still link); threads.parquet and run.json say
    how long customers waited for a first answer."""
    raw = THREAD.assign(id=["ann@example.com", "m2", "m3", "m4", "m5", "m6"],
                        parent=[None, "ann@example.com", "m2", "m3", None, "m0"])  # m0 is not in the file
    a = voc.Analyzer(mapping=MAPPING).fit_transform(raw)
    assert a.run["stages"]["clean"]["replies_to_missing_messages"] == 1  # said, not silent
    docs = a.documents.set_index("doc_id")
    root = docs.index[0]
    assert root.startswith("id-") and docs.loc["m2", "reply_to"] == root
    assert (docs.loc[["m2", "m3", "m4"], "thread"] == root).all() and docs.loc["m6", "thread"] == "m6"
    t = a.tables["threads"].set_index("thread")
    assert t.loc[root, "messages"] == 4 and t.loc[root, "turns"] == 4
    assert t.loc[root, "hours_to_first_response"] == pytest.approx(1.5)
    assert not t.loc["m5", "answered"]
    assert a.tables["customers"].set_index("customer").loc["c-2", "threads"] == 2
    assert a.run["stages"]["threads"]["threads"] == 3 and a.run["stages"]["threads"]["answered"] == 1
    from voc.outputs import write_outputs

    write_outputs(a, tmp_path / "out", report=False)
    assert len(pd.read_parquet(tmp_path / "out" / "threads.parquet")) == 3
    assert (tmp_path / "out" / "repeat_contacts.csv").is_file()


def test_repeat_contacts_per_issue_and_touchpoint():
    """Ann writes about her late parcel on day 0, 1 (chat: a switch) and 20: two of her
    messages repeat within 7 days, one of them on another channel; Bob writes once."""
    from voc.customers import repeat_contacts

    docs = pd.DataFrame({
        "doc_id": list("abcde"), "customer": ["ann", "ann", "ann", "bob", "ann"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-01", "2024-01-25"]),
        "channel": ["email", "chat", "chat", "email", "email"],
        "theme_ids": [[3], [3], [3, 5], [3], [5]], "touchpoints": [["delivery"], ["delivery"], [], [], ["returns"]],
        "effort": [False, True, True, False, False], "analysed": True, "author_role": "customer",
    })
    r = repeat_contacts(docs, 7, {3: "late parcel", 5: "refund slow"}).set_index(["kind", "key"])
    late = r.loc[("issue", "3")]
    assert late["label"] == "late parcel" and late["customers"] == 2 and late["repeat_customers"] == 1
    assert late["switch_customers"] == 1 and late["repeat_rate"] == 0.5
    assert 0 < late["repeat_low"] < 0.5 < late["repeat_high"] < 1 and late["effort_share"] == 0.5
    assert r.loc[("issue", "5"), "repeat_customers"] == 0  # 20 days apart: not within the window
    assert r.loc[("touchpoint", "delivery"), "repeat_customers"] == 1
    assert repeat_contacts(docs, 30).set_index(["kind", "key"]).loc[("issue", "5"), "repeat_customers"] == 1
    assert repeat_contacts(docs.drop(columns="date")).empty


def test_repeat_days_must_be_a_positive_number():
    with pytest.raises(ConfigError, match="customers.repeat_days"):
        voc.Analyzer(mapping=MAPPING, overrides=["customers.repeat_days=0"]).fit_transform(THREAD)


def test_service_times_per_issue_count_each_thread_under_every_issue_it_raised():
    from lifelines import KaplanMeierFitter

    from voc.customers import first_response_durations, service_times_by, thread_table

    rows = []
    for i in range(12):  # 12 threads: customer at 0h, agent after i+1 hours (thread 11 never answered)
        rows.append((f"t{i}c", f"t{i}", "customer", pd.Timestamp("2024-01-01"), [1] if i < 6 else [2], ["delivery"]))
        if i < 11:
            rows.append((f"t{i}a", f"t{i}", "agent", pd.Timestamp("2024-01-01") + pd.Timedelta(hours=i + 1), [], []))
    docs = pd.DataFrame(rows, columns=["doc_id", "thread", "author_role", "date", "theme_ids", "touchpoints"])
    threads = thread_table(docs)
    hours, observed = first_response_durations(threads, end=pd.Timestamp("2024-01-02"))
    st = service_times_by(docs, threads, hours, observed, {1: "late parcel", 2: "refund slow"})
    st = st.set_index(["kind", "key"])
    assert st.loc[("touchpoint", "delivery"), "n"] == 12 and st.loc[("issue", "1"), "n"] == 6
    assert st.loc[("issue", "2"), "censored"] == 1 and st.loc[("issue", "2"), "label"] == "refund slow"
    km = KaplanMeierFitter().fit([7, 8, 9, 10, 11, 24], [1, 1, 1, 1, 1, 0])
    assert st.loc[("issue", "2"), "median_hours"] == pytest.approx(km.median_survival_time_)
    assert st.index[0] == ("issue", "2")  # slowest first
