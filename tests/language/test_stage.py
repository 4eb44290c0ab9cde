"""The language stage in the pipeline: languages voc reads (English, and French, German...
through the multilingual model) are analysed; others are kept and counted, never analysed,
never in the drivers; old saved models still load; --languages and the warning on the CLI."""

import json
import logging
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import voc
from voc.cli import app
from voc.datasets import make_feedback
from voc.errors import ConfigError
from voc.io.mapping import ColumnMapping, ScoreSpec
from voc.language import MODEL_LANGUAGES, LanguageStage, analysed_mask, not_analysed_message
from voc.pipeline import STAGE_ORDER, Analyzer
from voc.stages.base import Corpus
from voc.stages.drivers import DriversStage

FOREIGN = {
    "FR-1": ("fr", "La livraison est arrivée en retard et le colis était abîmé, je suis très déçu."),
    "DE-1": ("de", "Das Paket ist nie angekommen und der Kundendienst antwortet nicht auf meine Mails."),
    "JA-1": ("ja", "荷物が届きません。サポートに連絡しても返事がありません。"),
}
SHORT = {"UND-1": "ok", "UND-2": "👍👍", "UND-3": "@united thanks", "EN-1": "flight delayed again", "EN-2": "bag lost"}
MAPPING = ColumnMapping(text="text", id="id", date="date", channel="channel", segments=["segment"],
                        scores=[ScoreSpec("nps", "nps")])


def _mixed(n=240, seed=3):
    base = make_feedback(n=n, random_state=seed)
    rows = [{"id": k, "text": t} for k, (_, t) in FOREIGN.items()] + [{"id": k, "text": t} for k, t in SHORT.items()]
    extra = pd.DataFrame(rows)
    for c in base.columns:
        if c not in extra:
            extra[c] = base[c].iloc[: len(extra)].to_numpy()
    extra["nps"] = 0  # detractors: if they entered the drivers, they would move them
    return pd.concat([base, extra], ignore_index=True)


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    frame = _mixed()
    analyzer = Analyzer(mapping=MAPPING)
    analysis = analyzer.fit_transform(frame)
    out = tmp_path_factory.mktemp("lang") / "out"
    analysis.write(out, analyzer=analyzer)
    return analyzer, analysis, out


def test_stage_runs_after_clean():
    assert STAGE_ORDER.index("language") == STAGE_ORDER.index("clean") + 1
    assert Analyzer().check()  # requires/assigns chain is whole


def test_unsupported_language_kept_and_not_analysed_supported_ones_read(mixed_run):
    _, analysis, out = mixed_run
    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    for doc_id, (lang, text) in FOREIGN.items():
        row = docs.loc[doc_id]
        assert row["language"] == lang and row["language_score"] > 0.5 and row["text"] == text
    ja = docs.loc["JA-1"]
    assert not ja["analysed"]
    assert pd.isna(ja["sentiment"]) and pd.isna(ja["sentiment_score"]) and pd.isna(ja["sentiment_mix"])
    assert len(ja["theme_ids"]) == 0 and len(ja["touchpoints"]) == 0
    sents = pd.read_parquet(out / "sentences.parquet")
    assert not sents["doc_id"].eq("JA-1").any()
    for doc_id in ("FR-1", "DE-1"):  # a late, damaged parcel; a parcel that never came and no answer
        assert docs.loc[doc_id, "analysed"] and docs.loc[doc_id, "sentiment"] == "negative"
        assert sents["doc_id"].eq(doc_id).sum() >= 1
    english = docs[docs["analysed"]]
    assert english["sentiment"].notna().all()


def test_short_texts_are_und_or_english_and_analysed(mixed_run):
    docs = mixed_run[1].documents.set_index("doc_id")
    for doc_id in ("UND-1", "UND-2", "UND-3"):
        assert docs.loc[doc_id, "language"] == "und" and np.isnan(docs.loc[doc_id, "language_score"])
    for doc_id in SHORT:
        assert docs.loc[doc_id, "language"] in ("en", "und") and docs.loc[doc_id, "analysed"]
        assert docs.loc[doc_id, "sentiment"] in ("negative", "neutral", "positive")
    sents = mixed_run[1].sentences
    assert sents["doc_id"].isin(["EN-1", "EN-2", "UND-1"]).sum() >= 3


def test_generated_english_is_analysed(mixed_run):
    docs = mixed_run[1].documents
    english = docs[~docs["doc_id"].isin(list(FOREIGN))]
    assert english["analysed"].all()


def test_run_json_counts_languages(mixed_run):
    run = json.loads((mixed_run[2] / "run.json").read_text())
    lang = run["stages"]["language"]
    assert run["counts"]["not_analysed"] == 1 == lang["not_analysed"]
    assert lang["not_analysed_by_language"] == {"ja": 1}
    assert lang["documents_by_language"]["fr"] == 1 and sum(lang["documents_by_language"].values()) == len(_mixed())
    assert lang["not_analysed_share"] == pytest.approx(1 / len(_mixed()), abs=1e-4)
    assert "Japanese" in lang["message"] and "French" not in lang["message"]
    assert "supported: en, " in lang["message"] and "fr" in lang["model_languages"]
    assert run["stages"]["embed_multilingual"]["sentences"] >= 2  # FR-1, DE-1


def test_report_says_it_once(mixed_run):
    html = (mixed_run[2] / "report.html").read_text(encoding="utf-8")
    assert html.count("is in Japanese: not analysed (supported: en, ") == 1


def test_report_names_the_languages_and_which_are_not_read(mixed_run):
    import html as htmllib

    page = htmllib.unescape((mixed_run[2] / "report.html").read_text(encoding="utf-8"))
    line = page[page.index("Languages: "):].split("</p>")[0]
    assert line.startswith("Languages: English 9") and "French <1%," in line
    assert "Japanese <1% (not analysed)" in line and "too short to tell" in line


def test_drivers_ignore_unanalysed_documents():
    """Unanalysed documents with extreme scores and no themes change no driver row: they
    are not "documents without theme X"."""
    rng = np.random.default_rng(0)
    n = 400
    m = rng.random((n, 3)) < [0.2, 0.3, 0.4]
    y = np.clip(np.round(8 + m @ np.array([-3.0, 1.0, 0.0]) + rng.normal(0, 1.5, n)), 0, 10)
    docs = pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "text": "x",
                         "theme_ids": [[int(j) for j in np.flatnonzero(r)] for r in m],
                         "theme_labels": [[f"t{j}" for j in np.flatnonzero(r)] for r in m],
                         "sentiment_score": rng.uniform(-1, 1, n), "nps": y, "analysed": True})
    foreign = pd.DataFrame({"doc_id": [f"f{i}" for i in range(60)], "text": "x", "theme_ids": [[]] * 60,
                            "theme_labels": [[]] * 60, "sentiment_score": np.nan, "nps": 0.0, "analysed": False})
    stage = DriversStage(scores=[ScoreSpec("nps", "nps")], n_boot=50)
    alone = stage.transform(Corpus(docs=docs.copy())).tables["drivers"]
    both = stage.transform(Corpus(docs=pd.concat([docs, foreign], ignore_index=True))).tables["drivers"]
    pd.testing.assert_frame_equal(alone, both)
    # without the column (old outputs and stores) every document counts, as before
    legacy = stage.transform(Corpus(docs=pd.concat([docs, foreign.assign(analysed=None)], ignore_index=True)))
    assert legacy.tables["drivers"]["n"].iloc[0] == n + 60


def test_analysed_mask_and_message():
    docs = pd.DataFrame({"language": ["en", "ja", "ja", "fr", "und"], "analysed": [True, False, False, False, None]})
    assert analysed_mask(docs).tolist() == [True, False, False, False, True]
    assert analysed_mask(pd.DataFrame({"x": [1]})).tolist() == [True]
    msg = not_analysed_message(docs)
    assert msg == ("60% of feedback (3 documents) is in Japanese, French: not analysed (supported: "
                   f"{', '.join(MODEL_LANGUAGES)}); see documents.parquet column language")
    assert not_analysed_message(docs.assign(analysed=True)) is None


def test_languages_option_is_validated():
    assert LanguageStage(analyse="en").languages() == ["en"]
    assert LanguageStage(analyse=["EN", "en"]).languages() == ["en"]
    with pytest.raises(ConfigError, match="unknown language code 'xx'"):
        LanguageStage(analyse="en,xx").languages()
    assert LanguageStage(analyse=["fr", "en"]).languages() == ["fr", "en"]
    with pytest.raises(ConfigError, match="no voc model reads Japanese"):
        LanguageStage(analyse=["ja"]).languages()
    with pytest.raises(ConfigError, match="language.multilingual is false"):
        LanguageStage(analyse=["fr"], multilingual=False).languages()
    assert LanguageStage(multilingual=False).languages() == ["en"]


def test_undetermined_can_be_left_out():
    corpus = Corpus(docs=pd.DataFrame({"doc_id": ["a", "b"], "text": ["ok", "The parcel never arrived, again."]}))
    out = LanguageStage(undetermined=False).transform(corpus)
    assert out.docs["analysed"].tolist() == [False, True]


def test_old_model_without_the_stage_still_loads_and_scores(mixed_run, tmp_path):
    analyzer, _, _ = mixed_run
    model = analyzer.to_disk(tmp_path / "model")
    shutil.rmtree(model / "language")  # as saved before the language stage existed
    cfg = json.loads((model / "config.json").read_text())
    cfg.pop("language")
    (model / "config.json").write_text(json.dumps(cfg))
    meta = json.loads((model / "meta.json").read_text())
    meta["stages"] = [s for s in meta["stages"] if s != "language"]
    (model / "meta.json").write_text(json.dumps(meta))
    loaded = voc.load(model)
    new = _mixed(n=40, seed=9)
    docs = loaded.transform(new).documents.set_index("doc_id")
    assert docs.loc["JA-1", "language"] == "ja" and not docs.loc["JA-1", "analysed"]
    assert docs.loc["FR-1", "language"] == "fr" and docs.loc["FR-1", "analysed"]
    assert docs.loc[~docs.index.isin(list(FOREIGN)), "analysed"].all()


def test_cli_languages_and_warning(mixed_run, tmp_path):
    runner = CliRunner()
    src = tmp_path / "mixed.csv"
    _mixed(n=40, seed=5).to_csv(src, index=False)
    bad = runner.invoke(app, ["analyze", str(src), "--out", str(tmp_path / "bad"), "--languages", "en,ja"])
    assert bad.exit_code == 2 and "no voc model reads Japanese" in " ".join(bad.output.split())
    bad = runner.invoke(app, ["score", str(src), "--model", str(tmp_path), "--languages", "zz"])
    assert bad.exit_code == 2 and "unknown language code 'zz'" in " ".join(bad.output.split())
    model = mixed_run[0].to_disk(tmp_path / "model")
    result = runner.invoke(app, ["score", str(src), "--model", str(model), "--out", str(tmp_path / "scored"),
                                 "--languages", "en", "--id-col", "id"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "of feedback (3 documents) is in French, German, Japanese: not analysed (supported: en)" in text
    docs = pd.read_parquet(tmp_path / "scored" / "documents.parquet")
    assert (~docs["analysed"]).sum() == 3
    run = json.loads((tmp_path / "scored" / "run.json").read_text())
    assert run["config"]["language"]["analyse"] == ["en"]


def test_store_keeps_the_columns(mixed_run, tmp_path, caplog):
    from voc.store import Store, analysis_from_store, score

    model = mixed_run[0].to_disk(tmp_path / "model")
    with caplog.at_level(logging.WARNING, logger="voc"):
        score(_mixed(n=40, seed=5), model, tmp_path / "s.duckdb", mapping=MAPPING, overrides=["language.analyse=[en]"])
    with Store(tmp_path / "s.duckdb", read_only=True) as st:
        docs = st.documents().set_index("doc_id")
    assert docs.loc["JA-1", "language"] == "ja" and not docs.loc["JA-1", "analysed"]
    analysis = analysis_from_store(tmp_path / "s.duckdb")
    assert not_analysed_message(analysis.documents).startswith("6% of feedback (3 documents)")  # 3 of 48
    assert any("not analysed" in r.getMessage() for r in caplog.records)


def test_saved_model_scores_other_languages_into_the_store(mixed_run, tmp_path):
    """voc score with a saved model: French and German read (sentiment, a theme or a
    bucket), Japanese kept unread, all in the store."""
    from voc.store import Store, score

    model = mixed_run[0].to_disk(tmp_path / "model")
    score(_mixed(n=40, seed=7), model, tmp_path / "m.duckdb", mapping=MAPPING)
    with Store(tmp_path / "m.duckdb", read_only=True) as st:
        docs = st.documents().set_index("doc_id")
        sents = st.sentences()
    for doc_id in ("FR-1", "DE-1"):
        assert docs.loc[doc_id, "analysed"] and docs.loc[doc_id, "sentiment"] == "negative"
        assert sents["doc_id"].eq(doc_id).any()
    assert not docs.loc["JA-1", "analysed"] and not sents["doc_id"].eq("JA-1").any()


def test_cli_help_names_the_languages_voc_reads():
    out = " ".join(CliRunner().invoke(app, ["analyze", "--help"]).output.replace("│", " ").split())
    assert f"voc reads {', '.join(MODEL_LANGUAGES)})" in out


def test_undetermined_text_likely_in_a_read_language_goes_to_the_multilingual_model():
    """German with English names is unsure (und), but its likeliest language is German: the
    multilingual model (which reads English too) reads it, not MiniLM; an und text whose
    guess is English, or one with no letters, stays with the English models; a language no
    model reads is not analysed at all."""
    frame = pd.DataFrame({"id": list("abcd"), "text": [
        "Innovationsförderung: Deutsche Firmen investieren Rekordsumme in Forschung",
        "ok thanks",
        "👍👍",
        "日本語のテキストです。配送が遅れました。",
    ]})
    stage = LanguageStage()
    corpus = stage.transform(Corpus(docs=frame.assign(doc_id=frame["id"])))
    docs = corpus.docs.set_index("doc_id")
    assert docs.loc["a", "language"] == "und" and docs.loc["a", "read_by"] == "multilingual"
    assert docs.loc["b", "read_by"] == "english" and docs.loc["c", "read_by"] == "english"
    assert pd.isna(docs.loc["d", "read_by"]) and not docs.loc["d", "analysed"]
    assert corpus.meta["language"]["undetermined_read_by_multilingual"] == 1
    english_only = LanguageStage(multilingual=False).transform(Corpus(docs=frame.assign(doc_id=frame["id"])))
    assert (english_only.docs["read_by"].dropna() == "english").all()
