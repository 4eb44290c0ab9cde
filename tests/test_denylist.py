"""The benchmark deny-list check (voc/denylist.py) against a tiny list made with the
README's hashing, so it needs no ../shared."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

from voc.denylist import DenyList
from voc.errors import InputFileNotFound

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmark_denylist"


def _h(s: str) -> str:  # the README's hashing, written out again on purpose
    return hashlib.sha1(s.encode("utf-8")).hexdigest()[:12]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def make_denylist(directory: Path, whole: list[str], long_texts: list[str]) -> Path:
    """A deny-list of ``whole`` texts and of every 4th 8-word window of ``long_texts``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "whole_texts.txt").write_text("\n".join(_h(" ".join(_words(t))) for t in whole + long_texts) + "\n")
    wins = []
    for t in long_texts:
        w = _words(t)
        wins += [_h(" ".join(w[i:i + 8])) for i in range(0, len(w) - 7, 4)] + [_h(" ".join(w[-8:]))]
    (directory / "windows8.txt").write_text("\n".join(wins) + "\n")
    return directory


BENCH = "The quiet hotel by the river had the kindest staff we have ever met on any trip"


def test_whole_text_and_windows_are_denied(tmp_path: Path) -> None:
    deny = DenyList(make_denylist(tmp_path / "d", ["great value"], [BENCH]))
    assert deny.denied("Great value!!")  # normalised: case and punctuation do not matter
    assert not deny.denied("great value for money")
    # 11 running words of a benchmark text inside a longer training text
    assert deny.denied("Honestly: had the kindest staff we have ever met on any trip. Loved it")
    assert not deny.denied("the kindest staff we have ever met")  # 7 words: chance overlap allowed
    assert deny.mask(["great value", "fine"]) == [False, True]


def test_filter_drops_and_counts(tmp_path: Path) -> None:
    deny = DenyList(make_denylist(tmp_path / "d", ["great value"], [BENCH]))
    frame = pd.DataFrame({"t": ["great value", "ok", BENCH.upper()], "y": [1, 2, 3]})
    kept, dropped = deny.filter(frame, column="t")
    assert dropped == 2 and kept["t"].tolist() == ["ok"]


def test_missing_list_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileNotFound, match="deny-list not found"):
        DenyList(tmp_path / "nowhere")


def test_models_shim_still_imports() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("models_denylist", Path(__file__).resolve().parents[1] / "models" / "denylist.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    assert mod.DenyList is DenyList


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/benchmark_denylist (not shipped with voc)")
def test_shared_list_denies_a_known_stock_text() -> None:
    deny = DenyList(SHARED)
    assert len(deny.whole) > 60_000 and len(deny.windows) > 0
