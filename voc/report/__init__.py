"""The shareable theme report: one self-contained HTML file (plots inline, no URL) and
themes.xlsx beside it for spreadsheet users."""

from voc.report.excel import write_excel
from voc.report.html import build_report, write_report

__all__ = ["build_report", "write_excel", "write_report"]
