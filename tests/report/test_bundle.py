"""The report embeds the smallest plotly.js that draws its charts: the vendored cartesian
bundle, or plotly's full one when a chart needs another trace type (the Sankey)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from voc.report import charts

VENDORED = Path(charts.__file__).parent / "assets" / "plotly-cartesian.min.js"
WITH_SANKEY = Path(charts.__file__).parent / "assets" / "plotly-cartesian-sankey.min.js"


@pytest.mark.parametrize(("path", "kind"), [(VENDORED, "cartesian"), (WITH_SANKEY, "cartesian + sankey")])
def test_the_vendored_bundles_are_the_plotly_js_plotly_py_writes_for(path, kind):
    head = path.read_text(encoding="utf-8")[:200]
    assert f"({kind} - minified) v{get_plotlyjs_version()}\n" in head, (
        "plotly.py was upgraded: refresh voc/report/assets (see its README) or reports fall back to the full bundle")


def test_the_bundle_follows_the_traces_drawn():
    bars = charts._html(go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h")), 300)
    heat = charts._html(go.Figure(go.Heatmap(z=[[1, 2], [3, 4]])), 300)
    flow = charts._html(go.Figure(go.Sankey(node=dict(label=["a", "b"]), link=dict(source=[0], target=[1],
                                                                                    value=[3]))), 300)
    small = charts.plotly_bundle(bars + heat)
    assert small == VENDORED.read_text(encoding="utf-8") and len(small) < len(get_plotlyjs()) / 2
    with_flow = charts.plotly_bundle(bars + flow)
    assert with_flow == WITH_SANKEY.read_text(encoding="utf-8") and len(with_flow) < len(get_plotlyjs()) / 2
    globe = charts._html(go.Figure(go.Scattergeo(lon=[0], lat=[0])), 300)
    assert charts.plotly_bundle(bars + globe) == get_plotlyjs()  # a trace no vendored bundle has
    # each chart carries only its own trace types' template defaults, not every type plotly knows
    assert '"sankey"' not in bars and '"scatter3d"' not in bars and len(bars) < 6000


def test_the_sample_report_is_small_enough_to_mail(fitted):
    _, _, out = fitted
    size = (out / "report.html").stat().st_size
    assert size < 2_000_000, size


def test_a_report_with_a_sankey_draws_it_in_a_browser(tmp_path):
    pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package (pip install -e '.[dev]')")
    from tests.report.browser import chromium_path, render

    if chromium_path() is None:
        pytest.skip("needs Chromium at /usr/bin/chromium (Debian package `chromium`) or $VOC_CHROMIUM")
    import pandas as pd

    steps = pd.DataFrame({"from": ["delivery", "delivery", "support"], "to": ["support", "returns", "returns"],
                          "customers": [12, 5, 7]})
    flow = charts.journey_flow(steps)
    bars = charts._html(go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h")), 300)
    assert flow is not None
    page = f"<html><body>{flow}{bars}<script>{charts.plotly_bundle(flow + bars)}</script></body></html>"
    # plotly.js must load before the charts' scripts run: put it first, as the report does
    page = page.replace(f"<body>{flow}{bars}<script>", "<body><script>").replace("</script></body>",
                                                                                 f"</script>{flow}{bars}</body>")
    f = tmp_path / "flow.html"
    f.write_text(page, encoding="utf-8")
    result = render(f)
    assert result.console_errors == [] and result.page_errors == [] and result.external == []
    assert len(result.charts) == 2 and all(c["svg"] and c["height"] > 100 for c in result.charts), result.charts
    assert result.charts[1]["marks"] > 0  # the bars
    assert all(name in result.text for name in ("delivery", "support", "returns"))  # the Sankey's nodes
