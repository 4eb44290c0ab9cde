"""The shareable theme report: one self-contained HTML file (plots inline, no URL)."""

from voc.report.html import build_report, write_report

__all__ = ["build_report", "write_report"]
