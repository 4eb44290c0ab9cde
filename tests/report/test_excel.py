"""themes.xlsx: the report's tables for spreadsheet users."""

from __future__ import annotations

import openpyxl

from voc.outputs import theme_table
from voc.report import write_excel


def test_workbook_sheets_and_columns(fitted):
    _, analysis, out = fitted
    wb = openpyxl.load_workbook(out / "themes.xlsx")
    assert wb.sheetnames == ["Themes", "Priorities", "Drivers", "Theme share by period", "Summary", "About"]
    head = [c.value for c in wb["Themes"][1]]
    for col in ("aspect", "label", "polarity", "documents", "share", "mean_sentiment", "NPS impact", "NPS ci low", "NPS ci high", "trend",
                "example 1", "example 3"):
        assert col in head
    n_leaf = (theme_table(analysis).pipe(lambda t: t[(t["kind"] == "issue") & (t["documents"] > 0)])).shape[0]
    assert wb["Themes"].max_row == n_leaf + 1
    assert wb["Themes"].freeze_panes == "B2"
    assert [c.value for c in wb["Priorities"][1]][:4] == ["score", "score_kind", "metric", "kind"]


def test_verbatims_never_become_formulas_and_write_is_atomic(sample, tmp_path):
    themes = theme_table(sample)
    themes.loc[themes.index[themes["kind"] == "issue"][0], "examples"] = "=HYPERLINK(\"x\",\"click\") | ok\x07bell"
    path = write_excel(sample, tmp_path / "themes.xlsx", themes=themes)
    ws = openpyxl.load_workbook(path)["Themes"]
    head = [c.value for c in ws[1]]
    col = head.index("example 1") + 1
    cells = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
    hit = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
    assert hit and all(c.data_type == "s" for c in hit)
    assert not any("\x07" in str(ws.cell(row=r, column=head.index("example 2") + 1).value)
                   for r in range(2, ws.max_row + 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["themes.xlsx"]
