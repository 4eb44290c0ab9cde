"""Plot functions over DataFrames (free functions, not methods of a model).

Each returns an HTML fragment (a plotly div and its script; plotly.js itself is embedded
once by the page) or ``None`` when there is nothing to draw, so the page can say why.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from voc.report.data import Score, fmt

SENTIMENT_COLORS = {"negative": "#d64545", "mixed": "#e0a030", "neutral": "#a0a4ab", "positive": "#2f9e6e"}
RED, GREEN, GREY = "#d64545", "#2f9e6e", "#a0a4ab"
PALETTE = ["#2d5fa8", "#d64545", "#2f9e6e", "#e0a030", "#7b4fa0", "#1b9aaa", "#b5651d", "#6c757d", "#c2185b", "#558b2f"]
SENTIMENT_SCALE = [[0.0, "#c0392b"], [0.5, "#d5d8dc"], [1.0, "#1e8449"]]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]}


def _template(types: set[str]) -> go.layout.Template:
    """plotly_white with the trace defaults of ``types`` only: the whole template repeats
    defaults for every trace type plotly knows (6.5 KB per chart, a quarter of the demo
    report's chart data)."""
    import plotly.io as pio

    full = pio.templates["plotly_white"]
    data = {t: getattr(full.data, t) for t in types if getattr(full.data, t, None)}
    return go.layout.Template(layout=full.layout, data=data)


def _html(fig: go.Figure, height: int) -> str:
    types = {t.type for t in fig.data}
    fig.update_layout(margin=dict(l=10, r=10, t=50, b=10), template=_template(types),
                      height=height, font=dict(size=12, family=FONT),
                      title=dict(x=0, xanchor="left", font=dict(size=14)), hoverlabel=dict(font_family=FONT))
    # the trace types drawn, for the page to pick the plotly.js bundle (plotly_bundle)
    return f"<!-- voc-traces: {','.join(sorted(types))} -->" + fig.to_html(full_html=False, include_plotlyjs=False,
                                                                         config=CONFIG)


#: trace types in the vendored partial bundle (voc/report/assets/README.md)
CARTESIAN_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
                              "image", "pie", "scatter", "scatterternary", "violin"})
#: the vendored bundles, smallest first, with the trace types each draws (voc/report/assets/README.md)
_BUNDLES = (("plotly-cartesian.min.js", "cartesian", CARTESIAN_TRACES),
            ("plotly-cartesian-sankey.min.js", "cartesian + sankey", CARTESIAN_TRACES | {"sankey"}))


def plotly_bundle(page: str) -> str:
    """The plotly.js to embed in a page holding these chart fragments: the smallest vendored
    bundle that has every trace type drawn (1.5 MB cartesian; 1.6 MB with the customers
    section's Sankey), else plotly's full 4.8 MB one. A vendored bundle is used only when it
    is the plotly.js version plotly.py writes figures for."""
    import re
    from pathlib import Path

    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    drawn = {t for m in re.findall(r"<!-- voc-traces: ([\w,]*) -->", page) for t in m.split(",") if t}
    for name, kind, traces in _BUNDLES:
        path = Path(__file__).parent / "assets" / name
        if drawn <= traces and path.is_file():
            js = path.read_text(encoding="utf-8")
            if f"({kind} - minified) v{get_plotlyjs_version()}\n" in js[:200]:
                return js
    return get_plotlyjs()


def _unique(labels: list[str]) -> list[str]:
    """Plotly merges bars with equal category names; keep look-alike labels apart."""
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        k = seen.get(lab, 0)
        seen[lab] = k + 1
        out.append(lab + "\u200b" * k)
    return out


def _esc(text: Any) -> str:
    """Customer-derived text (theme labels, channels) as plotly's pseudo-HTML shows it
    literally: plotly renders tags like <b> and <a> in labels, and decodes entities."""
    return html.escape(str(text), quote=False)


def _short(text: str, n: int = 38) -> str:
    """Shortened and escaped for a chart label."""
    text = str(text)
    return _esc(text if len(text) <= n else text[: n - 1] + "…")


def impact_chart(pains: pd.DataFrame, strengths: pd.DataFrame, score: Score | None, top: int = 8) -> str | None:
    """Diverging bars: the top pain points (red, left) and strengths (green, right) of one
    score, each with its 95% interval as an error bar; biggest pain at the top."""
    p = pains.head(top)
    s = strengths.head(top)
    if p.empty and s.empty:
        return None
    rows = pd.concat([s.iloc[::-1], p.iloc[::-1]], ignore_index=True) if not s.empty else p.iloc[::-1]
    rows = rows.reset_index(drop=True)
    dec = score.decimals if score else 3
    unit = score.unit if score else "on the −1..1 scale"
    name = score.title if score else "mean sentiment"
    labels = _unique([f"{_short(str(r['label']))}  ({int(r['volume'])})" for _, r in rows.iterrows()])
    impact = rows["impact"].astype(float)
    colors = [RED if k == "pain" else GREEN for k in rows["kind"]]
    hover = [f"<b>{_esc(r['label'])}</b><br>impact {fmt(r['impact'], dec, True)} {unit}"
             f" (95% CI {fmt(r['impact_ci_low'], dec)} to {fmt(r['impact_ci_high'], dec)})"
             f"<br>{int(r['volume'])} documents · {fmt(100 * float(r['negative_share']), 0)}% negative"
             f"<br>touchpoint: {_esc(r.get('touchpoint')) if pd.notna(r.get('touchpoint')) else '–'}"
             for _, r in rows.iterrows()]
    fig = go.Figure(go.Bar(
        x=impact, y=labels, orientation="h", marker_color=colors, hovertext=hover, hoverinfo="text",
        error_x=dict(type="data", symmetric=False, array=(rows["impact_ci_high"].astype(float) - impact).abs(),
                     arrayminus=(impact - rows["impact_ci_low"].astype(float)).abs(), color="#555", thickness=1.2),
    ))
    fig.add_vline(x=0, line_width=1, line_color="#444")
    fig.update_layout(title=f"What moves {name}", xaxis_title=f"impact on {name} ({unit})",
                      yaxis=dict(automargin=True), showlegend=False)
    return _html(fig, max(240, 30 * len(rows) + 110))


def priority_matrix(rows: pd.DataFrame, scores: list[Score], label_top: int = 8, label_big: int = 5) -> str | None:
    """Impact on a score (y) against share of feedback (x), one bubble per theme, sized by
    volume and coloured by mean sentiment; a menu switches between scores. Without
    scores, y is the theme's mean sentiment."""
    if rows.empty:
        return None
    x = 100 * rows["share"].astype(float)
    size = 8 + 30 * np.sqrt(rows["documents"].astype(float) / max(float(rows["documents"].max()), 1.0))
    sent = rows["mean_sentiment"].astype(float).fillna(0.0)
    fig = go.Figure()
    axes: list[tuple[str, str]] = []
    ys: list[tuple[pd.Series, Score | None]] = []
    for sc in scores:
        col = f"{sc.label}:impact"
        if col in rows and rows[col].notna().any():
            ys.append((rows[col].astype(float), sc))
    if not ys:
        ys.append((sent, None))
    for i, (y, sc) in enumerate(ys):
        dec = sc.decimals if sc else 2
        ok = y.notna()
        lab = rows["label"].astype(str).map(_esc)
        pick = set(y[ok].abs().sort_values(ascending=False).index[:label_top])
        pick |= set(rows.index[ok][:label_big])  # rows come biggest first
        text = [lab[j] if j in pick else "" for j in rows.index[ok]]
        if sc is not None:
            lo, hi = rows[f"{sc.label}:impact_ci_low"], rows[f"{sc.label}:impact_ci_high"]
            ci = [f"95% CI {fmt(a, dec)} to {fmt(b, dec)}" for a, b in zip(lo[ok], hi[ok])]
        else:
            ci = [""] * int(ok.sum())
        fig.add_trace(go.Scatter(
            x=x[ok], y=y[ok], mode="markers+text", text=text, textposition="top center",
            textfont=dict(size=10), visible=i == 0, name=sc.title if sc else "sentiment",
            marker=dict(size=size[ok], color=sent[ok], colorscale=SENTIMENT_SCALE, cmin=-1, cmax=1,
                        line=dict(width=0.5, color="#333"), opacity=0.8,
                        colorbar=dict(title="mean<br>sentiment", thickness=12)),
            hovertext=[f"<b>{lab[j]}</b><br>{int(rows.at[j, 'documents'])} documents ({x[j]:.1f}%)<br>"
                       f"{'impact ' + fmt(y[j], dec, True) + ' ' + sc.unit if sc else 'mean sentiment ' + fmt(y[j], 2)}"
                       f"<br>{c}" for j, c in zip(rows.index[ok], ci)],
            hoverinfo="text"))
        axes.append((f"impact on {sc.title} ({sc.unit})" if sc else "mean sentiment (−1..1)",
                     f"Priority matrix: {'impact on ' + sc.title if sc else 'sentiment'} vs volume"))
    fig.add_hline(y=0, line_width=1, line_color="#444")
    fig.update_layout(title=axes[0][1], xaxis_title="share of feedback mentioning the theme (%)",
                      yaxis_title=axes[0][0], showlegend=False)
    if len(ys) > 1:
        buttons = [dict(label=sc.title if sc else "sentiment", method="update",
                        args=[{"visible": [j == i for j in range(len(ys))]},
                              {"yaxis.title.text": axes[i][0], "title.text": axes[i][1]}])
                   for i, (_, sc) in enumerate(ys)]
        fig.update_layout(updatemenus=[dict(buttons=buttons, direction="down", x=1, xanchor="right", y=1.14,
                                            yanchor="top", showactive=True)])
    return _html(fig, 520)


def touchpoint_heatmap(tab: pd.DataFrame) -> str | None:
    """Touchpoints in journey order × share of negative / neutral / positive sentences:
    red cells = share negative, green = share positive."""
    if tab.empty:
        return None
    cols = ["negative", "neutral", "positive"]
    z = tab[cols].to_numpy(dtype=float)
    signed = np.column_stack([-z[:, 0], np.zeros(len(z)), z[:, 2]])
    labels = [f"{_esc(name)} ({int(n):,})" + (f" · {stage}" if stage else "")
              for name, n, stage in zip(tab.index, tab["n"], tab["stage"])]
    fig = go.Figure(go.Heatmap(
        z=signed, x=cols, y=labels, zmin=-1, zmax=1, showscale=False,
        colorscale=[[0, "#c0392b"], [0.5, "#f4f5f7"], [1, "#1e8449"]],
        text=[[f"{v:.0%}" for v in row] for row in z], texttemplate="%{text}",
        hovertemplate="%{y}<br>%{x}: %{text} of its sentences<extra></extra>"))
    fig.update_layout(title="Sentiment along the customer journey (share of each touchpoint's sentences)",
                      yaxis=dict(autorange="reversed", automargin=True), xaxis=dict(side="top"))
    return _html(fig, max(260, 34 * len(tab) + 120))


def touchpoint_impact(rows: pd.DataFrame, score: Score) -> str | None:
    """Impact of each touchpoint (journey order, top to bottom) on one score with its 95%
    interval: red when the whole interval is harmful, green when helpful, grey otherwise."""
    if rows.empty:
        return None
    dec = score.decimals
    lo, hi, v = (rows[c].astype(float) for c in ("impact_ci_low", "impact_ci_high", "impact"))
    better = score.spec.higher_is_better
    colors = [RED if ((b < 0) if better else (a > 0)) else GREEN if ((a > 0) if better else (b < 0)) else GREY
              for a, b in zip(lo, hi)]
    labels = [f"{_esc(k)} ({int(n):,})" for k, n in zip(rows["label"], rows["volume"])]
    fig = go.Figure(go.Bar(
        x=v, y=labels, orientation="h", marker_color=colors,
        error_x=dict(type="data", symmetric=False, array=(hi - v).abs(), arrayminus=(v - lo).abs(), color="#555",
                     thickness=1.2),
        hovertext=[f"<b>{_esc(k)}</b><br>impact {fmt(a, dec, True)} {score.unit} (95% CI {fmt(b, dec)} to {fmt(c, dec)})"
                   for k, a, b, c in zip(rows["label"], v, lo, hi)], hoverinfo="text"))
    fig.add_vline(x=0, line_width=1, line_color="#444")
    fig.update_layout(title=f"Which touchpoints move {score.title} (grey = interval includes zero)",
                      xaxis_title=f"impact on {score.title} ({score.unit})",
                      yaxis=dict(autorange="reversed", automargin=True), showlegend=False)
    return _html(fig, max(240, 30 * len(rows) + 110))


def volume_over_time(counts: pd.DataFrame, freq: str) -> str | None:
    """Stacked documents per period by sentiment (``counts``: period × sentiment)."""
    if counts.empty:
        return None
    fig = go.Figure()
    for k in ("negative", "mixed", "neutral", "positive"):
        if k in counts:
            fig.add_trace(go.Bar(x=counts.index, y=counts[k], name=k, marker_color=SENTIMENT_COLORS[k]))
    fig.update_layout(barmode="stack", title=f"Feedback per {freq} by sentiment", yaxis_title="documents",
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom",
                                  traceorder="normal"))
    return _html(fig, 320)


def scores_over_time(series: dict[str, pd.DataFrame], freq: str) -> str | None:
    """One panel per score: the metric per period with its 95% interval."""
    series = {k: v for k, v in series.items() if not v.empty}
    if not series:
        return None
    fig = make_subplots(rows=1, cols=len(series), subplot_titles=list(series), horizontal_spacing=0.08)
    for i, (name, t) in enumerate(series.items(), start=1):
        fig.add_trace(go.Scatter(x=t.index, y=t["value"], mode="lines+markers", name=name, line_color="#2d5fa8",
                                 error_y=dict(type="data", array=t["half"], color="#9db3d6", thickness=1),
                                 hovertemplate="%{x|%b %Y}: %{y:.2f} (n=%{customdata})<extra></extra>",
                                 customdata=t["n"]), row=1, col=i)
    fig.update_layout(title=f"Scores per {freq} (whisker = 95% interval)", showlegend=False)
    return _html(fig, 300)


def theme_share_over_time(shares: pd.DataFrame, labels: dict[str, str], flagged: pd.DataFrame,
                          freq: str) -> str | None:
    """Share of feedback per period for the biggest themes; stars mark the periods where
    a theme was flagged emerging."""
    if shares.empty or len(shares) < 2:
        return None
    fig = go.Figure()
    for i, key in enumerate(shares.columns):
        fig.add_trace(go.Scatter(x=shares.index, y=100 * shares[key], mode="lines", name=_short(labels.get(key, key), 30),
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=2),
                                 hovertemplate="%{x|%d %b %Y}: %{y:.1f}%<extra>" + _short(labels.get(key, key), 60) + "</extra>"))
    if not flagged.empty:
        f = flagged[flagged["key"].isin(shares.columns)]
        if not f.empty:
            fig.add_trace(go.Scatter(x=f["period"], y=100 * f["share"].astype(float), mode="markers", name="emerging",
                                     marker=dict(symbol="star", size=14, color="#111", line=dict(color="#fff", width=1)),
                                     hovertext=[f"{_esc(a)}: emerging ({b})" for a, b in zip(f["label"], f["reason"])],
                                     hoverinfo="text"))
    fig.update_layout(title=f"Share of feedback per {freq}: biggest and emerging themes (★ = flagged emerging)",
                      yaxis_title="% of documents", legend=dict(font=dict(size=11)))
    return _html(fig, 360)


def breakdown_sentiment(table: pd.DataFrame, column: str) -> str | None:
    """100% stacked bars of the sentiment mix per channel or segment level."""
    if table.empty or len(table) < 2:
        return None
    t = table.iloc[::-1]
    fig = go.Figure()
    for k in ("negative", "mixed", "neutral", "positive"):
        if k in t:
            fig.add_trace(go.Bar(x=100 * t[k], y=[f"{_short(v)} ({n:,})" for v, n in zip(t[column], t["documents"])],
                                 orientation="h", name=k, marker_color=SENTIMENT_COLORS[k],
                                 text=[f"{v:.0%}" if v >= 0.08 else "" for v in t[k]], textposition="inside",
                                 textangle=0, insidetextanchor="middle",
                                 hovertemplate="%{y}: %{x:.0f}% " + k + "<extra></extra>"))
    fig.update_layout(barmode="stack", title=f"Sentiment by {column} (% of documents)", xaxis=dict(range=[0, 100]),
                      yaxis=dict(automargin=True),
                      legend=dict(orientation="h", y=-0.08, x=0, yanchor="top", traceorder="normal"))
    return _html(fig, max(220, 34 * len(t) + 130))


def theme_level_heatmap(matrix: pd.DataFrame, overall: dict[str, float], labels: dict[str, str],
                        column: str) -> str | None:
    """Share of each channel's (segment's) feedback mentioning each of the biggest themes;
    blue where a theme is more common in that level than overall, orange where less."""
    if matrix.empty or matrix.shape[0] < 2:
        return None
    z = matrix.to_numpy(dtype=float).T  # themes × levels
    base = np.array([overall.get(k, np.nan) for k in matrix.columns], dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.clip(np.log2(np.where(base > 0, (z + 1e-3) / (base + 1e-3), 1.0)), -2, 2)
    fig = go.Figure(go.Heatmap(
        z=np.nan_to_num(ratio), x=[_short(c, 24) for c in matrix.index],
        y=_unique([_short(labels.get(k, k)) for k in matrix.columns]),
        colorscale=[[0, "#f1dcc4"], [0.5, "#f7f7f7"], [1, "#2d5fa8"]], zmin=-2, zmax=2, showscale=False,
        text=[[f"{v:.0%}" for v in r] for r in z], texttemplate="%{text}",
        customdata=np.repeat(base, z.shape[1], axis=1),
        hovertemplate="%{y} in %{x}: %{text} of documents (overall %{customdata:.0%})<extra></extra>"))
    fig.update_layout(title=f"Themes by {column}: share of each {column}'s feedback "
                            "(blue = more common there than overall, beige = less)",
                      yaxis=dict(autorange="reversed", automargin=True), xaxis=dict(side="top"))
    return _html(fig, max(260, 26 * z.shape[0] + 130))


def sparkline(values: list[float], width: int = 110, height: int = 26, flagged: list[bool] | None = None,
              color: str = "#2d5fa8") -> str:
    """An inline SVG polyline of a theme's share per period (no script, tiny)."""
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    if v.size < 2 or not np.isfinite(v).any():
        return ""
    v = np.nan_to_num(v)
    top = float(v.max()) or 1.0
    xs = np.linspace(2, width - 2, v.size)
    ys = height - 2 - (height - 4) * v / top
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))
    dots = "".join(f'<circle cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="2.6" fill="#111"/>'
                   for i, f in enumerate(flagged or []) if f)
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="share per period"><polyline fill="none" stroke="{color}" stroke-width="1.6" '
            f'points="{pts}"/>{dots}</svg>')


def charts_in(fragments: dict[str, Any]) -> int:
    """How many plotly charts a dict of fragments holds (for tests and the log)."""
    return sum(1 for v in fragments.values() if isinstance(v, str) and "plotly-graph-div" in v)


def journey_flow(links: pd.DataFrame, top: int = 25) -> str | None:
    """A Sankey of the ``top`` biggest touchpoint-to-next-touchpoint steps (``from``, ``to``,
    ``customers``): earlier touchpoint on the left, the next one raised on the right, so the
    flow reads left to right and never loops back on itself."""
    links = links.head(top)
    if links.empty:
        return None
    left = list(dict.fromkeys(links["from"].astype(str)))
    right = list(dict.fromkeys(links["to"].astype(str)))
    names = sorted(set(left) | set(right))
    colour = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    src = [left.index(str(v)) for v in links["from"]]
    dst = [len(left) + right.index(str(v)) for v in links["to"]]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=[_short(n, 30) for n in left + right], color=[colour[n] for n in left + right], pad=14,
                  thickness=16, line=dict(width=0),
                  hovertemplate="%{label}: %{value} customers<extra></extra>"),
        link=dict(source=src, target=dst, value=links["customers"].astype(int).tolist(),
                  color=[_rgba(colour[str(v)], 0.35) for v in links["from"]],
                  hovertemplate="%{source.label} → %{target.label}: %{value} customers<extra></extra>")))
    fig.update_layout(title=f"Where customers go next: a touchpoint (left) and the next one they raised (right), "
                            f"top {len(links)} steps")
    return _html(fig, max(360, 30 * max(len(left), len(right)) + 120))


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"
