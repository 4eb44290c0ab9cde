"""Every file of the fuzz corpus through ingestion (fast), and a sample through `voc analyze`.

The promise checked for each bad input: no exception other than a VocError; either a
one-line error naming the file (and the line where one applies), or a read where
accepted + rejected = rows read = the rows the generator wrote, each reject with its
line and reason, and exactly the rejects the generator planted.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from tests.fuzz.make_corpus import Case, make_corpus
from voc.errors import UnknownColumn, VocError
from voc.io import REJECT_COLUMNS, IngestResult, iter_feedback, read_feedback
from voc.io.mapping import ColumnMapping

# Collection needs the case ids, so the corpus is written once per session into a temp
# dir (about two seconds) instead of a fixture; it is removed when the session ends.
_DIR = Path(tempfile.mkdtemp(prefix="voc-fuzz-"))
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
CASES = make_corpus(_DIR)
BY_ID = {c.id: c for c in CASES}
CLI_CASES = [c for c in CASES if c.cli]


def read(case: Case) -> IngestResult:
    return read_feedback(case.path, case.mapping, **case.kwargs)


def check_error(case: Case, exc: VocError) -> None:
    msg = str(exc)
    assert case.expect in ("error", "any"), f"{case.id}: unexpected error {msg}"
    assert "\n" not in msg, f"{case.id}: the error is not one line: {msg!r}"
    assert msg.startswith("[E"), msg
    if case.names_file:
        assert case.path.name in msg, f"{case.id}: the error does not name the file: {msg}"
    if case.error:
        assert case.error in msg, f"{case.id}: expected {case.error!r} in {msg!r}"


def check_read(case: Case, r: IngestResult) -> None:
    """The accounting every successful read must satisfy, then the case's own oracle."""
    s, frame, rej = r.stats, r.frame, r.rejects
    assert case.expect in ("ok", "any"), f"{case.id}: expected an error, got {s['accepted']} accepted rows"
    assert s["accepted"] + s["rejected"] == s["rows_read"], s
    assert len(frame) == s["accepted"] and len(rej) == s["rejected"]
    assert list(rej.columns) == REJECT_COLUMNS
    assert (rej["line"] >= 1).all() and rej["reason"].str.len().gt(0).all()
    assert (rej["source"] == case.path.name).all()
    lines = frame["line"].tolist() + rej["line"].tolist()
    assert len(lines) == len(set(lines)), f"{case.id}: a line was counted twice: {sorted(lines)}"
    assert frame["text"].notna().all() and frame["text"].str.strip().str.len().gt(0).all()
    assert frame["doc_id"].is_unique
    if case.rows is not None:
        assert s["rows_read"] == case.rows, f"{case.id}: wrote {case.rows} rows, read {s['rows_read']}"
    if case.rejects is not None:
        got = dict(zip(rej["line"].tolist(), rej["reason"].tolist()))
        assert sorted(got) == sorted(case.rejects), f"{case.id}: rejected lines {got}, expected {case.rejects}"
        for line, needle in case.rejects.items():
            assert needle in got[line], f"{case.id}: line {line}: {got[line]!r} does not say {needle!r}"
    if case.texts is not None:
        assert frame["text"].tolist() == case.texts
    if case.lines is not None:
        assert frame["line"].tolist() == case.lines


def check_case(case: Case) -> IngestResult | None:
    try:
        r = read(case)
    except VocError as exc:
        check_error(case, exc)
        return None
    check_read(case, r)
    return r


def test_corpus_is_large_and_covers_the_issue() -> None:
    assert len(CASES) >= 200
    families = {c.family for c in CASES}
    assert {"encoding", "mixed", "bom", "nul", "ragged", "quoted", "unclosed", "long", "emptytext", "emoji",
            "markup", "scripts", "dupid", "scores", "dates", "empty", "excel", "parquet", "jsonl", "json"} <= families
    assert sum(c.expect == "error" for c in CASES) >= 30 and sum(c.rows is not None for c in CASES) >= 150
    assert max(c.path.stat().st_size for c in CASES if c.path.is_file()) >= 100_000


def test_corpus_is_deterministic(tmp_path: Path) -> None:
    again = make_corpus(tmp_path)
    assert [c.id for c in again] == [c.id for c in CASES]
    for a, b in zip(CASES, again):
        if a.path.is_file() and a.path.suffix not in (".xlsx", ".parquet"):  # those embed timestamps
            assert a.path.read_bytes() == b.path.read_bytes(), a.id


def test_the_oracle_can_fail() -> None:
    """A case whose row count or rejects are off by one is caught: the oracle is not vacuous."""
    from dataclasses import replace

    sink = BY_ID["sink-many-bad-rows"]
    with pytest.raises(AssertionError, match="wrote"):
        check_case(replace(sink, rows=sink.rows + 1))  # type: ignore[operator]
    with pytest.raises(AssertionError, match="rejected lines"):
        check_case(replace(sink, rejects={**sink.rejects, 2: "x"}))  # type: ignore[dict-item]
    with pytest.raises(AssertionError, match="unexpected error"):
        check_case(replace(BY_ID["empty-header-only"], expect="ok"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_ingestion(case: Case) -> None:
    r = check_case(case)
    if r is None:
        return
    # chunked reading (for files larger than memory) must agree with reading at once
    try:
        parts = list(iter_feedback(case.path, case.mapping, chunksize=3, **case.kwargs))
    except UnknownColumn:
        # a text column found by content sniffing is looked for in the first chunk only
        assert r.stats["text_column_detected"], case.id
        return
    combined = IngestResult.combine(parts)
    for key in ("rows_read", "accepted", "rejected", "duplicate_ids"):
        assert combined.stats[key] == r.stats[key], key
    assert combined.rejects["line"].tolist() == r.rejects["line"].tolist()
    assert combined.frame["doc_id"].tolist() == r.frame["doc_id"].tolist()


# ------------------------------------------------------------------------------ end to end
def _cli_args(case: Case) -> list[str]:
    m = case.mapping or ColumnMapping()
    args = [] if m.text == "text" else ["--text-col", m.text]
    for flag, value in (("--id-col", m.id), ("--date-col", m.date), ("--channel-col", m.channel)):
        if value:
            args += [flag, value]
    for seg in m.segments:
        args += ["--segment-col", seg]
    for sp in m.scores:
        rng = f":{sp.low:g}:{sp.high:g}" if sp.kind == "custom" else ""
        args += ["--score", f"{sp.kind}={sp.column}{rng}"]
    for key, flag in (("sheet", "--sheet"), ("encoding", "--encoding"), ("delimiter", "--delimiter")):
        if key in case.kwargs:
            args += [flag, str(case.kwargs[key])]
    return args


#: CLI bugs the corpus found in code this suite does not own; the fix is proposed to its owner.
KNOWN_CLI_BUGS: dict[str, str] = {}  # case id -> why it is expected to fail (none left)


def _cli_params() -> list:  # type: ignore[type-arg]
    out = []
    for c in CLI_CASES:
        # runs that reach the models take ~5-15 s each on 2 cores: all but the kitchen sink are `slow`
        marks = [pytest.mark.slow] if c.expect != "error" and c.family != "sink" else []
        if c.id in KNOWN_CLI_BUGS:
            marks.append(pytest.mark.xfail(reason=KNOWN_CLI_BUGS[c.id], strict=False))
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def test_cli_sample_is_representative() -> None:
    assert 15 <= len(CLI_CASES) <= 25
    assert sum(c.expect == "error" for c in CLI_CASES) >= 6 and sum(c.expect == "ok" for c in CLI_CASES) >= 6


@pytest.mark.parametrize("case", _cli_params())
def test_analyze_end_to_end(case: Case, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voc.cli import app

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["analyze", str(case.path), "--out", str(out), "-q", *_cli_args(case)])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    if case.expect == "error":
        assert result.exit_code == 2, result.output
        errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error")]
        assert len(errors) == 1, result.stderr
        if case.names_file:
            assert case.path.name in errors[0]
        assert not (out / "run.json").exists()
        return
    assert result.exit_code == 0, result.output
    api = read(case)
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    c = run["counts"]
    assert c["accepted"] + c["rejected"] == c["rows_read"]
    assert (c["rows_read"], c["accepted"], c["rejected"]) == (api.stats["rows_read"], api.stats["accepted"],
                                                              api.stats["rejected"])
    if case.rows is not None:
        assert c["rows_read"] == case.rows
    docs = pd.read_parquet(out / "documents.parquet")
    assert len(docs) == c["accepted"] == c["documents"]
    rejects = pd.read_csv(out / "rejects.csv")
    assert len(rejects) == c["rejected"]
    assert rejects["line"].tolist() == api.rejects["line"].tolist()
    assert rejects["reason"].notna().all()
    if case.truncated is not None:
        assert run["stages"]["clean"]["truncated"] == case.truncated
        assert "max_chars" in result.stderr
        max_chars = run["config"]["clean"]["max_chars"]
        assert docs["text"].str.len().max() <= max_chars
