import pandas as pd

from voc.stages.base import Corpus
from voc.stages.clean import CleanStage, clean_text


def test_clean_text_strips_markup_and_keeps_sentence_breaks():
    raw = "<p>Great&nbsp;dress!</p><p>Zip  broke&hellip;</p><script>alert(1)</script>"
    assert clean_text(raw) == "Great dress!\nZip broke…"


def test_clean_text_removes_control_characters_and_collapses_space():
    assert clean_text("a\x00b \t\u200b c\r\n\r\n d") == "ab c\nd"


def test_clean_stage_redacts_pii_in_text_and_original_and_truncates():
    docs = pd.DataFrame({"doc_id": ["a", "b"],
                         "text": ["<b>Mail me</b> at jane.doe@example.com", "x" * 50]})
    corpus = CleanStage(max_chars=20).transform(Corpus(docs=docs))
    assert "jane.doe" not in corpus.docs["text"].iloc[0]
    assert "jane.doe" not in corpus.docs["text_original"].iloc[0]
    assert "<b>" in corpus.docs["text_original"].iloc[0]  # the original keeps its markup
    assert corpus.docs["text"].iloc[0].startswith("Mail me at")
    assert len(corpus.docs["text"].iloc[1]) == 20
    assert corpus.meta["clean"]["truncated"] == 1
    assert corpus.meta["clean"]["pii_redacted"].get("email") == 1


def test_clean_stage_can_keep_pii_when_asked():
    docs = pd.DataFrame({"doc_id": ["a"], "text": ["jane.doe@example.com"]})
    corpus = CleanStage(redact_pii=False).transform(Corpus(docs=docs))
    assert corpus.docs["text"].iloc[0] == "jane.doe@example.com"
