"""A population with a known answer, to check that driver intervals cover the truth.

Respondents have an unobserved mood (good or bad experience) that makes some themes
likelier, so themes co-occur as in real feedback; each theme shifts a latent score,
which is rounded and clipped to the scale (0-10 by default), and a share of rows carries
no score. Because the model is a finite mixture, every population quantity the drivers
stage estimates is computed exactly by enumerating all mood × channel × theme
combinations: the true mention delta and remove-theme impact of any score metric, the
population least-squares coefficients the key driver regression targets, and the
population relative weights. Coverage of an interval is then a plain count.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from voc.drivers.keydriver import _partial_correlations, relative_weights


@dataclass(frozen=True)
class PopulationModel:
    """Known-truth feedback population (defaults: six themes, NPS 0-10)."""

    effects: tuple[float, ...] = (-3.0, -2.0, -1.2, -0.5, 0.8, 1.5)
    prevalence_good: tuple[float, ...] = (0.02, 0.05, 0.08, 0.15, 0.25, 0.30)
    prevalence_bad: tuple[float, ...] = (0.15, 0.20, 0.15, 0.25, 0.10, 0.10)
    p_bad: float = 0.3
    base: float = 7.8
    p_email: float = 0.4
    email_effect: float = 0.6
    noise_sd: float = 1.8
    low: int = 0
    high: int = 10
    p_missing: float = 0.15

    @property
    def n_themes(self) -> int:
        return len(self.effects)

    def _configs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every (mood, channel, themes) combination: probability, themes, email flag,
        and the probability of each score value (C × levels)."""
        t = self.n_themes
        combos = np.array(list(itertools.product([0, 1], repeat=t)), dtype=float)
        good, bad = np.array(self.prevalence_good), np.array(self.prevalence_bad)
        probs, ms, email = [], [], []
        for mood_p, prev in ((1 - self.p_bad, good), (self.p_bad, bad)):
            p_themes = np.prod(np.where(combos > 0, prev, 1 - prev), axis=1)
            for ch_p, ch in ((1 - self.p_email, 0.0), (self.p_email, 1.0)):
                probs.append(mood_p * ch_p * p_themes)
                ms.append(combos)
                email.append(np.full(len(combos), ch))
        p, m, e = np.concatenate(probs), np.vstack(ms), np.concatenate(email)
        mean = self.base + m @ np.array(self.effects) + self.email_effect * e
        levels = np.arange(self.low, self.high + 1)
        upper = np.where(levels == self.high, np.inf, levels + 0.5)
        lower = np.where(levels == self.low, -np.inf, levels - 0.5)
        cat = stats.norm.cdf((upper[None, :] - mean[:, None]) / self.noise_sd) - stats.norm.cdf(
            (lower[None, :] - mean[:, None]) / self.noise_sd)
        return p, m, e, cat

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Scores (NaN = unscored), theme presence (n × T) and a ``channel`` control frame."""
        bad = rng.random(n) < self.p_bad
        prev = np.where(bad[:, None], self.prevalence_bad, self.prevalence_good)
        m = rng.random((n, self.n_themes)) < prev
        email = rng.random(n) < self.p_email
        latent = self.base + m @ np.array(self.effects) + self.email_effect * email + rng.normal(0, self.noise_sd, n)
        x = np.clip(np.rint(latent), self.low, self.high)
        x[rng.random(n) < self.p_missing] = np.nan
        return x, m, pd.DataFrame({"channel": np.where(email, "email", "web")})

    def truth(self, transform: Callable[[np.ndarray], np.ndarray]) -> dict[str, np.ndarray]:
        """Population mention delta, impact, regression coefficients and relative
        weights of the metric ``y = transform(score)``, per theme."""
        p, m, e, cat = self._configs()
        yv = transform(np.arange(self.low, self.high + 1, dtype=float))
        ey, ey2 = cat @ yv, cat @ yv**2
        pi = p @ m
        mean_t = (p * ey) @ m / pi
        mean_n = (p * ey) @ (1 - m) / (1 - pi)
        mean_all = p @ ey
        # population second moments of [1, email, themes, y] give the regression targets
        z = np.column_stack([np.ones(len(p)), e, m])
        gram = np.zeros((z.shape[1] + 1, z.shape[1] + 1))
        gram[:-1, :-1] = (z * p[:, None]).T @ z
        gram[:-1, -1] = gram[-1, :-1] = (z * p[:, None]).T @ ey
        gram[-1, -1] = p @ ey2
        coef = np.linalg.solve(gram[:-1, :-1], gram[:-1, -1])[2:]
        rxx, rxy = _partial_correlations(gram, 2)
        return {"mention_delta": mean_t - mean_n, "impact": mean_all - mean_n, "coef": coef,
                "relative_weight": relative_weights(rxx, rxy), "prevalence": pi}
