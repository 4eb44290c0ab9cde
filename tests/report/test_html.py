"""report.html: self-contained, small, every section there, and honest when data is thin."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from voc.report import build_report, write_report
from voc.report.data import kpis, scores, theme_rows

SECTIONS = ("glance", "drivers", "matrix", "themes", "journey", "trends", "breakdowns", "methods")


def _without_plotly(html: str) -> str:
    from plotly.offline import get_plotlyjs

    from voc.report.charts import plotly_bundle

    js = plotly_bundle(html)  # the cartesian bundle, or the full one when a chart needs another trace type
    assert html.count(js) == 1, "plotly.js must be embedded exactly once"
    assert js == get_plotlyjs() or len(js) < len(get_plotlyjs()) / 2
    return html.replace(js, "")


def _no_external_reference(html: str) -> None:
    rest = _without_plotly(html)
    assert not re.search(r"https?://", rest), re.search(r".{60}https?://.{60}", rest)
    assert not re.search(r"<link\b|<script[^>]+src=|@import|url\(", rest, re.I)
    assert "fonts.googleapis" not in html and "cdn.plot.ly/plotly" not in rest


def test_sample_report_is_self_contained_and_complete(fitted):
    _, analysis, out = fitted
    html = (out / "report.html").read_text(encoding="utf-8")
    _no_external_reference(html)
    for s in SECTIONS:
        assert f'id="{s}"' in html
    assert 'id="customers"' not in html and 'href="#customers"' not in html  # no customer tables, no section
    assert html.count('class="plotly-graph-div"') >= 8
    assert "Top pain points" in html and "95% CI" in html
    # the biggest pain point of some score is named in the at-a-glance list
    top = analysis.priorities[analysis.priorities["kind"] == "pain"].sort_values("rank")["label"].iloc[0]
    glance = html[html.index('id="glance"'): html.index('id="drivers"')]
    assert str(top) in glance
    # verbatims are capped at 3 per theme and shown redacted (the sample plants fake PII)
    assert "@example.com" not in html
    assert (out / "themes.xlsx").is_file()


def test_scores_and_kpis_have_intervals(sample):
    names = [s.title for s in scores(sample)]
    assert names == ["NPS", "Stars mean", "CSAT top-2 box %"]
    cards = kpis(sample)["cards"]
    nps = next(c for c in cards if c["name"] == "NPS")
    assert "95% CI" in nps["detail"] and "n = " in nps["detail"]
    assert "delta" in nps and "vs" in nps["delta"]


def test_volume_change_over_a_handful_is_given_as_counts(sample):
    import copy

    vol = next(c for c in kpis(sample)["cards"] if c["name"] == "Feedback analysed")
    assert re.search(r"\([+-]\d+% vs ", vol["delta"])  # the sample's months hold a few hundred each
    thin = copy.copy(sample)
    docs = sample.documents.copy()
    dates = pd.to_datetime(docs["date"])
    last = dates.dt.to_period("M").max()
    prev = dates.dt.to_period("M") == last - 1
    thin.documents = docs[~prev | (prev.cumsum() <= 3)]  # three documents left in the month before
    vol = next(c for c in kpis(thin)["cards"] if c["name"] == "Feedback analysed")
    assert "%" not in vol["delta"] and "3 in " in vol["delta"]


def test_themes_table_rows_have_impacts_and_examples(sample):
    from voc.outputs import theme_table

    rows = theme_rows(sample, theme_table(sample))
    # issues sit under their aspect: aspects one after another, issues by volume within each
    assert len(rows) and all(g["documents"].is_monotonic_decreasing for _, g in rows.groupby("group", sort=False))
    assert rows["group"].ne(rows["group"].shift()).sum() == rows["group"].nunique()
    assert not set(rows.get("kind", pd.Series(dtype=str))) & {"general", "context"}
    assert "nps:impact" in rows.columns and rows["nps:impact"].notna().any()
    assert rows["examples"].map(len).max() <= 3


def test_customer_text_is_escaped(sample):
    from voc.outputs import theme_table

    themes = theme_table(sample)
    themes["examples"] = "<script>alert('x')</script> | fine"  # every row: which rows the report shows is not this test's concern
    html = build_report(sample, themes=themes)
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;alert(" in html


def test_without_scores_drivers_sections_explain(no_scores, tmp_path):
    html = write_report(no_scores, tmp_path / "report.html").read_text(encoding="utf-8")
    _no_external_reference(html)
    assert "No score column" in html
    assert "mean sentiment" in html  # pain points fall back to their effect on sentiment
    assert "What moves NPS" not in html


def test_one_channel_says_there_is_nothing_to_compare(one_channel, tmp_path):
    html = write_report(one_channel, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "All feedback comes from one channel (email" in html
    assert "Sentiment by channel" not in html


def test_report_of_100k_documents_stays_small_enough_to_mail(sample, tmp_path):
    """Aggregates only: 100k documents (the sample repeated) give about the same file."""
    reps = -(-100_000 // len(sample.documents))
    docs = pd.concat([sample.documents] * reps, ignore_index=True).head(100_000)
    docs["doc_id"] = [f"D{i}" for i in range(len(docs))]
    big = type(sample)(documents=docs, sentences=pd.concat([sample.sentences] * reps, ignore_index=True),
                       themes=sample.themes, tables=sample.tables, rejects=sample.rejects, run=sample.run)
    path = write_report(big, tmp_path / "report.html")
    size = path.stat().st_size
    small = len(build_report(sample).encode("utf-8"))
    print(f"report.html: {size / 1e6:.2f} MB for 100k documents, {small / 1e6:.2f} MB for {len(sample.documents)}")
    assert size < 6_500_000
    assert size < small * 1.1


@pytest.mark.parametrize("rows", [3])
def test_very_few_rows(rows, sample_frame, sample_mapping, tmp_path):
    """A real run on a handful of rows: no themes, no drivers; the report says so."""
    from voc.pipeline import Analyzer

    analyzer = Analyzer(mapping=sample_mapping)
    analysis = analyzer.fit_transform(sample_frame.head(rows))
    analysis.write(tmp_path, analyzer=analyzer)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    _no_external_reference(html)
    assert f"{rows} pieces of feedback" in html
    assert "Methods and data" in html
    assert (tmp_path / "themes.xlsx").is_file()


def test_chart_labels_from_customer_text_are_shown_literally(sample):
    """Plotly renders tags in labels; a theme label like <img ...> must stay text."""
    from voc.report import charts
    from voc.report.data import priorities

    pains = priorities(sample, "pain").head(3).copy()
    pains["label"] = "<img src=x onerror=alert(1)>"
    out = charts.impact_chart(pains, pains.iloc[0:0], scores(sample)[0])
    assert "<img" not in out and "\\u003cimg" not in out
    assert "\\u0026lt;img" in out or "&lt;img" in out
