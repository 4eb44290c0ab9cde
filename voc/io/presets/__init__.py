"""Exports as they come out of the tools people use: ``--preset NAME`` maps their layout.

A preset reads one tool's export, turns every piece of customer text into a document
(an open-ended answer keeps its question, a review its stars, a ticket comment its
thread), takes the score from the right column, keeps the tool's metadata a CX team
segments by, leaves out personal fields (IP addresses, names, e-mails, nicknames), keeps
agents' and brands' replies out of customer feedback (agent messages in the thread), and
returns the rows with the column mapping and their lines in the file, so a rejected row
points at the line it came from. A user's own mapping flags still override what the
preset chose.

:func:`detect` reads a file's first lines and names the preset it looks like, so
``voc analyze export.csv`` can say "this looks like a Qualtrics export; use --preset
qualtrics" instead of failing on a missing ``text`` column.

Survey tools (:mod:`.surveys`): ``qualtrics``, ``surveymonkey``. Help desks
(:mod:`.helpdesk`): ``zendesk``. Reviews (:mod:`.reviews`): ``google-play``,
``app-store``, ``reviews`` (review sites: Trustpilot's business export and the like).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.errors import ConfigError, InputFileNotFound
from voc.io.mapping import ColumnMapping
from voc.io.presets import helpdesk, reviews, surveys
from voc.io.presets.base import PresetResult

__all__ = ["PRESETS", "Preset", "PresetResult", "detect", "ingest", "read"]


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    reader: Callable[[Path, ColumnMapping | None], PresetResult]
    title: str  # how a message names the tool


PRESETS = {p.name: p for p in (
    Preset("qualtrics", "Qualtrics survey export (CSV with three header rows): each open-ended answer becomes a "
                        "document with its question; NPS from the NPS question; embedded data as segments",
           surveys.qualtrics, "Qualtrics"),
    Preset("surveymonkey", "SurveyMonkey export (CSV, 'expanded', two header rows: question, then Response / "
                           "Open-Ended Response / choice): each open-ended answer becomes a document with its "
                           "question; a 0-10 'recommend' question is NPS; Collector ID and Custom Data as segments",
           surveys.surveymonkey, "SurveyMonkey"),
    Preset("zendesk", "Zendesk tickets (JSON export or API pages, with comments): each public comment a message in "
                      "its ticket's thread, the requester's as feedback, agents' as agent messages; channel from via, "
                      "created/solved times, satisfaction good/bad as a 0-1 score; internal notes left out",
           helpdesk.zendesk, "Zendesk"),
    Preset("google-play", "Google Play Console reviews report (CSV, UTF-16): each review with text a document, Star "
                          "Rating as stars, app version and language as segments; developer replies as agent "
                          "messages", reviews.google_play, "Google Play Console"),
    Preset("app-store", "App Store Connect customer reviews (the API's JSON, with include=response): each review a "
                        "document with its rating as stars and territory as a segment; published responses as agent "
                        "messages", reviews.app_store, "App Store Connect"),
    Preset("reviews", "Review-site export (Trustpilot-style CSV: Review Title / Content / Stars / Created): each "
                      "review a document, stars as the score, reviewer id as the customer, language and location as "
                      "segments; company replies as agent messages", reviews.review_site, "review-site"),
)}


def detect(path: str | Path) -> str | None:
    """The preset a file looks like, from its first lines; None when none fits."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson"):
        if helpdesk.is_zendesk_json(p):
            return "zendesk"
        return "app-store" if reviews.is_app_store_file(p) else None
    if suffix not in (".csv", ".tsv", ".txt"):
        return None
    from voc.io.readers import head_records

    rows = head_records(p)
    checks: list[tuple[str, Callable[[list[list[str]]], bool]]] = [
        ("qualtrics", surveys.looks_like_qualtrics), ("surveymonkey", surveys.looks_like_surveymonkey),
        ("google-play", reviews.looks_like_google_play), ("reviews", reviews.looks_like_review_site),
        ("zendesk", helpdesk.looks_like_zendesk_csv)]
    return next((name for name, looks in checks if looks(rows)), None)


def title(preset: str) -> str:
    """How messages name the tool behind ``preset``."""
    return PRESETS[preset].title


def read(path: str | Path, preset: str, mapping: ColumnMapping | None = None) -> PresetResult:
    """Read ``path`` as the ``preset``'s layout. ``mapping`` (the user's flags) overrides
    the preset's choices where it names a column."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)} (voc presets lists them)")
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFound(f"input file {str(p)!r} not found")
    return PRESETS[preset].reader(p, mapping)


def ingest(path: str | Path, preset: str, mapping: ColumnMapping | None = None,
           customers: Any = None) -> tuple[Any, ColumnMapping]:
    """:func:`read` then voc's validation, with each row's export line: an
    :class:`~voc.io.IngestResult` like :func:`voc.read_feedback` returns, and the mapping used."""
    from voc.io.validate import Validator, with_customer_rejects

    res = read(path, preset, mapping)
    validator = Validator(res.mapping, Path(path).name, customers=customers)
    out = with_customer_rejects(validator.run(res.frame, res.lines, res.rejects), validator)
    out.stats["preset"] = preset
    out.stats["preset_notes"] = res.notes
    return out, res.mapping
