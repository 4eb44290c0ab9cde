"""A customer extract joined to feedback by customer id: its columns become segments (and
outcomes), and ids it holds twice or that match no customer are rejects, never dropped."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app
from voc.customers.crm import CustomerFile
from voc.errors import ConfigError
from voc.io import read_feedback
from voc.io.mapping import ColumnMapping
from voc.io.validate import frame_to_feedback

FEEDBACK = pd.DataFrame({
    "id": ["1", "2", "3", "4"],
    "customer_id": ["c1", "c2", "c1", "c3"],
    "text": ["The delivery was late and the box was damaged.", "Great service and a quick refund.",
             "Still waiting for my refund after two weeks.", "The app keeps crashing at login."],
    "date": ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"],
})
CRM = "customer_id,churned,cltv,plan\nc1,yes,1200,gold\nc2,no,300,basic\nc2,no,310,basic\nc9,no,50,basic\n"
MAPPING = ColumnMapping(text="text", id="id", date="date", customer="customer_id", segments=["plan"])


def _files(tmp_path: Path) -> tuple[Path, Path]:
    fb, crm = tmp_path / "fb.csv", tmp_path / "crm.csv"
    FEEDBACK.to_csv(fb, index=False)
    crm.write_text(CRM)
    return fb, crm


def test_extract_columns_join_by_customer_and_bad_rows_are_rejects(tmp_path: Path) -> None:
    fb, crm = _files(tmp_path)
    res = read_feedback(fb, MAPPING, customers=CustomerFile.read(crm))
    assert res.frame["plan"].tolist()[:1] == ["gold"] and res.frame["plan"].iloc[2] == "gold"
    assert res.frame["plan"].iloc[[1, 3]].isna().all()  # c2's rows are ambiguous, c3 has none
    rej = res.rejects[res.rejects["source"] == "crm.csv"]
    assert rej["line"].tolist() == [3, 4, 5]
    assert rej["reason"].str.contains("appears 2 times").tolist() == [True, True, False]
    assert "matches no customer" in rej["reason"].iloc[2]
    assert res.stats["rejected"] == 0 and res.stats["accepted"] == 4  # feedback rows are all kept
    assert res.stats["customer_file_rejected"] == 3 and res.stats["customers_without_file_row"] == 2


def test_a_dataframe_extract_joins_the_same_way() -> None:
    crm = pd.read_csv(pd.io.common.StringIO(CRM), dtype=str)
    res = frame_to_feedback(FEEDBACK, MAPPING, customers=CustomerFile.from_frame(crm))
    assert res.frame["plan"].iloc[0] == "gold" and len(res.rejects) == 3


def test_extract_errors_name_the_problem(tmp_path: Path) -> None:
    _, crm = _files(tmp_path)
    no_customer = ColumnMapping(text="text", id="id")
    with pytest.raises(ConfigError, match="customer"):
        frame_to_feedback(FEEDBACK, no_customer, customers=CustomerFile.read(crm))
    with pytest.raises(ConfigError, match="no column 'cust'"):
        frame_to_feedback(FEEDBACK, MAPPING, customers=CustomerFile.read(crm, id_column="cust"))
    clash = FEEDBACK.assign(plan="x")
    with pytest.raises(ConfigError, match="also in the feedback"):
        frame_to_feedback(clash, MAPPING, customers=CustomerFile.read(crm))


def test_cli_joins_the_extract_and_reports_its_rejects(tmp_path: Path) -> None:
    fb, crm = _files(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["analyze", str(fb), "--out", str(out), "--text-col", "text", "--id-col", "id",
                                 "--date-col", "date", "--conversation", "customer=customer_id", "--segment-col",
                                 "plan", "--customers", str(crm), "--set", "themes.min_cluster_size=2"])
    assert r.exit_code == 0, r.output
    assert "3 rows rejected" in r.output
    rejects = pd.read_csv(out / "rejects.csv")
    assert (rejects["source"] == "crm.csv").sum() == 3
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs.set_index("doc_id").loc["1", "plan"] == "gold"


def test_a_bad_outcome_value_in_the_extract_rejects_the_extract_row_not_the_feedback(tmp_path: Path) -> None:
    from voc.customers.outcomes import OutcomeSpec

    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,churned\nc1,maybe\nc2,no\nc3,yes\n")
    m = ColumnMapping(text="text", id="id", customer="customer_id", outcomes=[OutcomeSpec.parse("churned=churned")])
    res = frame_to_feedback(FEEDBACK, m, customers=CustomerFile.read(crm))
    assert len(res.frame) == 4 and res.frame["churned"].isna().tolist() == [True, False, True, False]
    rej = res.rejects
    assert rej["source"].tolist() == ["crm.csv"] and rej["line"].tolist() == [2]
    assert "'maybe': expected yes/no" in rej["reason"].iloc[0]
