"""The bundled sample's report as a reader opens it: headless Chromium (Debian's package,
driven by playwright's Python API, never a downloaded browser), offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.report.browser import chromium_path, render


@pytest.fixture(scope="module")
def rendered(fitted, tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package (pip install -e '.[dev]')")
    if chromium_path() is None:
        pytest.skip("needs Chromium at /usr/bin/chromium (Debian package `chromium`; .ci/run installs it) "
                    "or $VOC_CHROMIUM")
    _, _, out = fitted
    # CI can keep the screenshot by pointing VOC_ARTIFACTS at a directory it uploads
    keep = os.environ.get("VOC_ARTIFACTS")
    folder = Path(keep) if keep else tmp_path_factory.mktemp("report-screenshot")
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "report-sample.png"
    result = render(out / "report.html", shot)
    print(f"\nreport screenshot: {shot}")
    return result, shot


def test_no_console_errors(rendered):
    result, _ = rendered
    assert result.console_errors == [] and result.page_errors == []


def test_no_request_leaves_the_file(rendered):
    result, _ = rendered
    assert result.requests, "the page itself was not loaded"
    assert result.external == []


def test_every_chart_is_drawn(rendered):
    result, _ = rendered
    assert len(result.charts) >= 8
    for chart in result.charts:
        assert chart["svg"] and chart["width"] > 100 and chart["height"] > 100, chart
        assert chart["marks"] > 0, f"chart {chart['title']!r} has no marks"
    titles = " ".join(c["title"] for c in result.charts)
    # which scores get a "What moves ..." chart depends on which have a driver whose interval
    # excludes zero in this small sample; at least one must, and the matrix and journey always draw
    assert "What moves" in titles and "Priority matrix" in titles and "customer journey" in titles
    assert result.sparklines > 0


def test_a_reader_sees_the_top_pain_points(rendered, sample):
    result, shot = rendered
    assert "Top pain points" in result.text
    top = sample.priorities[sample.priorities["kind"] == "pain"].sort_values("rank")["label"].iloc[0]
    assert str(top) in result.text
    assert shot.is_file() and shot.stat().st_size > 50_000
