"""Resource guards: texts beyond clean.max_chars are truncated for the models, with a
warning and a count in run.json (stages.clean); sentences beyond embed.max_length tokens
are counted by the embed stage (tests/stages/test_embed.py). The end-to-end check on a
110 KB text is the `sink-many-bad-rows` case of test_fuzz.py."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from voc.errors import ConfigError
from voc.stages.base import Corpus
from voc.stages.clean import CleanStage


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def voc_warnings():  # type: ignore[no-untyped-def]
    """Warnings of the "voc" logger (the CLI may have turned its propagation off)."""
    handler, logger = _Collect(), logging.getLogger("voc")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _docs(*texts: str) -> Corpus:
    return Corpus(docs=pd.DataFrame({"doc_id": [str(i) for i in range(len(texts))], "text": list(texts)}))


def test_long_texts_are_truncated_with_a_warning_and_counted(voc_warnings) -> None:  # type: ignore[no-untyped-def]
    long = "The parcel arrived late. " * 8000  # 200 KB
    corpus = CleanStage(max_chars=1000).transform(_docs(long, "short and fine", "x" * 1000))
    text = corpus.docs["text"].tolist()
    assert len(text[0]) == 1000 and text[1] == "short and fine" and len(text[2]) == 1000
    assert corpus.meta["clean"]["truncated"] == 1 and corpus.meta["clean"]["max_chars"] == 1000
    assert len(corpus.docs["text_original"].iloc[0]) == len(long)  # the whole (redacted) text is kept
    assert any("1 text(s) longer than 1000 characters" in m and "clean.max_chars" in m for m in voc_warnings)


def test_truncation_happens_after_redaction() -> None:
    """A PII value across the cut is redacted first, so no half of it survives."""
    text = "x" * 990 + " mail jane.roe@example.com please"
    out = CleanStage(max_chars=1000).transform(_docs(text)).docs["text"].iloc[0]
    assert "jane" not in out and len(out) == 1000


def test_no_limit_and_no_warning_when_max_chars_is_null(voc_warnings) -> None:  # type: ignore[no-untyped-def]
    corpus = CleanStage(max_chars=None).transform(_docs("y" * 50_000))
    assert len(corpus.docs["text"].iloc[0]) == 50_000 and corpus.meta["clean"]["truncated"] == 0
    assert not voc_warnings


@pytest.mark.parametrize("bad", [0, -5, "abc", 12.5, True])
def test_a_bad_max_chars_is_a_config_error(bad: object) -> None:
    with pytest.raises(ConfigError, match="clean.max_chars"):
        CleanStage(max_chars=bad).transform(_docs("some text"))  # type: ignore[arg-type]


def test_default_config_sets_a_limit() -> None:
    from voc.config import default_config

    assert default_config()["clean"]["max_chars"] == 5000
