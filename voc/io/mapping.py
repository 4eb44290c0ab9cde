"""Which input column plays which role, and what kind of score each score column holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from voc.errors import ConfigError

ScoreKind = Literal["nps", "csat", "ces", "stars", "custom"]

#: Valid range and direction of each known score kind: (low, high, higher_is_better).
SCORE_KINDS: dict[str, tuple[float, float, bool]] = {
    "nps": (0, 10, True),
    "csat": (1, 5, True),
    "ces": (1, 7, True),  # CES 7-point "the company made it easy": higher is better
    "stars": (1, 5, True),
}


@dataclass(frozen=True)
class ScoreSpec:
    """One score column: its kind, valid range and whether higher is better."""

    column: str
    kind: ScoreKind = "custom"
    low: float | None = None
    high: float | None = None
    higher_is_better: bool = True
    name: str | None = None  # output name; defaults to the kind (or the column for custom)

    @property
    def label(self) -> str:
        return self.name or (self.kind if self.kind != "custom" else self.column)

    def bounds(self) -> tuple[float | None, float | None]:
        if self.kind in SCORE_KINDS:
            lo, hi, _ = SCORE_KINDS[self.kind]
            return (self.low if self.low is not None else lo, self.high if self.high is not None else hi)
        return (self.low, self.high)

    @classmethod
    def parse(cls, spec: str) -> "ScoreSpec":
        """Parse a CLI ``--score`` value: ``nps=COL``, ``csat=COL``, ``custom=COL:0:100`` or
        ``custom=COL:1:5:lower`` (lower = lower is better)."""
        if "=" not in spec:
            raise ConfigError(f"--score {spec!r}: expected KIND=COLUMN, e.g. nps=likelihood_to_recommend")
        kind, _, rest = spec.partition("=")
        kind = kind.strip().lower()
        if kind not in (*SCORE_KINDS, "custom"):
            raise ConfigError(f"--score {spec!r}: unknown kind {kind!r}; use one of nps, csat, ces, stars, custom")
        parts = rest.split(":")
        column = parts[0].strip()
        if not column:
            raise ConfigError(f"--score {spec!r}: the column name is empty")
        low = high = None
        higher = SCORE_KINDS[kind][2] if kind in SCORE_KINDS else True
        try:
            if len(parts) >= 3:
                low, high = float(parts[1]), float(parts[2])
        except ValueError as exc:
            raise ConfigError(f"--score {spec!r}: range bounds must be numbers") from exc
        if len(parts) >= 4:
            higher = parts[3].strip().lower() not in ("lower", "low", "desc")
        return cls(column=column, kind=kind, low=low, high=high, higher_is_better=higher)  # type: ignore[arg-type]


#: The conversation roles: who wrote a message, which conversation it belongs to, and
#: when its ticket was opened and closed (time to resolution).
CONVERSATION_ROLES = ("customer", "thread", "reply_to", "author_role", "opened", "closed")


@dataclass
class ColumnMapping:
    """Roles of input columns. Only ``text`` is required.

    The conversation roles link messages: ``customer`` (a customer id), ``thread`` (a
    ticket, chat or social thread id), ``reply_to`` (the id of the message answered) and
    ``author_role`` (customer or agent; an inbound flag works too). Agent messages are
    kept and counted but never analysed as feedback. ``opened`` and ``closed`` are a
    ticket's times (an empty ``closed``: still open)."""

    text: str = "text"
    id: str | None = None
    date: str | None = None
    channel: str | None = None
    segments: list[str] = field(default_factory=list)
    scores: list[ScoreSpec] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)  # extra columns carried through to outputs
    customer: str | None = None
    thread: str | None = None
    reply_to: str | None = None
    author_role: str | None = None
    opened: str | None = None
    closed: str | None = None
    outcomes: list[Any] = field(default_factory=list)  # voc.customers.outcomes.OutcomeSpec: churn, value, hours

    def input_columns(self) -> list[str]:
        cols = [self.text, self.id, self.date, self.channel, *self.segments, *(s.column for s in self.scores), *self.keep,
                *(getattr(self, r) for r in CONVERSATION_ROLES), *(o.column for o in self.outcomes)]
        out: list[str] = []
        for c in cols:
            if c and c not in out:
                out.append(c)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "id": self.id,
            "date": self.date,
            "channel": self.channel,
            "segments": list(self.segments),
            "scores": [
                {"column": s.column, "kind": s.kind, "low": s.low, "high": s.high,
                 "higher_is_better": s.higher_is_better, "name": s.name}
                for s in self.scores
            ],
            "keep": list(self.keep),
            **{role: getattr(self, role) for role in CONVERSATION_ROLES},
            "outcomes": [{"name": o.name, "column": o.column, "kind": o.kind} for o in self.outcomes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "mapping") -> "ColumnMapping":
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping of roles to column names")
        known = {"text", "id", "date", "channel", "segments", "scores", "keep", "outcomes", *CONVERSATION_ROLES}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{source}: unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
        scores = []
        for i, s in enumerate(data.get("scores") or []):
            if isinstance(s, str):
                scores.append(ScoreSpec.parse(s))
                continue
            if not isinstance(s, dict) or "column" not in s:
                raise ConfigError(f"{source}: scores[{i}] needs at least a 'column'")
            kind = str(s.get("kind", "custom")).lower()
            if kind not in (*SCORE_KINDS, "custom"):
                raise ConfigError(f"{source}: scores[{i}]: unknown kind {kind!r}")
            default_dir = SCORE_KINDS[kind][2] if kind in SCORE_KINDS else True
            scores.append(ScoreSpec(column=str(s["column"]), kind=kind, low=s.get("low"), high=s.get("high"),  # type: ignore[arg-type]
                                    higher_is_better=bool(s.get("higher_is_better", default_dir)), name=s.get("name")))
        segs = data.get("segments") or []
        if isinstance(segs, str):
            segs = [segs]
        return cls(text=str(data.get("text") or "text"), id=data.get("id"), date=data.get("date"),
                   channel=data.get("channel"), segments=list(segs), scores=scores, keep=list(data.get("keep") or []),
                   **{role: data.get(role) for role in CONVERSATION_ROLES},
                   outcomes=parse_outcomes(data.get("outcomes") or [], source))

    @classmethod
    def from_file(cls, path: str | Path) -> "ColumnMapping":
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"mapping file {str(p)!r} not found")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"mapping file {p.name}: not valid YAML/JSON ({exc})") from exc
        return cls.from_dict(data.get("columns", data) if isinstance(data, dict) else data, source=p.name)


def parse_outcomes(items: Any, source: str = "mapping") -> list[Any]:
    """Outcome specs from the CLI (``NAME=COLUMN[:KIND]``) or a mapping file (the same
    strings, or ``{name, column, kind}``); names must be distinct."""
    from voc.customers.outcomes import OutcomeSpec

    if isinstance(items, (str, dict)):
        items = [items]
    out = []
    for i, o in enumerate(items):
        if isinstance(o, str):
            out.append(OutcomeSpec.parse(o))
        elif isinstance(o, dict) and o.get("name") and o.get("column"):
            kind = o.get("kind")
            out.append(OutcomeSpec.parse(f"{o['name']}={o['column']}" + (f":{kind}" if kind else "")))
        else:
            raise ConfigError(f"{source}: outcomes[{i}] must be NAME=COLUMN[:KIND] or {{name, column, kind}}")
    names = [o.name for o in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: outcome names must differ: {names}")
    return out
