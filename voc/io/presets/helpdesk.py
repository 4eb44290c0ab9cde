"""Help-desk ticket exports: Zendesk's JSON (the account's full JSON export, or tickets as
the API returns them with their comments).

A ticket is a thread: each public comment is a message, the requester's are customer
feedback, everyone else's (agents, the brand) are agent messages, counted for service
times but never scored. Internal notes (private comments) are the team's own words to
itself: left out, and counted. The ticket's requester is the customer, its channel is
``via.channel``, its creation and solve times open and close it (a ticket not solved is
open: censored in the resolution times), and its satisfaction rating (good / bad) is a
0-1 score on the requester's messages. Zendesk's CSV export carries no comments, so it is
refused with a way out rather than analysed on subjects alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from voc.errors import ConfigError, EmptyInput
from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.io.presets.base import PresetResult, json_head, json_records, override

#: Zendesk's CSV export header (it has ticket fields, no comments): refused, with the way out
_CSV_MARK = {"Requester id", "Via", "Satisfaction Score"}
_SOLVED = {"solved", "closed"}
_RATING = {"good": "1", "bad": "0"}


def looks_like_zendesk_csv(rows: list[list[str]]) -> bool:
    return bool(rows) and _CSV_MARK <= {c.strip() for c in rows[0]}


def _tickets(values: list[tuple[int, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Ticket objects with their line: a bare ticket per line, ``{"ticket": ...}``,
    ``{"tickets": [...]}`` pages, or an array of either."""
    out: list[tuple[int, dict[str, Any]]] = []

    def add(line: int, v: Any) -> None:
        if isinstance(v, list):
            for x in v:
                add(line, x)
        elif isinstance(v, dict):
            if isinstance(v.get("tickets"), list):
                add(line, v["tickets"])
            elif isinstance(v.get("ticket"), dict):
                add(line, v["ticket"])
            elif "id" in v and ("comments" in v or "description" in v):
                out.append((line, v))

    for line, v in values:
        add(line, v)
    return out


def _when(t: dict[str, Any], *keys: str) -> str:
    for k in keys:
        v = t.get(k)
        if v is None and isinstance(t.get("metric_set"), dict):
            v = t["metric_set"].get(k)
        if v:
            return str(v)
    return ""


def zendesk(path: Path, user: ColumnMapping | None) -> PresetResult:
    """A Zendesk JSON export (newline-delimited tickets with ``comments``, or API pages)."""
    if path.suffix.lower() in (".csv", ".tsv"):
        raise ConfigError(f"{path.name}: Zendesk's CSV export has ticket fields but no comments, so there is no "
                          "customer text in it; export tickets as JSON (Admin Center → Account → Tools → Reports → "
                          "JSON export) or fetch them with their comments from the API")
    tickets = _tickets(json_records(path, "Zendesk"))
    if not tickets:
        raise ConfigError(f"{path.name} is not a Zendesk ticket export: no ticket object (with an id and comments "
                          "or a description) in it")
    rows: list[dict[str, Any]] = []
    notes_private = 0
    for line, t in tickets:
        tid = str(t["id"])
        requester = str(t.get("requester_id") or "")
        status = str(t.get("status") or "").lower()
        via = t.get("via") or {}
        rating = (t.get("satisfaction_rating") or {}).get("score") if isinstance(t.get("satisfaction_rating"),
                                                                              dict) else None
        opened = _when(t, "created_at")
        closed = _when(t, "solved_at") or (_when(t, "updated_at") if status in _SOLVED else "")
        base = {"line": line, "thread": tid, "customer": requester, "channel": str(via.get("channel") or "")
                if isinstance(via, dict) else "", "opened": opened, "closed": closed if status in _SOLVED else "",
                "status": status, "priority": str(t.get("priority") or ""), "ticket_type": str(t.get("type") or ""),
                "subject": str(t.get("subject") or ""), "tags": ", ".join(map(str, t.get("tags") or []))}
        comments = t.get("comments")
        if not isinstance(comments, list):  # a ticket without its comments: its description is the first one
            comments = [{"id": "description", "author_id": t.get("requester_id"), "public": True,
                         "body": t.get("description") or "", "created_at": opened}]
        previous = ""
        for k, c in enumerate(comments):
            if not isinstance(c, dict):
                continue
            if c.get("public") is False:
                notes_private += 1
                continue
            text = str(c.get("plain_body") or c.get("body") or "").strip()
            if not text:
                continue
            author = str(c.get("author_id") or "")
            mine = author == requester and requester != ""
            cid = f"{tid}:{c.get('id', k)}"
            rows.append({**base, "id": cid, "text": text, "date": str(c.get("created_at") or opened),
                         "author_role": "customer" if mine else "agent", "reply_to": previous,
                         "satisfaction": _RATING.get(str(rating or "").lower(), "") if mine else ""})
            previous = cid
    if not rows:
        raise EmptyInput(f"{path.name}: {len(tickets)} tickets and no public comment with text")
    frame = pd.DataFrame(rows)
    lines = frame.pop("line").to_numpy()
    segments = [c for c in ("priority", "ticket_type") if frame[c].ne("").any()]
    scores = [ScoreSpec(column="satisfaction", kind="custom", low=0, high=1, name="satisfaction")] \
        if frame["satisfaction"].ne("").any() else []
    m = ColumnMapping(text="text", id="id", date="date", channel="channel", segments=segments, scores=scores,
                      keep=["subject", "tags", "status"], customer="customer", thread="thread", reply_to="reply_to",
                      author_role="author_role", opened="opened", closed="closed")
    customer_msgs = int((frame["author_role"] == "customer").sum())
    notes = [f"Zendesk export: {len(tickets)} tickets → {customer_msgs} customer and {len(frame) - customer_msgs} "
             f"agent messages; {notes_private} internal notes left out"
             + ("; satisfaction (good = 1, bad = 0) on the requester's messages" if scores else "")]
    return PresetResult(frame, override(m, user), lines, notes, [])


def is_zendesk_json(path: Path) -> bool:
    """Cheap check for detection: a JSON file whose start looks like Zendesk tickets."""
    head = json_head(path)
    return b'"requester_id"' in head and (b'"comments"' in head or b'"description"' in head) and b'"via"' in head
