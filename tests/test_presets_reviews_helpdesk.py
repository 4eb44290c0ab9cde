"""--preset for review exports (Google Play Console, App Store Connect, review sites) and
help-desk tickets (Zendesk JSON): files generated in each tool's documented layout (no
public real export of these tools was found to ship; see tests/data/exports/README.md)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.errors import ConfigError
from voc.io import presets

PLAY_HEADER = ["Package Name", "App Version Code", "App Version Name", "Reviewer Language", "Device",
               "Review Submit Date and Time", "Review Submit Millis Since Epoch", "Review Last Update Date and Time",
               "Review Last Update Millis Since Epoch", "Star Rating", "Review Title", "Review Text",
               "Developer Reply Date and Time", "Developer Reply Millis Since Epoch", "Developer Reply Text",
               "Review Link"]


def _texts(n: int, seed: int) -> list[str]:
    from voc.datasets import make_feedback

    return make_feedback(n=n, random_state=seed)["text"].tolist()


def play_export(path: Path, n: int, seed: int = 5) -> pd.DataFrame:
    """``n`` reviews as Play Console's monthly reviews report: UTF-16 with a BOM, CRLF; every
    fifth a star rating without text, every third answered by the developer."""
    rng = np.random.default_rng(seed)
    texts = _texts(n, seed)
    rows = []
    for i in range(n):
        stars = int(rng.integers(1, 6))
        text = "" if i % 5 == 4 else texts[i]
        day = f"2026-04-{1 + i % 28:02d}"
        reply = "Thanks for the feedback, we are on it." if i % 3 == 0 and text else ""
        rows.append(["com.fernbrook.shop", str(300 + i % 4), f"3.{i % 4}.0", ["en", "en", "de"][i % 3],
                     ["a52q", "OnePlus8T", "starqltesq"][i % 3], f"{day}T10:{i % 60:02d}:00Z",
                     str(1775000000000 + i * 60000), f"{day}T10:{i % 60:02d}:00Z", str(1775000000000 + i * 60000),
                     str(stars), "Disappointed" if i % 7 == 0 and text else "", text,
                     f"{day}T18:00:00Z" if reply else "", "1775030000000" if reply else "", reply,
                     f"https://play.google.com/apps/publish?account=1#ReviewDetailsPlace:p=com.fernbrook.shop&"
                     f"reviewid=x&reviewId=gp:AOqp{i:06d}"])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([PLAY_HEADER, *rows])
    path.write_bytes(buf.getvalue().encode("utf-16"))  # Python's utf-16 writes the BOM, as Play does
    return pd.DataFrame(rows, columns=PLAY_HEADER)


def test_a_google_play_report_in_utf16_is_detected_and_read(tmp_path):
    path = tmp_path / "reviews_reviews_com.fernbrook.shop_202604.csv"
    body = play_export(path, 60)
    assert presets.detect(path) == "google-play"
    res = presets.read(path, "google-play")
    customer = res.frame[res.frame["author_role"] == "customer"]
    assert len(customer) == (body["Review Text"] != "").sum() == 48
    assert customer["id"].iat[0] == "gp:AOqp000000"
    assert customer.set_index("id").loc["gp:AOqp000007", "text"].startswith("Disappointed. ")
    assert [s.kind for s in res.mapping.scores] == ["stars"]
    assert {"app_version", "reviewer_language"} <= set(res.mapping.segments) and "device" in res.mapping.keep
    # developer replies: agent messages in the review's thread, right after it, from its line
    agent = res.frame[res.frame["author_role"] == "agent"]
    assert len(agent) == ((body["Developer Reply Text"] != "") & (body["Review Text"] != "")).sum()
    first = res.frame.index[res.frame["id"] == "gp:AOqp000003:reply"][0]
    assert res.frame.at[first, "thread"] == res.frame.at[first, "reply_to"] == "gp:AOqp000003"
    assert res.frame.at[first - 1, "id"] == "gp:AOqp000003" and res.lines[first] == res.lines[first - 1] == 2 + 3
    assert any("12 star ratings without text" in n for n in res.notes)


def test_google_play_end_to_end_replies_never_become_feedback(tmp_path):
    from typer.testing import CliRunner

    from voc.cli import app

    path = tmp_path / "play.csv"
    play_export(path, 300)
    res = CliRunner().invoke(app, ["analyze", str(path), "--out", str(tmp_path / "a")])
    assert res.exit_code != 0 and "Google Play Console export; use --preset google-play" in res.output
    res = CliRunner().invoke(app, ["analyze", str(path), "--preset", "google-play", "--out", str(tmp_path / "b"),
                                   "-q"])
    assert res.exit_code == 0, res.output
    docs = pd.read_parquet(tmp_path / "b" / "documents.parquet")
    sents = pd.read_parquet(tmp_path / "b" / "sentences.parquet")
    agents = set(docs.loc[docs["author_role"] == "agent", "doc_id"])
    assert len(agents) == 80 and not agents & set(sents["doc_id"])  # never scored, never a theme
    assert docs.loc[docs["author_role"] == "customer", "stars"].notna().all()
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["counts"]["agent_messages"] == 80 and run["counts"]["rejected"] == 0
    # next month's report scored with the saved model, into a store and to files; a broken record
    # (a field short) is a reject with its line in the export
    new = tmp_path / "next.csv"
    play_export(new, 40, seed=9)
    lines = new.read_bytes().decode("utf-16").split("\r\n")
    lines[6] = lines[6].rsplit(",", 1)[0]  # record 6, on line 7, loses its last field
    new.write_bytes("\r\n".join(lines).encode("utf-16"))
    model = str(tmp_path / "b" / "model")
    res = CliRunner().invoke(app, ["score", str(new), "--model", model, "--preset", "google-play", "--store",
                                   str(tmp_path / "s.duckdb"), "--out", str(tmp_path / "s"), "-q"])
    assert res.exit_code == 0, res.output
    rejects = pd.read_csv(tmp_path / "s" / "rejects.csv")
    assert rejects["line"].tolist() == [7] and "expected 16 fields" in rejects["reason"].iat[0]
    scored = pd.read_parquet(tmp_path / "s" / "documents.parquet")
    assert len(scored) == 31 + 11 and (scored["author_role"] == "agent").sum() == 11  # 32 with text, one broken
    res = CliRunner().invoke(app, ["score", str(new), "--model", model, "--preset", "google-play", "--out",
                                   str(tmp_path / "f"), "-q"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_parquet(tmp_path / "f" / "documents.parquet")) == len(scored)


def site_export(path: Path, n: int, seed: int = 6) -> pd.DataFrame:
    """``n`` reviews in Trustpilot's business export names (with the personal columns a
    real one has: username and e-mail)."""
    texts = _texts(n, seed)
    head = ["Review Id", "Review Created (UTC)", "Review Consumer User Id", "Review Username", "Review User Email",
            "Review Title", "Review Content", "Review Stars", "Source Of Review", "Review Language", "Location Name",
            "Tags", "Company Reply Date (UTC)", "Company Reply"]
    rows = [[f"6612{i:08x}", f"2026-05-{1 + i % 28:02d} 09:00:00", f"c{i % (n // 3)}", f"Jane D{i}",
             f"jane{i}@example.com", "Late again" if i % 4 == 0 else "", texts[i], str(1 + i % 5),
             ["Organic", "InvitationApi"][i % 2], "en", ["Leeds", "York", ""][i % 3], "delivery" if i % 4 == 0 else "",
             "2026-05-30 12:00:00" if i % 2 else "", "Sorry to hear this, please DM us." if i % 2 else ""]
            for i in range(n)]
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([head, *rows])
    return pd.DataFrame(rows, columns=head)


def test_a_review_site_export_keeps_reviewers_as_customers_and_drops_their_names(tmp_path):
    path = tmp_path / "trustpilot.csv"
    body = site_export(path, 90)
    assert presets.detect(path) == "reviews"
    res = presets.read(path, "reviews")
    customer = res.frame[res.frame["author_role"] == "customer"]
    assert len(customer) == 90 and (res.frame["author_role"] == "agent").sum() == 45
    assert res.mapping.customer == "customer" and customer["customer"].iat[4] == body["Review Consumer User Id"][4]
    assert customer["text"].iat[0] == "Late again. " + body["Review Content"][0]
    assert not {"Review Username", "Review User Email"} & set(res.frame.columns)
    assert not res.frame.astype(str).apply(lambda c: c.str.contains("@example.com")).any().any()
    assert {"review_language", "location", "source"} <= set(res.mapping.segments)
    out, _ = presets.ingest(path, "reviews")
    assert out.rejects.empty and len(out.frame) == 135
    assert out.frame["customer"].notna().all()  # the company's reply sits in its reviewer's conversation


def app_store_export(path: Path, n: int, seed: int = 7, per_page: int = 40) -> None:
    """``n`` reviews as App Store Connect's API returns them, one page per line."""
    texts = _texts(n, seed)
    with open(path, "w", encoding="utf-8") as f:
        for p0 in range(0, n, per_page):
            data, included = [], []
            for i in range(p0, min(n, p0 + per_page)):
                rel = {}
                if i % 4 == 0:
                    included.append({"type": "customerReviewResponses", "id": f"resp{i}",
                                     "attributes": {"responseBody": "Thanks, a fix ships in 4.2.",
                                                    "lastModifiedDate": "2026-06-02T10:00:00-07:00",
                                                    "state": "PUBLISHED" if i % 8 else "PENDING_PUBLISH"}})
                    rel = {"response": {"data": {"type": "customerReviewResponses", "id": f"resp{i}"}}}
                data.append({"type": "customerReviews", "id": f"as{i:05d}",
                             "attributes": {"rating": 1 + i % 5,
                                            "title": "Crashes" if i % 6 == 0 or i in (19, 29) else "",
                                            "body": texts[i] if i % 10 != 9 else "",
                                            "reviewerNickname": f"jdoe{i}", "createdDate": "2026-06-01T08:00:00-07:00",
                                            "territory": ["USA", "GBR"][i % 2]},
                             "relationships": rel})
            f.write(json.dumps({"data": data, "included": included, "links": {}}) + "\n")


def test_app_store_connect_reviews_with_published_responses(tmp_path):
    path = tmp_path / "reviews.json"
    app_store_export(path, 100)
    assert presets.detect(path) == "app-store"
    res = presets.read(path, "app-store")
    customer = res.frame[res.frame["author_role"] == "customer"]
    assert len(customer) == 100 - 10 + 2  # a title alone is text; title and body both empty: left out
    agent = res.frame[res.frame["author_role"] == "agent"]
    assert set(agent["reply_to"]) == {f"as{i:05d}" for i in range(0, 100, 4) if i % 8}  # published only
    assert "jdoe1" not in res.frame.to_string() and res.mapping.segments == ["territory"]
    assert res.lines[res.frame.index[res.frame["id"] == "as00045"][0]] == 2  # the page's line
    broken = tmp_path / "broken.json"
    broken.write_text(path.read_text().splitlines()[0] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2: not JSON"):
        presets.read(broken, "app-store")


def zendesk_export(path: Path, n: int, seed: int = 8) -> list[dict]:
    """``n`` tickets as Zendesk's JSON export, one per line: requester and agent comments,
    an internal note on every fifth, a quarter still open, satisfaction on some."""
    texts = _texts(2 * n, seed)
    tickets = []
    for i in range(n):
        requester, agent = 9000 + i % (n // 2), 77
        day = 1 + i % 20
        created = f"2026-02-{day:02d}T09:00:00Z"
        comments = [{"id": 1, "author_id": requester, "public": True, "body": texts[2 * i],
                     "created_at": created},
                    {"id": 2, "author_id": agent, "public": True, "body": "Hi, thanks for reaching out. ^Davina",
                     "created_at": f"2026-02-{day:02d}T11:30:00Z"}]
        if i % 5 == 0:
            comments.append({"id": 3, "author_id": agent, "public": False, "body": "Customer is angry, escalate",
                             "created_at": f"2026-02-{day:02d}T11:31:00Z"})
        if i % 2:
            comments.append({"id": 4, "author_id": requester, "public": True, "body": texts[2 * i + 1],
                             "created_at": f"2026-02-{day + 1:02d}T08:00:00Z"})
        solved = i % 4 != 0
        tickets.append({"id": 1000 + i, "subject": "Order issue", "description": texts[2 * i],
                        "status": "solved" if solved else "open", "priority": ["normal", "high"][i % 2],
                        "type": "question", "requester_id": requester, "via": {"channel": ["email", "web"][i % 2]},
                        "tags": ["delivery"], "created_at": created,
                        "updated_at": f"2026-02-{day + 3:02d}T08:00:00Z",
                        "satisfaction_rating": {"score": ["good", "bad", "offered"][i % 3]}, "comments": comments})
    path.write_text("".join(json.dumps(t) + "\n" for t in tickets), encoding="utf-8")
    return tickets


def test_zendesk_tickets_become_threads_and_keep_internal_notes_out(tmp_path):
    path = tmp_path / "tickets.json"
    zendesk_export(path, 40)
    assert presets.detect(path) == "zendesk"
    res = presets.read(path, "zendesk")
    f = res.frame
    assert (f["author_role"] == "customer").sum() == 40 + 20 and (f["author_role"] == "agent").sum() == 40
    assert not f["text"].str.contains("escalate").any() and any("8 internal notes" in n for n in res.notes)
    t1 = f[f["thread"] == "1001"]
    assert t1["id"].tolist() == ["1001:1", "1001:2", "1001:4"] and t1["reply_to"].tolist() == ["", "1001:1", "1001:2"]
    assert set(f.loc[f["thread"] == "1000", "closed"]) == {""}  # open: censored, not dropped
    assert res.mapping.opened == "opened" and res.mapping.customer == "customer" and res.mapping.channel == "channel"
    assert set(f.loc[f["author_role"] == "customer", "satisfaction"]) == {"1", "0", ""}
    assert set(f.loc[f["author_role"] == "agent", "satisfaction"]) == {""}
    assert res.lines[f.index[f["id"] == "1003:2"][0]] == 4


def test_zendesk_end_to_end_with_service_times(tmp_path):
    from typer.testing import CliRunner

    from voc.cli import app

    path = tmp_path / "tickets.jsonl"
    zendesk_export(path, 200)
    res = CliRunner().invoke(app, ["analyze", str(path), "--preset", "zendesk", "--out", str(tmp_path / "z"), "-q"])
    assert res.exit_code == 0, res.output
    docs = pd.read_parquet(tmp_path / "z" / "documents.parquet")
    assert (docs["author_role"] == "agent").sum() == 200 and docs["thread"].nunique() == 200
    assert not docs["text"].str.contains("Davina").any()  # agents' sign-offs are names: redacted
    run = json.loads((tmp_path / "z" / "run.json").read_text())
    assert run["stages"]["threads"]["threads"] == 200
    assert run["stages"]["resolution"]["tickets"] == 200 and run["stages"]["resolution"]["closed"] == 150


def test_a_zendesk_csv_is_refused_with_the_way_out(tmp_path):
    path = tmp_path / "zendesk.csv"
    path.write_text("Id,Requester,Requester id,Subject,Status,Via,Satisfaction Score\n1,Ann,5,Late,open,Mail,Good\n",
                    encoding="utf-8")
    assert presets.detect(path) == "zendesk"
    with pytest.raises(ConfigError, match="no comments.*JSON export"):
        presets.read(path, "zendesk")
