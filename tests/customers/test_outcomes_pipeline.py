"""Outcomes through voc analyze: --outcome in the mapping, bad values rejected with their
lines, a column that is no outcome refused up front, outcomes.csv and customers.parquet
written, and priorities.csv ranked by an outcome on request."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app
from voc.customers.outcomes import OutcomeSpec
from voc.errors import ConfigError, UnknownColumn
from voc.io.mapping import ColumnMapping
from voc.io.validate import frame_to_feedback

ROWS = pd.DataFrame({
    "id": [str(i) for i in range(6)],
    "cust": ["a", "a", "b", "c", "d", "e"],
    "text": ["My refund took three weeks.", "Still no refund after a month.", "Lovely soft fabric.",
             "The parcel arrived late.", "Great fit, true to size.", "The app keeps crashing."],
    "Churn": ["no", "yes", "No", "1", "maybe", "FALSE"],
    "CLTV": ["£1,200.50", "1200.5", "300", "", "80", "n/a"],
})
MAPPING = ColumnMapping(text="text", id="id", customer="cust",
                        outcomes=[OutcomeSpec.parse("churned=Churn"), OutcomeSpec.parse("value=CLTV")])


def test_outcome_values_are_read_and_bad_ones_rejected_with_their_line() -> None:
    res = frame_to_feedback(ROWS, MAPPING)
    assert res.frame["churned"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]  # "maybe" (row 5) is a reject
    assert res.frame["value"].iloc[0] == pytest.approx(1200.5) and np.isnan(res.frame["value"].iloc[3])
    assert res.rejects["line"].tolist() == [5]
    assert res.rejects["reason"].iloc[0] == "outcome 'churned' 'maybe': expected yes/no, true/false or 0/1"
    assert res.stats["outcome_kinds"] == {"churned": "binary", "value": "number"}


def test_a_column_that_is_no_outcome_is_refused_and_names_clash() -> None:
    m = ColumnMapping(text="text", id="id", outcomes=[OutcomeSpec.parse("churned=text")])
    with pytest.raises(ConfigError, match="are not yes/no"):
        frame_to_feedback(ROWS, m)
    clash = ColumnMapping(text="text", id="id", segments=["churned"], outcomes=[OutcomeSpec.parse("churned=Churn")])
    with pytest.raises(ConfigError, match="used twice"):
        frame_to_feedback(ROWS.assign(churned="x"), clash)
    missing = ColumnMapping(text="text", id="id", outcomes=[OutcomeSpec.parse("churned=Nope")])
    with pytest.raises(UnknownColumn, match="with --outcome NAME=COLUMN"):  # the flag that fixes it
        frame_to_feedback(ROWS, missing)
    assert ColumnMapping.from_dict(MAPPING.to_dict()) == MAPPING
    with pytest.raises(ConfigError, match="outcome names must differ"):
        ColumnMapping.from_dict({"text": "text", "outcomes": ["churned=Churn", "churned=CLTV"]})


def _planted(tmp_path: Path) -> tuple[Path, Path]:
    """120 customers; those who wrote about refunds churn far more often (0.8 vs 0.1)."""
    rng = np.random.default_rng(0)
    refund = ["My refund took three weeks to arrive.", "Still waiting for my refund after a month.",
              "The refund never came, I had to call twice."]
    other = ["Lovely soft fabric and a great fit.", "The parcel arrived on time, well packed.",
             "Great colours, exactly as pictured.", "The dress fits perfectly, very happy."]
    rows, crm = [], []
    for i in range(120):
        wrote_refund = i % 3 == 0
        texts = [refund[i % 3]] if wrote_refund else [other[i % 4]]
        rows += [{"id": f"m{i}", "cust": f"c{i}", "text": t + f" Order {i}."} for t in texts]
        churn = rng.random() < (0.8 if wrote_refund else 0.1)
        crm.append({"cust": f"c{i}", "Churned": "yes" if churn else "no", "CLTV": round(float(rng.lognormal(6, 1)), 2)})
    fb, crm_file = tmp_path / "fb.csv", tmp_path / "crm.csv"
    pd.DataFrame(rows).to_csv(fb, index=False)
    pd.DataFrame(crm).to_csv(crm_file, index=False)
    return fb, crm_file


def test_cli_outcomes_rank_priorities_by_churn(tmp_path: Path) -> None:
    fb, crm = _planted(tmp_path)
    out = tmp_path / "out"
    args = ["analyze", str(fb), "--out", str(out), "--text-col", "text", "--id-col", "id", "--conversation",
            "customer=cust", "--customers", str(crm), "--outcome", "churned=Churned", "--outcome", "value=CLTV",
            "--set", "themes.min_cluster_size=5"]
    bad = CliRunner().invoke(app, [*args, "--rank-by", "revenue"])
    assert bad.exit_code != 0 and "no such outcome" in bad.output
    r = CliRunner().invoke(app, [*args, "--rank-by", "churned"])
    assert r.exit_code == 0, r.output
    effects = pd.read_csv(out / "outcomes.csv")
    churn = effects[(effects["outcome"] == "churned") & (effects["dimension"] == "issue")]
    top = churn.sort_values("difference", ascending=False).iloc[0]
    assert "refund" in str(top["label"]) and top["difference_ci_low"] > 0.3  # planted: +0.7
    assert top["value_at_risk"] > 0
    customers = pd.read_parquet(out / "customers.parquet")
    assert {"churned", "value"} <= set(customers.columns) and len(customers) == 120
    pri = pd.read_csv(out / "priorities.csv")
    assert set(pri["score"]) == {"churned"} and pri.iloc[0]["kind"] == "pain"
    assert "refund" in str(pri.iloc[0]["label"])


def test_scored_into_a_store_the_customer_tables_come_back(tmp_path: Path) -> None:
    """A model fitted with customers, outcomes and ticket times scores new feedback into the
    store; reading the store rebuilds customers, outcomes and resolution times from it."""
    import voc
    from voc.store import analysis_from_store

    fb, crm = _planted(tmp_path)
    frame = pd.read_csv(fb).merge(pd.read_csv(crm), on="cust")
    frame["opened"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(frame)), unit="h")
    frame["closed"] = frame["opened"] + pd.to_timedelta(np.where(frame["text"].str.contains("refund"), 48, 4), unit="h")
    mapping = ColumnMapping(text="text", id="id", customer="cust", opened="opened", closed="closed",
                            outcomes=[OutcomeSpec.parse("churned=Churned"), OutcomeSpec.parse("value=CLTV")])
    analyzer = voc.Analyzer(mapping=mapping, overrides=["themes.min_cluster_size=5"])
    analyzer.fit(frame)
    analyzer.to_disk(tmp_path / "model")
    voc.score(frame, tmp_path / "model", tmp_path / "s.duckdb", chunksize=50)
    a = analysis_from_store(tmp_path / "s.duckdb", drivers=False)
    assert {"customers", "outcomes", "resolution_times"} <= set(a.tables)
    assert len(a.tables["customers"]) == 120 and "churned" in a.tables["customers"].columns
    assert a.run["stages"]["resolution"]["tickets"] == 120
    churn = a.tables["outcomes"].query("outcome == 'churned' and dimension == 'issue'")
    assert "refund" in str(churn.sort_values("difference", ascending=False).iloc[0]["label"])
    from voc.store import export_store

    written = export_store(tmp_path / "s.duckdb", tmp_path / "export", format="csv")
    assert {"documents", "customers", "outcomes", "resolution_times"} <= set(written)
    assert len(pd.read_csv(written["customers"])) == 120
    only = export_store(tmp_path / "s.duckdb", tmp_path / "export2", tables=("outcomes",))
    assert set(only) == {"outcomes"}
