"""The report's Customers section and its themes.xlsx sheets, on a small analysis built
directly (the customer tables come from voc.customers over a hand-made frame; no model
runs): each part appears only with its table, the journey counts are a hand count, and
the outcomes list holds only harmful effects whose interval excludes zero."""

from __future__ import annotations

import dataclasses
import html
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from voc.customers.outcomes import OutcomeSpec
from voc.customers.summary import conversation_tables
from voc.pipeline import Analysis
from voc.report import build_report, write_excel
from voc.report.customers import MIN_GROUP, transitions

LABELS = {0: "refund never arrived", 1: "lovely fabric", 2: "late parcel", 3: "app crash"}
TOUCHPOINT = {0: "returns & refunds", 1: "product", 2: "delivery", 3: "website & app"}
QUOTE = {0: "I am still waiting for my refund after three weeks.", 1: "Lovely soft fabric.",
         2: "The parcel came four days late.", 3: "The app crashes when I pay."}
CUSTOMER_TABLES = ("customers", "repeat_contacts", "service_times", "resolution_times", "outcomes")


def _messages(i: int) -> list[tuple[float, int, str]]:
    """(day, issue, touchpoint) of customer i's messages: a third write about refunds, again
    two days later, then about delivery (no issue: -1); ten of those also about the app (a
    group too small to be listed); a third about the fabric, a third about a late parcel."""
    if i % 3 == 0:
        return [(0, 0, TOUCHPOINT[0]), (2, 0, TOUCHPOINT[0]), (3, -1, "delivery")] + (
            [(4, 3, TOUCHPOINT[3])] if i < 30 else [])
    return [(0, 1, TOUCHPOINT[1])] if i % 3 == 1 else [(0, 2, TOUCHPOINT[2])]


def _churned(i: int) -> bool:
    # refunds: 21 of 27 churn; fabric: none; late parcel: 13 of 27 (a harm too noisy to exclude zero)
    return (i % 15 != 0) if i % 3 == 0 else (i % 6 == 5)


def _docs(n: int = 81) -> pd.DataFrame:
    rows = []
    start = pd.Timestamp("2024-03-01 09:00")
    for i in range(n):
        for k, (day, issue, touchpoint) in enumerate(_messages(i)):
            at, thread = start + pd.Timedelta(days=day, hours=i % 5), f"t{i}-{k}"
            common = {"customer": f"c{i}", "thread": thread, "churned": float(_churned(i)),
                      "value": 100.0 + 10 * (i % 7)}
            rows.append({**common, "doc_id": f"m{i}-{k}", "author_role": "customer", "date": at,
                         "text": QUOTE.get(issue, "Where is my parcel?"), "theme_ids": [issue],
                         "theme_labels": [LABELS[issue]] if issue >= 0 else [], "touchpoints": [touchpoint],
                         "sentiment_score": -0.5 if issue != 1 else 0.8,
                         "channel": "email" if k % 2 == 0 else "chat", "effort": issue == 0 and k > 0})
            if i % 4:  # every fourth customer is never answered
                rows.append({**common, "doc_id": f"a{i}-{k}", "author_role": "agent",
                             "date": at + pd.Timedelta(hours=1 + issue), "text": "Sorry, we are on it.",
                             "theme_ids": [], "theme_labels": [], "touchpoints": [], "sentiment_score": np.nan,
                             "channel": "email" if k % 2 == 0 else "chat", "effort": False})
    return pd.DataFrame(rows)


THEMES = pd.DataFrame({
    "theme_id": list(LABELS), "label": list(LABELS.values()), "kind": "issue", "level": 0,
    "keywords": [[w] for w in ("refund", "fabric", "parcel", "app")], "examples": [[q] for q in QUOTE.values()],
    "documents": [27, 27, 27, 10], "share": [0.3, 0.1, 0.25, 0.05], "mean_sentiment": [-0.5, 0.8, -0.5, -0.5],
    "negative_share": [1.0, 0.0, 1.0, 1.0]})


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    docs = _docs()
    # tickets: opened at the first message, closed a day per issue id later; every fifth still open
    docs["opened"] = docs.groupby("thread")["date"].transform("min")
    days = pd.to_timedelta(docs["theme_ids"].map(lambda ids: 1 + max(ids, default=0)), unit="D")
    closed = docs["opened"] + days
    docs["closed"] = closed.where(np.arange(len(docs)) % 5 != 0)
    outcomes = [OutcomeSpec("churned", "churned", "binary"), OutcomeSpec("value", "value", "number")]
    tables, meta = conversation_tables(docs, THEMES, outcomes=outcomes)
    run = {"stages": {"threads": meta["threads"], "outcomes": meta["outcomes"], "resolution": meta["resolution"]},
           "config": {"customers": {"repeat_days": 7}}, "counts": {"documents": len(docs)}}
    return Analysis(documents=docs, sentences=pd.DataFrame(), themes=THEMES, tables=tables, run=run)


def _only(analysis: Analysis, keep: tuple[str, ...]) -> Analysis:
    tables = {k: v for k, v in analysis.tables.items() if k not in CUSTOMER_TABLES or k in keep}
    return dataclasses.replace(analysis, tables=tables)


def _section(page: str) -> str:
    start = page.index('<section id="customers">')
    return page[start: page.index("</section>", start)]


def test_every_part_appears_with_its_table(analysis):
    page = build_report(analysis, themes=THEMES)
    assert '<a href="#customers">Customers</a>' in page
    part = _section(page)
    for heading in ("Journey flow", "Where customers have to come back", "Waiting for an answer",
                    "Time to resolution", "Outcomes"):
        assert f"<h3>{heading}</h3>" in part
    assert "associations, not causal estimates" in part
    assert QUOTE[0] in part  # the refund issue's verbatim beside its repeat rate and its churn
    assert "plotly-graph-div" in part and "sankey" in part


@pytest.mark.parametrize("table, heading", [("customers", "Journey flow"),
                                            ("repeat_contacts", "Where customers have to come back"),
                                            ("service_times", "Waiting for an answer"),
                                            ("resolution_times", "Time to resolution"), ("outcomes", "Outcomes")])
def test_a_part_appears_only_with_its_table(analysis, table, heading):
    part = _section(build_report(_only(analysis, (table,)), themes=THEMES))
    shown = [h for h in ("Journey flow", "Where customers have to come back", "Waiting for an answer",
                         "Time to resolution", "Outcomes") if f"<h3>{h}</h3>" in part]
    assert shown == [heading]


def test_without_customer_tables_there_is_no_section(analysis):
    """A run without customers renders as before: no section, no nav link, no chart more."""
    bare = build_report(_only(analysis, ()), themes=THEMES)
    empty = build_report(dataclasses.replace(analysis, tables={**analysis.tables, **{
        k: pd.DataFrame() for k in CUSTOMER_TABLES}}), themes=THEMES)  # read back from empty CSVs
    for page in (bare, empty):
        assert 'id="customers"' not in page and 'href="#customers"' not in page
        assert "Customers and conversations" not in page
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    assert uuid.sub("", bare) == uuid.sub("", empty)


def test_journey_steps_are_a_hand_count():
    customers = pd.DataFrame({"customer": list("abcdefg"), "touchpoints": [
        ["delivery", "refunds", "support"], ["delivery", "refunds"], ["support", "delivery"], ["delivery"], [],
        np.array(["delivery", "delivery", "refunds"]),  # parquet gives arrays; a repeat in a row is one step
        ["refunds", "none", "support"]]})  # "none" is no touchpoint
    got = transitions(customers)
    assert got.to_dict("records") == [{"from": "delivery", "to": "refunds", "customers": 3},
                                      {"from": "refunds", "to": "support", "customers": 2},
                                      {"from": "support", "to": "delivery", "customers": 1}]


def test_sankey_draws_the_counted_steps(analysis):
    from voc.report.charts import journey_flow

    steps = transitions(analysis.tables["customers"])
    # by hand: 27 refund writers went refunds -> delivery; the 10 of them who wrote about the app went on
    assert dict(zip(zip(steps["from"], steps["to"]), steps["customers"])) == {
        ("returns & refunds", "delivery"): 27, ("delivery", "website & app"): 10}
    chart = journey_flow(steps)
    script = chart[chart.index("Plotly.newPlot("):]
    sankey = json.JSONDecoder().raw_decode(script[script.index("["):])[0][0]
    link, nodes = sankey["link"], sankey["node"]["label"]
    assert link["value"] == [27, 10]
    assert [(nodes[s], nodes[t]) for s, t in zip(link["source"], link["target"])] == [
        ("returns &amp; refunds", "delivery"), ("delivery", "website &amp; app")]


def test_outcomes_list_only_harmful_effects_whose_interval_excludes_zero(analysis):
    effects = analysis.tables["outcomes"]
    churn = effects[effects["outcome"] == "churned"].set_index("label")
    part = _section(build_report(analysis, themes=THEMES))
    table = part[part.index("<b>churned</b>"): part.index("<b>value</b>")]
    listed = {html.unescape(x) for x in re.findall(r"<td><b>([^<]+)</b>", table)}
    expected = {lab for lab, r in churn.iterrows() if r["difference_ci_low"] > 0 and r["units_with"] >= MIN_GROUP}
    assert listed == expected and "refund never arrived" in listed
    assert churn.loc["late parcel", "difference"] > 0 > churn.loc["late parcel", "difference_ci_low"]  # noisy harm
    assert churn.loc["lovely fabric", "difference_ci_high"] < 0  # protective
    assert churn.loc["app crash", "units_with"] < MIN_GROUP  # too few to list
    assert not listed & {"late parcel", "lovely fabric", "app crash"}


def test_workbook_gets_the_customer_sheets(analysis, tmp_path):
    path = write_excel(analysis, tmp_path / "themes.xlsx", themes=THEMES)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Themes", "Priorities", "Drivers", "Theme share by period",
                             "Customers journey transitions", "Repeat contact", "Service times", "Resolution times",
                             "Outcomes", "Summary", "About"]
    steps = [[c.value for c in row] for row in wb["Customers journey transitions"].iter_rows()]
    assert steps == [["from", "to", "customers"], ["returns & refunds", "delivery", 27],
                     ["delivery", "website & app", 10]]
    head = [c.value for c in wb["Outcomes"][1]]
    assert {"harmful", "example", "difference_ci_low"} <= set(head)
    assert wb["Outcomes"].max_row == len(analysis.tables["outcomes"]) + 1
    bare = openpyxl.load_workbook(write_excel(_only(analysis, ()), tmp_path / "bare.xlsx", themes=THEMES))
    assert "Outcomes" not in bare.sheetnames and "Repeat contact" not in bare.sheetnames


def test_agent_replies_are_not_counted_as_feedback(analysis):
    page = build_report(analysis, themes=THEMES)
    docs = analysis.documents
    agents = int((docs["author_role"] == "agent").sum())
    assert agents and f"{len(docs) - agents:,} pieces of feedback (and {agents:,} agent replies)" in page
