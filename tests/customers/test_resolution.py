"""Time to resolution from ticket opened/closed times: open tickets censored, not dropped;
a ticket closed before it was opened is a reject; per issue, Kaplan-Meier as lifelines."""

import numpy as np
import pandas as pd
import pytest

import voc
from voc.customers.threads import resolution_durations
from voc.io.mapping import ColumnMapping
from voc.io.validate import frame_to_feedback

MAPPING = ColumnMapping(text="text", id="id", thread="ticket", opened="created", closed="solved")


def test_closed_before_opened_and_unreadable_times_are_rejects() -> None:
    rows = pd.DataFrame({"id": ["1", "2", "3", "4"], "ticket": ["t1", "t2", "t3", "t4"],
                         "text": ["Refund please.", "Parcel late.", "App crashes.", "Wrong size."],
                         "created": ["2024-01-01 09:00", "2024-01-02 10:00", "2024-01-03", "soon"],
                         "solved": ["2024-01-01 12:00", "2024-01-01 10:00", "", "2024-01-05"]})
    res = frame_to_feedback(rows, MAPPING)
    assert res.frame["doc_id"].tolist() == ["1", "3"]  # ticket 3 is open: kept, closed empty
    reasons = dict(zip(res.rejects["line"], res.rejects["reason"]))
    assert "before opened" in reasons[2] and "unparseable opened time" in reasons[4]


def test_open_tickets_are_censored_at_the_end_and_threads_take_their_extremes() -> None:
    docs = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "thread": ["t1", "t1", "t2", "t3"],
                         "opened": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 06:00", "2024-01-02 00:00", "2024-01-03 00:00"]),
                         "closed": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 12:00", None, "2024-01-03 05:00"])})
    hours, observed, unit = resolution_durations(docs, end=pd.Timestamp("2024-01-04"))
    assert unit == "thread"
    assert hours.to_dict() == {"t1": 12.0, "t2": 48.0, "t3": 5.0}
    assert observed.to_dict() == {"t1": True, "t2": False, "t3": True}


def test_resolution_times_per_issue_follow_lifelines() -> None:
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(0)
    texts = {"refund": ["My refund has not arrived.", "Still waiting for the refund.", "Where is my refund?"],
             "app": ["The app crashes at login.", "The app keeps freezing.", "App will not open."]}
    rows = []
    for i in range(90):
        topic = "refund" if i % 2 else "app"
        opened = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(i))
        hours = rng.exponential(72 if topic == "refund" else 8)
        closed = "" if i % 9 == 0 else str(opened + pd.Timedelta(hours=hours))
        rows.append({"id": str(i), "ticket": f"t{i}", "text": texts[topic][i % 3] + f" Case {i}.",
                     "created": str(opened), "solved": closed})
    frame = pd.DataFrame(rows)
    analysis = voc.Analyzer(mapping=MAPPING, overrides=["themes.min_cluster_size=5"]).fit_transform(frame)
    res = analysis.tables["resolution_times"]
    assert analysis.run["stages"]["resolution"]["tickets"] == 90
    assert analysis.run["stages"]["resolution"]["closed"] == 80
    docs = analysis.documents
    row = res[res["kind"] == "issue"].iloc[0]  # slowest issue first
    members = docs[docs["theme_ids"].map(lambda ids: int(row["key"]) in list(ids))]
    end = max(pd.to_datetime(frame["created"]).max(), pd.to_datetime(frame["solved"].replace("", None)).max())
    closed = members["closed"]
    dur = ((closed.fillna(end) - members["opened"]) / pd.Timedelta(hours=1)).to_numpy()
    km = KaplanMeierFitter().fit(dur, closed.notna().to_numpy())
    assert row["n"] == len(members) and row["median_hours"] == pytest.approx(km.median_survival_time_)
    assert "refund" in str(row["label"]).lower()  # refunds take longest, as planted
