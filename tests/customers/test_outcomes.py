import math

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from voc.customers.outcomes import (OutcomeSpec, Units, adjusted_effects, binary_effects, coerce, coerce_outcomes,
                                    mean_effects, outcome_effects, rank_by, unit_outcomes)
from voc.errors import ConfigError

CHURNED = OutcomeSpec("churned", "Churn", "binary")
VALUE = OutcomeSpec("value", "Value", "number")


def _col(flags) -> sparse.csr_matrix:
    """A one-key membership matrix."""
    return sparse.csr_matrix(np.asarray(flags, dtype=bool)[:, None])


def _two_groups(a: int, m: int, b: int, n: int) -> tuple[np.ndarray, sparse.csr_matrix]:
    """a events of m units with the key, b of n without."""
    y = np.r_[np.ones(a), np.zeros(m - a), np.ones(b), np.zeros(n - b)]
    return y, _col(np.r_[np.ones(m), np.zeros(n)])


def _units(y: dict, members: np.ndarray, keys=None, controls: pd.DataFrame | None = None) -> Units:
    table = pd.DataFrame({"unit": np.arange(members.shape[0]), **y})
    ctrl = []
    if controls is not None:
        table = pd.concat([table, controls.reset_index(drop=True)], axis=1)
        ctrl = list(controls.columns)
    keys = keys or [("issue", j) for j in range(members.shape[1])]
    return Units(table, sparse.csr_matrix(members.astype(bool)), keys, ctrl)


# -- OutcomeSpec.parse ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, kind", [("churned=Churn", "binary"), ("Retained=r", "binary"), ("value=V", "number"),
                                        ("cltv=V", "number"), ("hours=H", "hours"), ("duration=H", "hours"),
                                        ("nps_followup=x", "auto")])
def test_parse_defaults_kind_by_name(spec, kind):
    assert OutcomeSpec.parse(spec).kind == kind


def test_parse_explicit_kind_and_column_with_colon():
    assert OutcomeSpec.parse("lost = Lost flag : binary") == OutcomeSpec("lost", "Lost flag", "binary")
    assert OutcomeSpec.parse("churned=Churn:number").kind == "number"
    assert OutcomeSpec.parse("t=Time: hh:mm:hours") == OutcomeSpec("t", "Time: hh:mm", "hours")


@pytest.mark.parametrize("spec, words", [("churned", "NAME=COLUMN"), ("=Churn", "NAME=COLUMN"),
                                         ("churned=", "NAME=COLUMN"), ("churned=Churn:flag", "binary, number, hours")])
def test_parse_errors_say_what_to_write(spec, words):
    with pytest.raises(ConfigError, match=words):
        OutcomeSpec.parse(spec)


# -- coerce -----------------------------------------------------------------------------------------------------------

def test_binary_tokens_any_case_and_missing():
    out, bad, kind = coerce(pd.Series([" Yes", "no", "Y", "n", "TRUE", "false", "t", "F", "1", "0", 1, 0.0, True,
                                       None, "", "N/A", "maybe"]), CHURNED)
    assert kind == "binary"
    np.testing.assert_array_equal(out[:13], [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    assert np.isnan(out[13:]).all()
    assert bad.tolist() == [False] * 16 + [True]  # missing is not invalid; 'maybe' is


def test_numbers_accept_currency_and_thousands_but_not_decimal_commas():
    values = ["£1,234.50", "$5", " €12 ", "-$3", "7 €", "1,234,567", "12,5", None]
    out, bad, kind = coerce(pd.Series(values), VALUE)
    assert kind == "number"
    np.testing.assert_array_equal(out[:6], [1234.5, 5, 12, -3, 7, 1234567])
    assert bad.tolist() == [False] * 6 + [True, False]


def test_hours_from_numbers_and_durations_negative_invalid():
    out, bad, _ = coerce(pd.Series(["2 days 03:00:00", "90min", "1.5", 4, "-2", "soon"]),
                         OutcomeSpec("hours", "H", "hours"))
    np.testing.assert_allclose(out[:4], [51, 1.5, 1.5, 4])
    assert bad.tolist() == [False] * 4 + [True, True]
    td, bad, _ = coerce(pd.Series(pd.to_timedelta(["30min", None, "-1h"])), OutcomeSpec("hours", "H", "hours"))
    assert td[0] == 0.5 and np.isnan(td[1:]).all() and bad.tolist() == [False, False, True]


def test_auto_kind_from_the_data():
    assert coerce(pd.Series(["yes", "no", None]), OutcomeSpec("x", "X"))[2] == "binary"
    assert coerce(pd.Series([0.0, 1.0, np.nan]), OutcomeSpec("x", "X"))[2] == "binary"
    assert coerce(pd.Series(["$3", "4", "1"]), OutcomeSpec("x", "X"))[2] == "number"


def test_mostly_invalid_raises_with_examples():
    with pytest.raises(ConfigError) as err:
        coerce(pd.Series(["maybe", "n/a?", "yes", "maybe", None]), CHURNED)
    msg = str(err.value)
    assert "outcome 'churned' (column Churn): 'maybe', 'n/a?' are not yes/no, true/false or 0/1" in msg
    assert "3 of 4 values" in msg
    # exactly half invalid is still allowed: the caller reports them by line
    _, bad, _ = coerce(pd.Series(["maybe", "yes"]), CHURNED)
    assert bad.tolist() == [True, False]


def test_coerce_outcomes_reports_invalid_lines_and_resolves_kinds():
    docs = pd.DataFrame({"line": [2, 3, 4, 5], "Churn": ["yes", "no", "perhaps", "yes"], "X": ["1", "2", "3", "x"]})
    out, specs, bad = coerce_outcomes(docs, [CHURNED, OutcomeSpec("spend_x", "X")])
    assert [s.kind for s in specs] == ["binary", "number"]
    assert bad["churned"].tolist() == [4] and bad["spend_x"].tolist() == [5]
    assert out["churned"].tolist()[:2] == [1.0, 0.0]
    with pytest.raises(ConfigError, match="not found"):
        coerce_outcomes(docs, [OutcomeSpec("value", "Nope", "number")])


# -- exact small cases ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, m, b, n, low, high", [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)])
def test_newcombe_interval_matches_published_values(a, m, b, n, low, high):
    """Newcombe (1998), Table II, method 10 (hybrid score, no continuity correction)."""
    e = binary_effects(*_two_groups(a, m, b, n)).iloc[0]
    assert e["difference"] == pytest.approx(a / m - b / n)
    assert e["difference_ci_low"] == pytest.approx(low, abs=6e-5)
    assert e["difference_ci_high"] == pytest.approx(high, abs=6e-5)


def test_katz_ratio_interval_and_zero_cell_correction():
    e = binary_effects(*_two_groups(56, 70, 48, 80)).iloc[0]
    se = math.sqrt(1 / 56 - 1 / 70 + 1 / 48 - 1 / 80)
    rr = (56 / 70) / (48 / 80)
    assert e["ratio"] == pytest.approx(rr)
    assert e["ratio_ci_low"] == pytest.approx(rr * math.exp(-1.959964 * se), rel=1e-6)
    assert e["ratio_ci_high"] == pytest.approx(rr * math.exp(1.959964 * se), rel=1e-6)
    assert e["p_value"] == pytest.approx(stats.chi2_contingency([[56, 14], [48, 32]], correction=False)[1])
    z = binary_effects(*_two_groups(0, 20, 10, 80)).iloc[0]  # no events among those with the key
    assert z["difference"] == pytest.approx(-1 / 8) and z["rate_with"] == 0
    rr0 = (0.5 / 21) / (10.5 / 81)
    assert z["ratio"] == pytest.approx(rr0)
    assert z["ratio_ci_high"] == pytest.approx(rr0 * math.exp(1.959964 * math.sqrt(2 - 1 / 21 + 1 / 10.5 - 1 / 81)),
                                              rel=1e-6)


def test_welch_difference_matches_scipy():
    rng = np.random.default_rng(3)
    y = np.r_[rng.lognormal(5, 1, 40), rng.lognormal(5.3, 0.6, 300)] + 1000.0
    members = _col(np.r_[np.ones(40), np.zeros(300)])
    e = mean_effects(y, members).iloc[0]
    ref = stats.ttest_ind(y[:40], y[40:], equal_var=False)
    ci = ref.confidence_interval()
    assert e["difference"] == pytest.approx(y[:40].mean() - y[40:].mean())
    assert (e["difference_ci_low"], e["difference_ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert e["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert (e["median_with"], e["median_without"]) == (np.median(y[:40]), np.median(y[40:]))
    assert e["ratio"] == pytest.approx(y[:40].mean() / y[40:].mean())
    assert e["ratio_ci_low"] < e["ratio"] < e["ratio_ci_high"]
    neg = mean_effects(y - 2000.0, members).iloc[0]
    assert np.isnan(neg["ratio"]) and np.isnan(neg["ratio_ci_low"])  # means <= 0: no ratio


# -- customers: last value, counted once, agents never raise --------------------------------------------------------

def _conversation_docs() -> pd.DataFrame:
    day = pd.Timestamp("2024-05-01")
    rows = [  # customer, role, days, theme_ids, touchpoints, churned, channel
        ("ann", "customer", 0, [1], ["billing"], 0.0, "email"),
        ("ann", "customer", 1, [1, -1], [], np.nan, "email"),
        ("ann", "customer", 2, [1], [], 1.0, "phone"),  # her last known value: churned
        ("ann", "customer", 3, [-1], [], np.nan, "email"),
        ("bob", "customer", 5, [2], [], 1.0, "chat"),
        ("bob", "customer", 4, [], ["app"], 0.0, "chat"),  # earlier in time though later in the file
        ("bob", "agent", 6, [1], ["billing"], np.nan, "chat"),  # the agent names issue 1, bob did not
        ("cat", "customer", 1, [2], [], 0.0, "email"),
        (None, "customer", 1, [1], [], 1.0, "email"),
    ]
    cust, role, days, ids, tps, churned, channel = zip(*rows)
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(rows))], "line": np.arange(2, len(rows) + 2),
                         "customer": pd.Series(cust, dtype="string"), "author_role": role,
                         "date": [day + pd.Timedelta(days=d) for d in days], "theme_ids": list(ids),
                         "touchpoints": list(tps), "churned": churned, "channel": channel})


def test_customer_level_uses_last_value_and_counts_each_customer_once():
    u = unit_outcomes(_conversation_docs(), [CHURNED], "customer")
    t = u.table.set_index("unit")
    assert t.index.tolist() == ["ann", "bob", "cat"]
    assert t["churned"].tolist() == [1.0, 1.0, 0.0]  # bob's last by date, not by file order
    assert t["channel"].tolist() == ["email", "chat", "email"]  # most frequent of their own messages
    m = pd.DataFrame(u.members.toarray(), index=t.index, columns=u.keys)
    assert u.keys == [("issue", 1), ("issue", 2), ("touchpoint", "app"), ("touchpoint", "billing")]
    assert m[("issue", 1)].tolist() == [True, False, False]  # agent's mention never makes bob raise it
    assert m[("touchpoint", "billing")].tolist() == [True, False, False]
    e = outcome_effects(u, [CHURNED], min_units=1).set_index("key")
    assert e.loc[1, ["units_with", "units_without"]].tolist() == [1, 2]  # ann once, not three times


def test_document_level_leaves_agents_out():
    u = unit_outcomes(_conversation_docs(), [CHURNED], "document")
    assert len(u.table) == 8 and "d6" not in set(u.table["unit"])
    assert u.members.shape == (8, 4)


def test_membership_is_per_customer_not_per_document():
    """Per document, the churner's three complaints would make issue 1 look like a 75%
    churn risk; per customer it is one churner of two."""
    rows = [("a", [1], 1.0)] * 3 + [("b", [1], 0.0)] + [(c, [], 0.0) for c in "cdefgh"]
    docs = pd.DataFrame({"customer": [r[0] for r in rows], "theme_ids": [r[1] for r in rows],
                         "churned": [r[2] for r in rows], "line": np.arange(len(rows))})
    e = outcome_effects(unit_outcomes(docs, [CHURNED]), [CHURNED], min_units=2).iloc[0]
    assert (e["units_with"], e["units_without"]) == (2, 6)
    assert e["rate_with"] == 0.5 and e["difference"] == 0.5


def test_small_keys_keep_counts_but_no_effects():
    members = np.zeros((50, 2), dtype=bool)
    members[:3, 0] = True
    members[10:30, 1] = True
    y = np.r_[np.ones(5), np.zeros(45)]
    e = outcome_effects(_units({"churned": y}, members), [CHURNED], min_units=5)
    assert e["units_with"].tolist() == [3, 20]
    assert np.isnan(e.loc[0, ["rate_with", "difference", "adjusted_difference"]].astype(float)).all()
    assert "fewer than 5" in e.loc[0, "note"] and not np.isnan(e.loc[1, "difference"])


# -- planted effects ------------------------------------------------------------------------------------------------

def test_planted_churn_effect_is_found_and_null_is_not():
    rng = np.random.default_rng(11)
    n = 6000
    members = rng.random((n, 2)) < [0.2, 0.2]
    churn = rng.random(n) < 0.1 + 0.15 * members[:, 0]
    e = outcome_effects(_units({"churned": churn.astype(float)}, members), [CHURNED]).set_index("key")
    assert e.loc[0, "difference_ci_low"] > 0 and e.loc[0, "difference_ci_low"] < 0.15 < e.loc[0, "difference_ci_high"]
    assert e.loc[1, "difference_ci_low"] < 0 < e.loc[1, "difference_ci_high"]
    assert e.loc[0, "q_value"] < 0.001


def test_adjusted_difference_removes_channel_confounding():
    rng = np.random.default_rng(5)
    n = 8000
    phone = rng.random(n) < 0.5
    issue = rng.random(n) < np.where(phone, 0.4, 0.1)  # phone customers raise it more...
    churn = rng.random(n) < 0.05 + 0.25 * phone + 0.08 * issue  # ...and churn more anyway
    controls = pd.DataFrame({"channel": np.where(phone, "phone", "email")})
    e = outcome_effects(_units({"churned": churn.astype(float)}, issue[:, None], controls=controls), [CHURNED]).iloc[0]
    assert abs(e["adjusted_difference"] - 0.08) < 0.03
    assert e["adjusted_ci_low"] < 0.08 < e["adjusted_ci_high"]
    assert abs(e["difference"] - 0.08) > 0.05  # the raw difference carries the channel's churn (+0.1 expected)
    no_ctrl = adjusted_effects(churn.astype(float), sparse.csr_matrix(issue[:, None]))
    assert abs(no_ctrl["adjusted_difference"].iloc[0] - 0.08) > 0.05


def test_collinear_key_left_out_of_adjusted_model():
    rng = np.random.default_rng(2)
    a = rng.random(500) < 0.3
    members = np.column_stack([a, a, rng.random(500) < 0.3])
    adj = adjusted_effects(rng.random(500), sparse.csr_matrix(members))
    assert adj["adjusted_difference"].isna().sum() == 1 and "VIF" in "".join(adj["note"])


# -- value at risk and ranking -------------------------------------------------------------------------------------

def test_value_at_risk_on_a_hand_example():
    # key raised by units 0-9 (6 churned) vs units 10-29 (4 churned): difference 0.6 - 0.2 = 0.4
    members = np.r_[np.ones(10), np.zeros(20)].astype(bool)[:, None]
    churned = np.r_[np.ones(6), np.zeros(4), np.ones(4), np.zeros(16)]
    value = np.r_[np.full(9, 100.0), np.nan, np.full(20, 50.0)]  # one unknown value counts as nothing
    e = outcome_effects(_units({"churned": churned, "value": value}, members), [CHURNED, VALUE], min_units=1)
    row = e[e["outcome"] == "churned"].iloc[0]
    assert row["value_outcome"] == "value" and row["value_with"] == 900
    assert row["value_at_risk"] == pytest.approx(900 * 0.4)
    assert row["value_at_risk_ci_low"] == pytest.approx(900 * max(row["difference_ci_low"], 0))
    assert row["value_at_risk_ci_high"] == pytest.approx(900 * row["difference_ci_high"])
    assert np.isnan(e[e["outcome"] == "value"]["value_at_risk"]).all()
    good = outcome_effects(_units({"retained": 1 - churned, "value": value}, members),
                           [OutcomeSpec("retained", "R", "binary"), VALUE], min_units=1).iloc[0]
    assert good["value_at_risk"] == pytest.approx(360)  # less retention is the harm


def test_rank_by_orients_harm_and_puts_solid_effects_first():
    e = pd.DataFrame({"outcome": "churned", "higher_is_better": False,
                      "key": ["big_solid", "huge_noisy", "helps", "nan"],
                      "difference": [0.05, 0.30, -0.1, np.nan], "difference_ci_low": [0.03, -0.02, -0.15, np.nan],
                      "difference_ci_high": [0.07, 0.62, -0.05, np.nan]})
    r = rank_by(e, "churned")
    assert r["key"].tolist() == ["big_solid", "huge_noisy", "helps", "nan"]
    assert r["harmful"].tolist() == [True, False, False, False]
    assert r.loc[0, "conservative_harm"] == pytest.approx(0.03)
    value = e.assign(outcome="value", higher_is_better=True)
    assert rank_by(value, "value")["key"].tolist()[0] == "helps"  # lower value is the harm
