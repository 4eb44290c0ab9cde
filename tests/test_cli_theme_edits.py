"""Theme edits from the command line: `voc themes` (the tree, `--check` and its exit
codes), `--theme-edits` on `voc score` and `voc analyze`, and what the output files,
priorities and report make of them. Uses the session's analyzed sample (tests/conftest.py)."""

import json

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()


def _themes(out) -> pd.DataFrame:
    return pd.read_csv(out / "themes.csv")


@pytest.fixture(scope="module")
def picked(fitted):
    """Ids to edit in the session model: the top pain point (to hide), the two biggest
    negative issues (rename one, merge the other into it) and an aspect."""
    _, _, out = fitted
    t = _themes(out)
    pri = pd.read_csv(out / "priorities.csv")
    pain = int(pri[(pri["kind"] == "pain") & (pri["dimension"] == "theme")].sort_values("rank")["key"].iloc[0])
    neg = t[(t["kind"] == "issue") & (t["polarity"] == "negative") & (t["theme_id"] != pain)]
    neg = neg.sort_values(["size", "theme_id"], ascending=[False, True])
    keep, gone = int(neg["theme_id"].iloc[0]), int(neg["theme_id"].iloc[1])
    aspect = int(t.loc[(t["kind"] == "aspect") & (t["theme_id"] != t.loc[t["theme_id"] == keep, "parent_id"].iloc[0]),
                       "theme_id"].iloc[0])
    return {"pain": pain, "keep": keep, "gone": gone, "aspect": aspect,
            "pain_label": str(t.loc[t["theme_id"] == pain, "label"].iloc[0])}


def _write(path, edits: list[str]):
    path.write_text("edits:\n" + "".join(f"  - {e}\n" for e in edits), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["themes"], ["analyze"], ["score"]])
def test_help_names_theme_edits(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert ("--check" if command == ["themes"] else "--theme-edits") in result.output


def test_themes_prints_the_aspect_issue_tree(fitted):
    analyzer, _, out = fitted
    result = runner.invoke(app, ["themes", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    t = analyzer.stages_["themes"].themes_
    for r in t[t["kind"].isin(["aspect", "issue"])].itertuples():
        assert f"{r.theme_id} {r.label}" in result.output
    assert "general sentiment" in result.output and "sentences" in result.output
    assert runner.invoke(app, ["themes", str(out / "model")]).exit_code == 0


def test_check_prints_what_each_edit_does(fitted, picked, tmp_path):
    _, _, out = fitted
    f = _write(tmp_path / "edits.yaml", [f"rename: {{id: {picked['keep']}, label: biggest complaint}}",
                                         f"merge: {{ids: [{picked['gone']}], into: {picked['keep']}}}",
                                         f"move: {{id: {picked['keep']}, to: {picked['aspect']}}}",
                                         f"hide: {{id: {picked['pain']}}}"])
    result = runner.invoke(app, ["themes", str(out), "--check", str(f)], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("edit ")]
    assert [ln.split(": ")[1].split()[0] for ln in lines] == ["rename", "merge", "move", "hide"]
    assert "edit 1 (line 2)" in lines[0] and "'biggest complaint'" in lines[0]
    assert "ok" in result.output.splitlines()[-1]


@pytest.mark.parametrize("edits, needles", [
    (["merge: {ids: [GONE], into: KEEP}", "merge: {ids: [KEEP], into: GONE}"], ["edit 2 (line 3)", "merge cycle"]),
    (["move: {id: ASPECT, to: KEEP}"], ["edit 1 (line 2)", "is an aspect, not an issue"]),
    (["rename: {id: 987654, label: x}"], ["id 987654 is not a theme", "voc themes"]),
    (["split: {id: KEEP, keyword: '', label: x}"], ["keyword is empty"]),
    (["rename: {id: KEEP, label: x}", "retitle: {id: KEEP}"], ["edit 2 (line 3)", "unknown operation 'retitle'"]),
])
def test_check_rejects_invalid_files_with_exit_code_1(fitted, picked, tmp_path, edits, needles):
    _, _, out = fitted
    sub = {"GONE": picked["gone"], "KEEP": picked["keep"], "ASPECT": picked["aspect"]}
    for k, v in sub.items():
        edits = [e.replace(k, str(v)) for e in edits]
    f = _write(tmp_path / "bad_edits.yaml", edits)
    result = runner.invoke(app, ["themes", str(out), "--check", str(f)], terminal_width=300)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "[E014]" in result.output and "bad_edits.yaml" in result.output
    for n in needles:
        assert n in result.output, result.output


def test_themes_on_a_directory_without_a_model(tmp_path):
    result = runner.invoke(app, ["themes", str(tmp_path)])
    assert result.exit_code == 2 and "holds no saved themes" in result.output


def test_analyze_with_a_broken_edits_file_fails_before_running(tmp_path, sample_frame):
    f = tmp_path / "f.csv"
    sample_frame.head(5).to_csv(f, index=False)
    bad = _write(tmp_path / "e.yaml", ["hide: {}"])
    result = runner.invoke(app, ["analyze", str(f), "--out", str(tmp_path / "o"), "--theme-edits", str(bad)])
    assert result.exit_code == 2 and "[E014]" in result.output and "hide needs either id or ids" in result.output
    assert not (tmp_path / "o").exists()


def test_score_with_edits_renames_merges_and_hides(fitted, picked, sample_frame, tmp_path):
    """The edits replace the model's (none here) at scoring time; the hidden top pain point
    stays in themes.csv (hidden) with its sentences, and leaves priorities.csv, the report
    and themes.xlsx."""
    _, _, out = fitted
    f = tmp_path / "new.csv"
    sample_frame.to_csv(f, index=False)
    edits = _write(tmp_path / "edits.yaml", [f"rename: {{id: {picked['keep']}, label: biggest complaint}}",
                                             f"merge: {{ids: [{picked['gone']}], into: {picked['keep']}}}",
                                             f"hide: {{id: {picked['pain']}}}"])
    scored = tmp_path / "scored"
    result = runner.invoke(app, ["score", str(f), "--model", str(out / "model"), "--out", str(scored), "-q",
                                 "--theme-edits", str(edits)])
    assert result.exit_code == 0, result.output
    t = _themes(scored).set_index("theme_id")
    assert t.loc[picked["keep"], "label"] == "biggest complaint" and picked["gone"] not in t.index
    assert bool(t.loc[picked["pain"], "hidden"]) and t["hidden"].sum() == 1
    sents = pd.read_parquet(scored / "sentences.parquet")
    before = pd.read_parquet(out / "sentences.parquet")
    assert (sents["theme_id"] == picked["pain"]).sum() == (before["theme_id"] == picked["pain"]).sum() > 0
    assert (sents["theme_id"] == picked["keep"]).sum() == before["theme_id"].isin([picked["keep"],
                                                                                   picked["gone"]]).sum()
    pri = pd.read_csv(scored / "priorities.csv")
    assert len(pri) and str(picked["pain"]) not in set(pri.loc[pri["dimension"] == "theme", "key"].astype(str))
    assert picked["pain_label"] in (out / "report.html").read_text(encoding="utf-8")
    assert picked["pain_label"] not in (scored / "report.html").read_text(encoding="utf-8")
    sheet = openpyxl.load_workbook(scored / "themes.xlsx")["Themes"]
    assert picked["pain"] not in {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert json.loads((scored / "run.json").read_text())["stages"]["themes"]["hidden"] == [picked["pain"]]
    (scored / "report.html").unlink()  # a rebuilt report reads themes.csv's hidden column
    assert runner.invoke(app, ["report", str(scored)]).exit_code == 0
    assert picked["pain_label"] not in (scored / "report.html").read_text(encoding="utf-8")


def test_edits_survive_a_refit_with_previous(fitted, picked, sample_frame, tmp_path):
    """Refit on other feedback with --previous and the edits file: the rename and the merge
    hold on the ids that persist, the model keeps them (so voc score applies them with no
    flag), and an edit whose id is not in the refit is a warning, not a failure."""
    _, _, out = fitted
    f = tmp_path / "next.csv"
    sample_frame.sample(frac=0.8, random_state=3).to_csv(f, index=False)
    edits = _write(tmp_path / "edits.yaml", [f"rename: {{id: {picked['keep']}, label: biggest complaint}}",
                                             f"merge: {{ids: [{picked['gone']}], into: {picked['keep']}}}",
                                             "hide: {id: 987654}"])
    out2 = tmp_path / "m2"
    result = runner.invoke(app, ["analyze", str(f), "--out", str(out2), "--id-col", "id", "--score", "nps=nps",
                                 "--previous", str(out / "model"), "--theme-edits", str(edits)],
                           terminal_width=300)
    assert result.exit_code == 0, result.output
    assert "id 987654 is not among the refit's themes" in " ".join(result.output.split())  # a logged warning
    run = json.loads((out2 / "run.json").read_text())
    kept = run["stages"]["themes"]["changes"]["issues"]["kept"]
    assert {picked["keep"], picked["gone"]} <= set(kept), "the biggest issues should persist (precondition)"
    info = run["stages"]["themes"]["edits"]
    assert len(info["applied"]) == 2 and len(info["warnings"]) == 1 and info["source"].endswith("edits.yaml")
    t = _themes(out2).set_index("theme_id")
    assert t.loc[picked["keep"], "label"] == "biggest complaint" and picked["gone"] not in t.index
    listing = runner.invoke(app, ["themes", str(out2)], terminal_width=300)
    assert "biggest complaint" in listing.output and "987654" in listing.output  # the skipped edit is listed
    scored = tmp_path / "scored"
    assert runner.invoke(app, ["score", str(f), "--model", str(out2 / "model"), "--out", str(scored), "-q"]).exit_code == 0
    s = _themes(scored).set_index("theme_id")
    assert s.loc[picked["keep"], "label"] == "biggest complaint" and picked["gone"] not in s.index
