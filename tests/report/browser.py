"""Open a report in headless Chromium (Debian's /usr/bin/chromium through playwright's
Python API; never a downloaded browser) and say what a reader would get: console
errors, requests that left the file, charts drawn, and a full-page screenshot."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]


def chromium_path() -> str | None:
    """Debian's chromium (CI installs the package when absent), or $VOC_CHROMIUM."""
    for p in (os.environ.get("VOC_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
              shutil.which("chromium-browser")):
        if p and Path(p).is_file() and os.access(p, os.X_OK):
            return p
    return None


@dataclass
class Rendered:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    sparklines: int = 0
    text: str = ""

    @property
    def external(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith("file:") or u.startswith("data:")
                                                 or u.startswith("about:") or u.startswith("blob:"))]


CHART_PROBE = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => {
  const svg = d.querySelector('svg.main-svg');
  const r = d.getBoundingClientRect();
  const marks = d.querySelectorAll('.point, path.point, .bars path, .trace path, .heatmaplayer image, '
                                   + '.scatterlayer path, .barlayer path').length;
  return {id: d.id, svg: !!svg, width: r.width, height: r.height, marks: marks,
          title: (d.querySelector('.gtitle') || {}).textContent || ''};
})"""


def render(report: Path, screenshot: Path | None = None, width: int = 1280, timeout_ms: int = 60000) -> Rendered:
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("no chromium executable")
    out = Rendered()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: out.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: out.page_errors.append(str(e)))
            page.on("request", lambda r: out.requests.append(r.url))
            page.goto(Path(report).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
            page.wait_for_function("() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                                   ".every(d => d.querySelector('svg.main-svg'))", timeout=timeout_ms)
            page.wait_for_timeout(300)
            out.charts = page.evaluate(CHART_PROBE)
            out.sparklines = page.evaluate("() => document.querySelectorAll('svg.spark polyline').length")
            out.text = page.inner_text("body")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return out
