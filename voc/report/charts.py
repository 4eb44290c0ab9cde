"""Plot functions over DataFrames (free functions, not methods of a model)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

SENTIMENT_COLORS = {"negative": "#d64545", "neutral": "#a0a4ab", "positive": "#2f9e6e", "mixed": "#e0a030"}


def _html(fig: go.Figure) -> str:
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), template="plotly_white", font=dict(size=12))
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True})


def sentiment_mix(documents: pd.DataFrame) -> str | None:
    col = "sentiment_mix" if "sentiment_mix" in documents else "sentiment"
    if col not in documents or documents.empty:
        return None
    counts = documents[col].value_counts()
    order = [k for k in ("negative", "mixed", "neutral", "positive") if k in counts]
    fig = go.Figure(go.Bar(x=[counts[k] for k in order], y=order, orientation="h",
                           marker_color=[SENTIMENT_COLORS[k] for k in order],
                           text=[f"{counts[k] / counts.sum():.0%}" for k in order], textposition="auto"))
    fig.update_layout(title="Documents by sentiment", height=260, xaxis_title="documents")
    return _html(fig)


def theme_bars(themes: pd.DataFrame, top: int = 15) -> str | None:
    if themes.empty or "documents" not in themes:
        return None
    t = themes.sort_values("documents", ascending=False).head(top).iloc[::-1]
    colors = t.get("mean_sentiment", pd.Series(0.0, index=t.index)).fillna(0.0)
    fig = go.Figure(go.Bar(x=t["documents"], y=t["label"], orientation="h",
                           marker=dict(color=colors, colorscale=[[0, "#d64545"], [0.5, "#dddddd"], [1, "#2f9e6e"]],
                                       cmin=-1, cmax=1, colorbar=dict(title="sentiment")),
                           hovertemplate="%{y}: %{x} documents<extra></extra>"))
    fig.update_layout(title=f"Top {len(t)} themes by volume (colour = mean sentiment)",
                      height=max(300, 28 * len(t) + 80), xaxis_title="documents")
    return _html(fig)


def impact_bars(priorities: pd.DataFrame, value: str, low: str, high: str, label: str, title: str) -> str | None:
    if priorities.empty or value not in priorities:
        return None
    t = priorities.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=t[value], y=t[label].astype(str), orientation="h",
        marker_color=["#d64545" if v < 0 else "#2f9e6e" for v in t[value]],
        error_x=dict(type="data", symmetric=False, array=(t[high] - t[value]).abs(),
                     arrayminus=(t[value] - t[low]).abs()) if low in t and high in t else None,
    ))
    fig.update_layout(title=title, height=max(260, 30 * len(t) + 90), xaxis_title="impact on score (95% CI)")
    return _html(fig)


def touchpoint_heatmap(sentences: pd.DataFrame) -> str | None:
    if "touchpoint" not in sentences or "sentiment" not in sentences or sentences.empty:
        return None
    s = sentences[sentences["touchpoint"].astype(str) != "none"]
    if s.empty:
        return None
    tab = pd.crosstab(s["touchpoint"], s["sentiment"], normalize="index")
    counts = s["touchpoint"].value_counts()
    tab = tab.reindex(columns=[c for c in ("negative", "neutral", "positive") if c in tab.columns])
    tab = tab.loc[counts.index]
    fig = go.Figure(go.Heatmap(z=tab.to_numpy(), x=list(tab.columns), y=[f"{i} ({counts[i]})" for i in tab.index],
                               colorscale="Reds", zmin=0, zmax=1,
                               text=[[f"{v:.0%}" for v in row] for row in tab.to_numpy()], texttemplate="%{text}"))
    fig.update_layout(title="Touchpoints × sentiment (share of sentences)", height=max(280, 30 * len(tab) + 100))
    return _html(fig)


def volume_over_time(documents: pd.DataFrame) -> str | None:
    if "date" not in documents or documents["date"].isna().all():
        return None
    d = documents.dropna(subset=["date"]).copy()
    d["month"] = pd.to_datetime(d["date"]).dt.to_period("M").dt.to_timestamp()
    tab = pd.crosstab(d["month"], d["sentiment"])
    fig = go.Figure()
    for k in ("negative", "neutral", "positive"):
        if k in tab:
            fig.add_trace(go.Bar(x=tab.index, y=tab[k], name=k, marker_color=SENTIMENT_COLORS[k]))
    fig.update_layout(barmode="stack", title="Feedback volume per month by sentiment", height=300)
    return _html(fig)
