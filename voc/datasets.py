"""Synthetic customer feedback with a known answer key (in the spirit of sklearn's ``make_classification``).

Why: voc needs sample data that looks like a real online shop's reviews, social posts, support
tickets and survey comments, *and* where the truth is known, so tests and benchmarks can check
that theme discovery, sentiment and driver analysis recover what was planted. Every document
mentions 0-3 planted themes; each theme shifts the NPS / stars / CSAT of the documents that
mention it by a documented amount (:data:`PLANTED_THEMES`), a few themes grow or shrink over
time, and a small share of rows carries obviously fake PII (example.com e-mails, Ofcom drama /
555 phone numbers, public test card numbers) to exercise redaction.

All phrase material is original and lives in ``voc/data/feedback_phrases.yaml``.
Structure (channels, themes, scores, dates) is drawn vectorised with numpy; only the text is
assembled per row, with a ``random.Random`` seeded from the numpy generator, so output is a pure
function of ``(n, random_state, start, months)``.
"""

from __future__ import annotations

import logging
import random
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

from voc.errors import ConfigError

log = logging.getLogger("voc")

PHRASES_PATH = Path(__file__).parent / "data" / "feedback_phrases.yaml"

CHANNELS: tuple[str, ...] = ("review", "social", "ticket", "survey")
CHANNEL_SHARE: tuple[float, ...] = (0.30, 0.15, 0.20, 0.35)
SEGMENTS: tuple[str, ...] = ("standard", "member")
MEMBER_SHARE = 0.30
#: Score column -> channel that carries it (other rows are <NA>), valid range.
SCORE_CHANNEL: dict[str, tuple[str, int, int]] = {
    "nps": ("survey", 0, 10),
    "stars": ("review", 1, 5),
    "csat": ("ticket", 1, 5),
}


def _theme(
    touchpoint: str, polarity: str, nps: float, stars: float, csat: float,
    weight: float, label: str, trend: float = 0.0,
) -> dict[str, Any]:
    return {
        "label": label, "touchpoint": touchpoint, "polarity": polarity,
        "nps_effect": nps, "stars_effect": stars, "csat_effect": csat,
        "weight": weight, "trend": trend,
    }


#: The planted answer key. ``*_effect``: additive shift of that score (NPS on its 0-10 scale,
#: stars/CSAT on 1-5) for a document mentioning the theme, before noise, rounding and clipping.
#: ``weight``: relative prevalence. ``trend``: log of the end-to-start prevalence ratio over the
#: generated period (+1.2 = mentioned ~3.3x as often at the end as at the start).
PLANTED_THEMES: dict[str, dict[str, Any]] = {
    # website / app
    "app_crash": _theme("website_app", "negative", -1.4, -0.6, -0.5, 1.0, "App crashes / freezes", trend=-1.4),
    "search_hard": _theme("website_app", "negative", -0.6, -0.3, -0.2, 0.8, "Search and filters hard to use"),
    # purchase / checkout
    "checkout_bug": _theme("checkout", "negative", -1.7, -0.7, -0.6, 0.8, "Checkout / payment errors"),
    # price / billing
    "double_charged": _theme("billing", "negative", -2.3, -0.9, -1.0, 0.6, "Charged twice"),
    "too_expensive": _theme("billing", "negative", -0.9, -0.4, -0.2, 1.0, "Too expensive"),
    "good_value": _theme("billing", "positive", 1.0, 0.5, 0.3, 1.3, "Good value for money"),
    # delivery
    "late_delivery": _theme("delivery", "negative", -2.7, -1.1, -0.9, 1.6, "Late delivery", trend=1.2),
    "damaged_parcel": _theme("delivery", "negative", -1.5, -0.9, -0.6, 0.8, "Parcel arrived damaged"),
    "fast_delivery": _theme("delivery", "positive", 1.3, 0.6, 0.3, 1.6, "Fast delivery"),
    "courier_rude": _theme("delivery", "negative", -1.1, -0.5, -0.4, 0.5, "Rude / careless courier"),
    # product quality
    "sizing_small": _theme("product", "negative", -0.8, -0.7, -0.3, 1.0, "Sizing runs small"),
    "fabric_poor": _theme("product", "negative", -1.6, -1.3, -0.4, 0.9, "Poor fabric quality"),
    "great_quality": _theme("product", "positive", 1.9, 1.0, 0.4, 1.8, "Great product quality"),
    "colour_differs": _theme("product", "negative", -0.7, -0.6, -0.2, 0.7, "Colour differs from photo"),
    # customer support
    "helpful_agent": _theme("support", "positive", 1.2, 0.4, 1.3, 1.0, "Helpful support agent"),
    "no_reply": _theme("support", "negative", -2.0, -0.7, -1.6, 0.9, "No reply / long wait", trend=0.4),
    "transferred_many": _theme("support", "negative", -1.5, -0.5, -1.3, 0.6, "Transferred many times (effort)"),
    # returns / refunds
    "refund_slow": _theme("returns", "negative", -1.9, -0.8, -1.2, 0.9, "Refund slow", trend=0.9),
    "easy_returns": _theme("returns", "positive", 1.1, 0.5, 0.5, 1.1, "Easy returns"),
    # account / loyalty
    "password_reset": _theme("account", "negative", -0.7, -0.3, -0.4, 0.6, "Login / password reset"),
    "loyalty_discount": _theme("loyalty", "positive", 0.8, 0.3, 0.2, 0.8, "Loyalty rewards / discount codes"),
}

#: Themes that contradict each other are never planted in the same document.
_EXCLUSIVE = (
    ("late_delivery", "fast_delivery"),
    ("great_quality", "fabric_poor"),
    ("good_value", "too_expensive"),
    ("refund_slow", "easy_returns"),
)
#: How often each touchpoint comes up per channel (review, social, ticket, survey). Surveys are
#: neutral (1.0) so NPS driver analysis sees the plain theme weights.
_CHANNEL_AFFINITY: dict[str, tuple[float, float, float, float]] = {
    "website_app": (0.6, 1.5, 1.0, 1.0),
    "checkout": (0.6, 1.0, 1.3, 1.0),
    "billing": (0.6, 0.8, 1.8, 1.0),
    "delivery": (1.0, 1.6, 1.2, 1.0),
    "product": (2.0, 0.8, 0.5, 1.0),
    "support": (0.4, 1.2, 2.0, 1.0),
    "returns": (0.8, 0.8, 1.6, 1.0),
    "account": (0.3, 0.8, 2.0, 1.0),
    "loyalty": (0.8, 1.0, 0.6, 1.0),
}
_MEMBER_LOYALTY_BOOST = 2.5  # members mention the loyalty scheme far more often
_TICKET_PRAISE = 0.35  # people rarely open a support ticket to praise something
#: P(number of planted themes = 0, 1, 2, 3) per channel. Social posts are short; reviews ramble.
_N_THEMES_P: dict[str, tuple[float, float, float, float]] = {
    "review": (0.10, 0.48, 0.30, 0.12),
    "social": (0.22, 0.62, 0.14, 0.02),
    "ticket": (0.14, 0.56, 0.24, 0.06),
    "survey": (0.10, 0.50, 0.30, 0.10),
}
#: Tone of theme-less documents (positive, negative, neutral) per channel.
_GENERIC_TONE_P: dict[str, tuple[float, float, float]] = {
    "review": (0.60, 0.25, 0.15),
    "social": (0.35, 0.30, 0.35),
    "ticket": (0.00, 0.10, 0.90),
    "survey": (0.45, 0.25, 0.30),
}
_TONES = ("positive", "negative", "neutral")
#: Score shift of a generic tone (nps, stars, csat) - theme-less praise or complaints.
_TONE_EFFECT = {"positive": (1.5, 0.6, 0.5), "negative": (-2.5, -1.2, -1.0), "neutral": (0.0, 0.0, 0.0)}
#: Baseline (mean, noise sd) of each score's latent value, and the lift for loyalty members.
_BASE = {"nps": (8.1, 1.3), "stars": (4.5, 0.6), "csat": (4.1, 0.7)}
_MEMBER_LIFT = {"nps": 0.5, "stars": 0.15, "csat": 0.2}
_SENTIMENT_CUT = 0.5  # |sum of NPS effects| below this reads as neutral / mixed

# Per-channel style knobs: P(long text), P(all lower-case), P(typos), P(emoji), P(fake PII).
_STYLE: dict[str, dict[str, float]] = {
    "review": {"long": 0.30, "lower": 0.06, "typo": 0.12, "emoji": 0.12, "pii": 0.01},
    "social": {"long": 0.00, "lower": 0.30, "typo": 0.30, "emoji": 0.45, "pii": 0.03},
    "ticket": {"long": 0.45, "lower": 0.05, "typo": 0.10, "emoji": 0.02, "pii": 0.12},
    "survey": {"long": 0.10, "lower": 0.10, "typo": 0.15, "emoji": 0.04, "pii": 0.02},
}
_SHOUT_P = 0.05  # share of negative documents written in capitals
_INLINE_JOIN_P = 0.5  # join two themes in one sentence ("x but y") rather than two sentences
_END = {
    "positive": (".", ".", "!", "!!", "!"),
    "negative": (".", ".", "!", "!!!", "."),
    "neutral": (".",),
}
_SOCIAL_END = ("", "", "!", "!!", ".", " lol", "...")

_CHUNK = 1 << 17  # rows per vectorised theme draw

_SLOT_RE = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def _bank() -> dict[str, Any]:
    """Load and pre-split the phrase bank once: templates become [lit, slot, lit, ...] tuples."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with PHRASES_PATH.open(encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=loader)
    missing = set(PLANTED_THEMES) - set(raw["themes"])
    if missing:
        raise ConfigError(f"{PHRASES_PATH}: no phrases for planted themes {sorted(missing)}")

    def comp(x: Any) -> Any:
        if isinstance(x, str):
            return tuple(_SLOT_RE.split(x))
        if isinstance(x, list):
            return [comp(v) for v in x]
        if isinstance(x, dict):
            return {k: comp(v) for k, v in x.items()}
        return x

    bank = {k: (v if k in ("emoji", "hashtags") else comp(v)) for k, v in raw.items() if k not in ("slots", "pii")}
    bank["slots"] = {k: [str(v) for v in vals] for k, vals in raw["slots"].items()}
    bank["slots"]["product"] = bank["slots"]["garment"] + bank["slots"]["homeware"]
    bank["pii"] = {k: v for k, v in raw["pii"].items() if k != "templates"}
    bank["pii_templates"] = comp(raw["pii"]["templates"])
    return bank


class _Writer:
    """Turns one document's planted structure into text. Holds the per-call ``random.Random``."""

    def __init__(self, rnd: random.Random) -> None:
        self.r = rnd
        self.b = _bank()
        self.context = False  # whether the current document opened with a context sentence
        self.theme_keys = list(PLANTED_THEMES)
        self.polarity = [PLANTED_THEMES[k]["polarity"] for k in self.theme_keys]
        slots = self.b["slots"]
        pii = self.b["pii"]
        u = rnd.random  # random.Random.choice/randint cost ~1us each; indexing by u() is ~5x cheaper
        self.u = u
        self.choice = choice = lambda seq: seq[int(u() * len(seq))]
        products = slots["product"]
        self.gen: dict[str, Callable[[], str]] = {
            "order": lambda: f"#{10000 + int(u() * 990000)}",
            "amount": lambda: f"£{6 + int(u() * 135)}.{choice(('99', '00', '50', '95'))}",
            "days": lambda: str(3 + int(u() * 14)),
            "product2": lambda: choice(products),
            "email": lambda: f"{choice(pii['first'])}.{choice(pii['last'])}@{choice(pii['domain'])}",
            "phone": self._phone,
            "card": lambda: choice(pii["cards"]),
        }
        for name, values in slots.items():
            self.gen[name] = (lambda vals: lambda: choice(vals))(values)

    # -- small helpers -------------------------------------------------------------------------
    def fill(self, parts: tuple[str, ...]) -> str:
        if len(parts) == 1:
            return parts[0]
        out = list(parts)
        for i in range(1, len(out), 2):
            out[i] = self.gen[out[i]]()
        return "".join(out)

    def pick(self, templates: list[tuple[str, ...]]) -> str:
        return self.fill(templates[int(self.u() * len(templates))])

    def _phone(self) -> str:
        r = self.r
        k = r.randrange(4)
        if k == 0:
            return f"+44 20 7946 0{r.randrange(1000):03d}"
        if k == 1:
            return f"07700 900{r.randrange(1000):03d}"
        if k == 2:
            return f"(555) 01{r.randrange(10)}-{r.randrange(10000):04d}"
        return f"+1 555 01{r.randrange(10)} {r.randrange(10000):04d}"

    def end(self, channel: str, label: str) -> str:
        return self.choice(_SOCIAL_END if channel == "social" else _END[label])

    def typos(self, s: str) -> str:
        """Swap, drop or double a letter inside a word, 1-2 times (never in digits or PII)."""
        r = self.r
        for _ in range(1 + (r.random() < 0.3)):
            if len(s) < 6:
                return s
            for _try in range(4):
                i = r.randrange(len(s) - 1)
                if s[i].isalpha() and s[i + 1].isalpha():
                    op = r.random()
                    if op < 0.45:
                        s = s[:i] + s[i + 1] + s[i] + s[i + 2:]
                    elif op < 0.8:
                        s = s[:i] + s[i + 1:]
                    else:
                        s = s[:i] + s[i] + s[i:]
                    break
        return s

    # -- document bodies -----------------------------------------------------------------------
    def themed(self, channel: str, themes: list[int], label: str, long: bool) -> list[str]:
        """Sentences for 1-3 themes; a leading theme clause stays uncapitalised for the opener."""
        r, b = self.r, self.b
        conn = b["connectors"]
        sents: list[str] = []
        if long and r.random() < 0.7:
            sents.append(self.pick(b["context"]))
            self.context = True
        cur = self.pick(b["themes"][self.theme_keys[themes[0]]]["phrases"])
        if sents:
            cur = _cap(cur)
        prev = self.polarity[themes[0]]
        for t in themes[1:]:
            clause = self.pick(b["themes"][self.theme_keys[t]]["phrases"])
            contrast = self.polarity[t] != prev
            if r.random() < _INLINE_JOIN_P:
                cur += self.pick(conn["contrast_inline" if contrast else "same_inline"]) + clause
            else:
                sents.append(cur + self.end(channel, label))
                lead = self.pick(conn["contrast_sentence" if contrast else "same_sentence"])
                cur = lead + clause if lead else _cap(clause)
            prev = self.polarity[t]
        sents.append(cur + self.end(channel, label))
        if long:
            for t in themes:
                extra = b["themes"][self.theme_keys[t]].get("extra")
                if extra and r.random() < 0.6:
                    sents.append(self.pick(extra))
        return sents

    def generic(self, channel: str, tone: str) -> list[str]:
        """A theme-less document: short praise, a short complaint, a neutral remark or a question."""
        g = self.b["generic"]
        if tone == "neutral":
            if channel == "ticket" or (channel == "social" and self.u() < 0.85):
                return [self.pick(g["question"])]
            return [self.pick(g["neutral"]) + "."]
        text = self.pick(g[tone])
        if text[-1].isalnum():
            text += self.end(channel, tone)
        return [text]

    def document(self, channel: str, themes: list[int], label: str, tone: str,
                 pii_draw: bool, prefer_card: bool) -> tuple[str, list[str]]:
        """Opener + body + (fake PII) + closer, then channel style noise. Returns text, PII kinds."""
        r, b = self.r, self.b
        style = _STYLE[channel]
        long = r.random() < style["long"]
        self.context = False
        sents = self.themed(channel, themes, label, long) if themes else self.generic(channel, tone)
        # Survey answers read "Because <reason>": no opener before small talk or a context story.
        no_opener = (channel == "survey" and (self.context or not themes)) or (channel == "review" and self.context)
        opener = "" if no_opener else self.pick(b["openers"][channel])
        first = sents[0]
        if not opener or opener.endswith((". ", ": ")):
            first = _cap(first)
        elif (self.context or not themes) and not first.startswith(("I ", "I'")):
            first = first[:1].lower() + first[1:]  # "Hi, where is my order?" / "Hi, we're ..."
        main = opener + " ".join([first, *sents[1:]])

        tail: list[str] = []
        if channel == "ticket":
            if r.random() < 0.85:
                tail.append(self.pick(b["closers"]["ticket_positive" if label == "positive" else "ticket"]))
        elif channel == "review" and r.random() < 0.35:
            tail.append(self.pick(b["closers"][label]))
        elif channel == "survey" and label != "neutral" and r.random() < 0.3:
            tail.append(self.pick(b["closers"]["survey_" + label]))
        elif channel == "social" and r.random() < 0.3:
            tail.append(self.choice(b["hashtags"][label]))
        tail_s = " ".join(t for t in tail if t)

        if r.random() < style["lower"]:
            main, tail_s = main.lower(), tail_s.lower()
        elif label == "negative" and r.random() < _SHOUT_P:
            main, tail_s = main.upper(), tail_s.upper()
        if r.random() < style["typo"]:
            main = self.typos(main)

        pii: list[str] = []
        if pii_draw:
            kind = "card" if prefer_card and r.random() < 0.6 else r.choices(("email", "phone", "card"), (5, 4, 1))[0]
            pii.append(kind)
            main = f"{main} {self.pick(b['pii_templates'][kind])}"
        text = f"{main} {tail_s}" if tail_s else main
        if r.random() < style["emoji"]:
            text += (" " if r.random() < 0.7 else "") + self.choice(b["emoji"][label]) * (1 + (r.random() < 0.2))
        return text, pii


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _draw_themes(rng: np.random.Generator, t: np.ndarray, channel: np.ndarray,
                 member: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Pick ``k[i]`` distinct themes per row (weighted, Gumbel-top-k); -1 pads unused slots.

    Weight = base weight x channel affinity x time trend (x loyalty boost for members), so
    prevalence follows the planted trends while the draw stays fully vectorised.
    """
    keys = list(PLANTED_THEMES)
    spec = [PLANTED_THEMES[k_] for k_ in keys]
    ticket = CHANNELS.index("ticket")
    table = np.log([  # (channels, themes) log-weight before the time trend and segment
        [s["weight"] * _CHANNEL_AFFINITY[s["touchpoint"]][c]
         * (_TICKET_PRAISE if c == ticket and s["polarity"] == "positive" else 1.0) for s in spec]
        for c in range(len(CHANNELS))
    ])
    trend = np.array([s["trend"] for s in spec])
    loyalty, boost = keys.index("loyalty_discount"), np.log(_MEMBER_LOYALTY_BOOST)
    sel = np.full((len(t), 3), -1, dtype=np.int64)
    for lo in range(0, len(t), _CHUNK):  # chunked so 1M rows do not need GBs of (n, themes) floats
        part = slice(lo, lo + _CHUNK)
        logw = table[channel[part]] + trend * (t[part, None] - 0.5)
        logw[:, loyalty] += np.where(member[part], boost, -boost / 2)
        top = np.argsort(-(logw + rng.gumbel(size=logw.shape)), axis=1)[:, :3]
        sel[part] = np.where(np.arange(3) < k[part, None], top, -1)
    for a, b_ in _EXCLUSIVE:
        ia, ib = keys.index(a), keys.index(b_)
        both = (sel == ia).any(1) & (sel == ib).any(1)
        if both.any():
            rows = np.flatnonzero(both)
            pos_a = np.argmax(sel[rows] == ia, axis=1)
            pos_b = np.argmax(sel[rows] == ib, axis=1)
            sel[rows, np.maximum(pos_a, pos_b)] = -1  # keep whichever was drawn first
    return sel


def make_feedback(
    n: int = 2000,
    random_state: int | None = 0,
    *,
    start: str = "2025-11-01",
    months: int = 12,
    effect_scale: float = 1.0,
    return_truth: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Generate ``n`` realistic feedback documents from an online clothing & home-goods shop.

    Columns: ``id`` ("FB-000001"...), ``date`` (day resolution, sorted, spread over ``months``
    months from ``start``), ``channel`` (review / social / ticket / survey), ``text``, ``nps``
    (Int64 0-10, survey rows only), ``stars`` (Int64 1-5, review rows only), ``csat`` (Int64 1-5,
    ticket rows only) and ``segment`` (standard / member).

    With ``return_truth=True`` also returns the answer key, one row per ``id``: ``themes`` (planted
    theme keys, in text order), ``touchpoints`` (one per theme), ``sentiment``
    (negative / neutral / positive, from the summed planted NPS effects or the generic tone) and
    ``pii`` (kinds of fake PII inserted: email / phone / card). Effects: :data:`PLANTED_THEMES`.

    ``effect_scale`` multiplies every planted theme's score effects (not the generic tones, the
    member lift or the noise). It changes the scores only: texts, themes, dates, channels and the
    answer key are the same as with the default 1.0. Small samples (a few hundred rows) use
    ``effect_scale > 1`` so that driver intervals exclude zero despite the few scored rows per
    score; the default reproduces the documented effects.

    Same arguments and an integer ``random_state`` give an identical frame; ``None`` draws fresh.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConfigError(f"make_feedback: n must be a non-negative integer, got {n!r}")
    if isinstance(effect_scale, bool) or not isinstance(effect_scale, (int, float, np.number)) \
            or not np.isfinite(effect_scale) or effect_scale < 0:
        raise ConfigError(f"make_feedback: effect_scale must be a finite number >= 0, got {effect_scale!r}")
    if not isinstance(months, (int, np.integer)) or months < 1:
        raise ConfigError(f"make_feedback: months must be a positive integer, got {months!r}")
    try:
        t0 = pd.Timestamp(start).normalize()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"make_feedback: start {start!r} is not a date (use YYYY-MM-DD)") from exc
    n = int(n)
    rng = np.random.default_rng(random_state)
    keys = list(PLANTED_THEMES)

    span = int((t0 + pd.DateOffset(months=int(months)) - t0).days)
    day = np.sort(rng.integers(0, span, size=n))
    t = (day + 0.5) / span  # 0..1 position in the period, drives the trends
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARE)
    member = rng.random(n) < MEMBER_SHARE
    k_cum = np.cumsum([_N_THEMES_P[c] for c in CHANNELS], axis=1)[:, :-1]  # (4, 3)
    k = (rng.random(n)[:, None] > k_cum[channel]).sum(axis=1)
    sel = _draw_themes(rng, t, channel, member, k)
    has = np.zeros((n, len(keys)), dtype=bool)
    rows, slots = np.nonzero(sel >= 0)
    has[rows, sel[rows, slots]] = True

    tone_cum = np.cumsum([_GENERIC_TONE_P[c] for c in CHANNELS], axis=1)[:, :-1]
    tone = (rng.random(n)[:, None] > tone_cum[channel]).sum(axis=1)
    tone[has.any(axis=1)] = 2  # themed documents take their sentiment from their themes

    scores: dict[str, pd.arrays.IntegerArray] = {}
    for j, (name, (ch_name, lo, hi)) in enumerate(SCORE_CHANNEL.items()):
        mean, sd = _BASE[name]
        eff = np.array([PLANTED_THEMES[k_][f"{name}_effect"] for k_ in keys]) * float(effect_scale)
        tone_eff = np.array([_TONE_EFFECT[tn][j] for tn in _TONES])
        latent = mean + _MEMBER_LIFT[name] * member + has @ eff + tone_eff[tone] + rng.normal(0.0, sd, n)
        values = np.clip(np.rint(latent), lo, hi).astype("int64")
        scores[name] = pd.arrays.IntegerArray(values, channel != CHANNELS.index(ch_name))

    nps_eff = np.array([PLANTED_THEMES[k_]["nps_effect"] for k_ in keys])
    pull = has @ nps_eff + np.array([_TONE_EFFECT[tn][0] for tn in _TONES])[tone]
    sentiment = np.where(pull >= _SENTIMENT_CUT, "positive", np.where(pull <= -_SENTIMENT_CUT, "negative", "neutral"))
    pii_p = np.array([_STYLE[c]["pii"] for c in CHANNELS])
    pii_draw = rng.random(n) < pii_p[channel]

    writer = _Writer(random.Random(int(rng.integers(2**63))))  # text only; structure is above
    card_theme = keys.index("double_charged")
    texts: list[str] = []
    piis: list[list[str]] = []
    sel_l, ch_l, lab_l, tone_l, pii_l = sel.tolist(), channel.tolist(), sentiment.tolist(), tone.tolist(), pii_draw.tolist()
    for i in range(n):
        themes = [x for x in sel_l[i] if x >= 0]
        text, pii = writer.document(CHANNELS[ch_l[i]], themes, lab_l[i], _TONES[tone_l[i]],
                                    pii_l[i], card_theme in themes)
        texts.append(text)
        piis.append(pii)

    ids = [f"FB-{i:06d}" for i in range(1, n + 1)]
    frame = pd.DataFrame({
        "id": pd.Series(ids, dtype="str"),
        "date": t0 + pd.to_timedelta(day, unit="D"),
        "channel": pd.Series(np.asarray(CHANNELS, dtype=object)[channel], dtype="str"),
        "text": pd.Series(texts, dtype="str"),
        "nps": scores["nps"],
        "stars": scores["stars"],
        "csat": scores["csat"],
        "segment": pd.Series(np.asarray(SEGMENTS, dtype=object)[member.astype(int)], dtype="str"),
    })
    log.debug("make_feedback: %d documents, random_state=%r", n, random_state)
    if not return_truth:
        return frame
    tp = [PLANTED_THEMES[k_]["touchpoint"] for k_ in keys]
    truth = pd.DataFrame({
        "id": frame["id"],
        "themes": [[keys[x] for x in row if x >= 0] for row in sel_l],
        "touchpoints": [[tp[x] for x in row if x >= 0] for row in sel_l],
        "sentiment": pd.Series(sentiment, dtype="str"),
        "pii": piis,
    })
    return frame, truth
