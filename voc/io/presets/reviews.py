"""Review exports: Google Play Console, App Store Connect, and review sites (Trustpilot's
business export and the like).

A review is a customer's document; the stars are its score. A developer's or company's
public reply is the brand speaking: it becomes an agent message in the review's thread
(never feedback, never a theme), so the customers layer measures time to first response
per issue. Reviewers' names and nicknames are left out; a reviewer id, where the site
gives one, is the customer (pseudonymised like every id). A rating without any text has
no words to analyse: it is counted in the notes, not turned into an empty document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import ConfigError, EmptyInput
from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.io.presets.base import PresetResult, header_table, json_head, json_records, override

#: Google Play Console's review reports (monthly CSV, UTF-16): the columns voc reads
_PLAY = {"Package Name", "Star Rating", "Review Text"}
#: a review site's export (Trustpilot's business export names): what identifies one
_SITE = {"Review Content", "Review Stars"}
_SITE_REPLY = ("Company Reply", "Company Response", "Reply Content", "Reply Text", "Reply")
_SITE_REPLY_DATE = ("Company Reply Date (UTC)", "Company Reply Date", "Reply Date (UTC)", "Reply Date")


def looks_like_google_play(rows: list[list[str]]) -> bool:
    return bool(rows) and _PLAY <= {c.strip() for c in rows[0]}


def looks_like_review_site(rows: list[list[str]]) -> bool:
    return bool(rows) and _SITE <= {c.strip() for c in rows[0]}


def _join_title(title: pd.Series, text: pd.Series) -> pd.Series:
    """"Title. Text" (a title is often the review's gist); either alone when the other is empty."""
    both = (title != "") & (text != "")
    sep = np.where(title.str.contains(r"[.!?…]$", regex=True), " ", ". ")
    return pd.Series(np.where(both, title + sep + text, np.where(text != "", text, title)), index=text.index)


def _with_replies(reviews: pd.DataFrame, reply: pd.Series | None, reply_date: pd.Series | None) -> pd.DataFrame:
    """The reviews (role customer, each its own thread) and, after each one answered, the
    brand's reply as an agent message in the same thread, from the same export line."""
    reviews = reviews.assign(thread=reviews["id"], author_role="customer")
    if reply is None:
        return reviews
    answered = reply != ""
    carried = ["id", "line", "thread", "channel", *(["customer"] if "customer" in reviews else [])]
    replies = reviews.loc[answered, carried].assign(
        text=reply[answered], author_role="agent", reply_to=reviews.loc[answered, "id"],
        date=reply_date[answered] if reply_date is not None else "")
    replies["id"] = replies["id"] + ":reply"
    both = pd.concat([reviews, replies], ignore_index=True)
    both["_order"] = np.r_[np.zeros(len(reviews)), np.ones(len(replies))]
    return both.sort_values(["line", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def _finish(frame: pd.DataFrame, m: ColumnMapping, user: ColumnMapping | None, notes: list[str],
            rejects: list[dict[str, Any]]) -> PresetResult:
    frame = frame.reset_index(drop=True)
    lines = frame.pop("line").to_numpy()
    if "reply_to" in frame.columns:
        frame["reply_to"] = frame["reply_to"].fillna("")
        m.reply_to = "reply_to"
    return PresetResult(frame, override(m, user), lines, notes, rejects)


def google_play(path: Path, user: ColumnMapping | None) -> PresetResult:
    """A Google Play Console review report (Reviews → Download reports, monthly CSV in
    UTF-16): one document per review with text, its stars as the score, app version and
    language as segments, the device kept; the developer's reply as the agent's message."""
    body, starts, rejects = header_table(path, _PLAY, "Google Play Console review", "download the reviews report "
                                         "from Play Console (Download reports → Reviews) and pass it as it is")
    col = body.get
    title, text = col("Review Title", pd.Series("", index=body.index)), body["Review Text"]
    link = col("Review Link", pd.Series("", index=body.index))
    review_id = link.str.extract(r"reviewId=([^&\s]+)", expand=False).fillna("")
    millis = col("Review Submit Millis Since Epoch", pd.Series("", index=body.index))
    fallback = body["Package Name"] + ":" + np.where(millis != "", millis, pd.Series(starts, index=body.index)
                                                     .astype(str))
    reviews = pd.DataFrame({"id": np.where(review_id != "", review_id, fallback), "line": starts,
                            "text": _join_title(title, text), "stars": body["Star Rating"],
                            "date": col("Review Submit Date and Time", pd.Series("", index=body.index)),
                            "channel": "Google Play", "app": body["Package Name"]})
    segments = ["app"] if body["Package Name"].nunique() > 1 else []
    for name, key in (("App Version Name", "app_version"), ("Reviewer Language", "reviewer_language")):
        if name in body.columns:
            reviews[key] = body[name]
            segments.append(key)
    keep = []
    if "Device" in body.columns:
        reviews["device"] = body["Device"]
        keep.append("device")
    has_text = reviews["text"] != ""
    reply = col("Developer Reply Text")
    frame = _with_replies(reviews[has_text], reply[has_text] if reply is not None else None,
                          col("Developer Reply Date and Time", pd.Series("", index=body.index))[has_text])
    m = ColumnMapping(text="text", id="id", date="date", channel="channel", segments=segments, keep=keep,
                      scores=[ScoreSpec(column="stars", kind="stars")], thread="thread", author_role="author_role")
    n_replies = int((frame["author_role"] == "agent").sum())
    notes = [f"Google Play reviews: {len(body)} reviews, {int(has_text.sum())} with text → documents; "
             f"{int((~has_text).sum())} star ratings without text left out (no words to analyse); "
             f"{n_replies} developer replies as agent messages; stars from Star Rating"]
    return _finish(frame, m, user, notes, rejects)


def review_site(path: Path, user: ColumnMapping | None) -> PresetResult:
    """A review site's export (Trustpilot's business export: Review Title / Content /
    Stars / Created (UTC), reply columns): one document per review with text, stars as
    the score, the reviewer id as the customer, language, location and source as
    segments, tags kept; the company's reply as the agent's message. Names, e-mails and
    reviewer usernames are left out."""
    body, starts, rejects = header_table(path, _SITE, "review-site (Trustpilot-style)",
                                         "the export needs the review text and its stars")
    empty = pd.Series("", index=body.index)
    title = body.get("Review Title", empty)
    review_id = body.get("Review Id", body.get("Review ID", empty))
    reviews = pd.DataFrame({"id": np.where(review_id != "", review_id, "line" + pd.Series(starts).astype(str)),
                            "line": starts, "text": _join_title(title, body["Review Content"]),
                            "stars": body["Review Stars"],
                            "date": body.get("Review Created (UTC)", body.get("Review Date", empty)),
                            "channel": "reviews"})
    customer = next((c for c in ("Review Consumer User Id", "Review Consumer User ID", "Consumer Id") if c in body),
                    None)
    if customer:
        reviews["customer"] = body[customer]
    segments, keep = [], []
    for names, key in ((("Review Language",), "review_language"), (("Location Name", "Location"), "location"),
                       (("Source Of Review", "Source"), "source"), (("Webshop Name", "Business Unit"), "business")):
        found = next((c for c in names if c in body), None)
        if found and body[found].ne("").any():
            reviews[key] = body[found]
            segments.append(key)
    if "Tags" in body:
        reviews["tags"] = body["Tags"]
        keep.append("tags")
    reply = next((body[c] for c in _SITE_REPLY if c in body), None)
    reply_date = next((body[c] for c in _SITE_REPLY_DATE if c in body), None)
    has_text = reviews["text"] != ""
    frame = _with_replies(reviews[has_text], reply[has_text] if reply is not None else None,
                          reply_date[has_text] if reply_date is not None else None)
    m = ColumnMapping(text="text", id="id", date="date", channel="channel", segments=segments, keep=keep,
                      scores=[ScoreSpec(column="stars", kind="stars")], thread="thread", author_role="author_role",
                      customer="customer" if customer else None)
    n_replies = int((frame["author_role"] == "agent").sum())
    notes = [f"review-site export: {len(body)} reviews, {int(has_text.sum())} with text → documents; "
             f"{int((~has_text).sum())} without text left out; {n_replies} company replies as agent messages"]
    return _finish(frame, m, user, notes, rejects)


def looks_like_app_store(values: list[Any]) -> bool:
    return any(isinstance(v, dict) and any(isinstance(d, dict) and d.get("type") == "customerReviews"
                                           for d in v.get("data") or []) for v in values)


def app_store(path: Path, user: ColumnMapping | None) -> PresetResult:
    """App Store Connect's customer reviews as its API returns them (``GET
    /v1/apps/{id}/customerReviews?include=response``): one JSON page, a JSON array of
    pages, or one page per line. Each review (rating, title, body, createdDate,
    territory) is a document with its stars; its published response is the agent's
    message; the reviewer's nickname is left out."""
    pages = json_records(path, "App Store Connect")
    flat = [(line, v) for line, page in pages for v in (page if isinstance(page, list) else [page])]
    if not looks_like_app_store([v for _, v in flat]):
        raise ConfigError(f"{path.name} is not an App Store Connect reviews export: no 'data' with type "
                          "customerReviews (save the API's customerReviews response, with include=response)")
    responses = {d.get("id"): d.get("attributes") or {} for _, page in flat if isinstance(page, dict)
                 for d in page.get("included") or [] if isinstance(d, dict) and d.get("type") ==
                 "customerReviewResponses"}
    rows, replies, skipped = [], [], 0
    for line, page in flat:
        for d in page.get("data") or [] if isinstance(page, dict) else []:
            if not isinstance(d, dict) or d.get("type") != "customerReviews":
                continue
            a = d.get("attributes") or {}
            text = _join_title(pd.Series([str(a.get("title") or "").strip()]),
                               pd.Series([str(a.get("body") or "").strip()])).iat[0]
            if not text:
                skipped += 1
                continue
            rid = str(d.get("id") or f"line{line}:{len(rows)}")
            rows.append({"id": rid, "line": line, "text": text, "stars": a.get("rating"),
                         "date": a.get("createdDate") or "", "channel": "App Store",
                         "territory": a.get("territory") or ""})
            ref = ((d.get("relationships") or {}).get("response") or {}).get("data") or {}
            resp = responses.get(ref.get("id")) if isinstance(ref, dict) else None
            if resp and str(resp.get("responseBody") or "").strip() and resp.get("state", "PUBLISHED") == "PUBLISHED":
                replies.append((rid, str(resp["responseBody"]).strip(), resp.get("lastModifiedDate") or ""))
    if not rows:
        raise EmptyInput(f"{path.name}: no review with a title or a body")
    reviews = pd.DataFrame(rows)
    by_id = dict(zip(reviews["id"], range(len(reviews))))
    reply = pd.Series("", index=reviews.index)
    reply_date = pd.Series("", index=reviews.index)
    for rid, body_, when in replies:
        reply.iat[by_id[rid]], reply_date.iat[by_id[rid]] = body_, when
    frame = _with_replies(reviews, reply, reply_date)
    segments = ["territory"] if reviews["territory"].ne("").any() else []
    m = ColumnMapping(text="text", id="id", date="date", channel="channel", segments=segments,
                      scores=[ScoreSpec(column="stars", kind="stars")], thread="thread", author_role="author_role")
    notes = [f"App Store Connect reviews: {len(reviews)} reviews → documents"
             + (f" ({skipped} without text left out)" if skipped else "")
             + f"; {len(replies)} published responses as agent messages"]
    frame["stars"] = frame["stars"].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                        else str(v))
    return _finish(frame, m, user, notes, [])


def is_app_store_file(path: Path) -> bool:
    """Cheap check for detection: a JSON file whose text names customerReviews."""
    head = json_head(path)
    return b'"customerReviews"' in head or '"customerReviews"'.encode("utf-16-le") in head
