"""Kring's own XLSX writer (kring.research.xlsx, issue 18): a workbook whose every part is
well-formed XML that names what the package holds, numbers as numbers, text as text (never a
formula), and what XML cannot hold written as Excel's escapes."""

from __future__ import annotations

import enum
import io
import zipfile
from xml.etree import ElementTree

import pytest

from kring.research import xlsx

NS = {"m": xlsx.MAIN, "r": xlsx.RELATIONSHIPS}
TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"


class Level(enum.IntEnum):
    HIGH = 3


def _book(rows, **sheet) -> zipfile.ZipFile:
    target = io.BytesIO()
    with xlsx.Workbook(target) as book:
        data = book.sheet("zaken & <co>", **sheet)
        data.row(["name", "n"], style=xlsx.BOLD)
        for row in rows:
            data.row(row)
        book.sheet("dictionary", widths={0: 34, 2: 80}, freeze_header=False).row(["column"])
    return zipfile.ZipFile(io.BytesIO(target.getvalue()))


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(archive.read(name))  # noqa: S314 - a file this test wrote


def _cells(archive: zipfile.ZipFile, number: int = 1) -> dict[str, tuple[str | None, str]]:
    root = _xml(archive, f"xl/worksheets/sheet{number}.xml")
    found: dict[str, tuple[str | None, str]] = {}
    for cell in root.iterfind(".//m:sheetData/m:row/m:c", NS):
        shown = cell.find("m:is/m:t", NS)
        if shown is None:
            shown = cell.find("m:v", NS)
        found[cell.get("r", "")] = (cell.get("t"), (shown.text or "") if shown is not None else "")
    return found


def test_every_part_is_well_formed_and_named_in_the_package():
    archive = _book([["a", 1]])
    assert archive.testzip() is None
    names = set(archive.namelist())
    for name in names:
        _xml(archive, name)  # raises on malformed XML
    types = _xml(archive, "[Content_Types].xml")
    overridden = {f"/{n}" for n in names if not n.endswith(".rels")} - {"/[Content_Types].xml"}
    assert {o.get("PartName") for o in types.iter(f"{TYPES}Override")} == overridden
    workbook = _xml(archive, "xl/workbook.xml")
    sheets = workbook.findall("m:sheets/m:sheet", NS)
    assert [s.get("name") for s in sheets] == ["zaken & <co>", "dictionary"]
    relations = _xml(archive, "xl/_rels/workbook.xml.rels")
    targets = {r.get("Id"): r.get("Target") for r in relations}
    for sheet in sheets:
        target = targets[sheet.get(f"{{{xlsx.RELATIONSHIPS}}}id")]
        assert f"xl/{target}" in names


def test_numbers_stay_numbers_and_text_is_never_a_formula():
    archive = _book(
        [
            [40, 6.5, '=HYPERLINK("http://x")', None, True, Level.HIGH, float("nan"), -0.25],
            ["a & b < c > d", " spaced ", "line\nbreak", "bell\x07", "_x0041_", "é€"],
        ]
    )
    cells = _cells(archive)
    assert cells["A1"] == ("inlineStr", "name")
    assert cells["A2"] == (None, "40") and cells["B2"] == (None, "6.5")
    assert cells["C2"] == ("inlineStr", '=HYPERLINK("http://x")')
    assert "D2" not in cells  # None: a blank cell
    assert cells["E2"] == ("inlineStr", "True")
    assert cells["F2"] == (None, "3")  # an IntEnum is its number
    assert cells["G2"] == ("inlineStr", "nan")  # not a number a spreadsheet can hold
    assert cells["H2"] == (None, "-0.25")
    assert cells["A3"][1] == "a & b < c > d"
    assert cells["B3"][1] == " spaced "
    assert cells["C3"][1] == "line\nbreak"
    assert cells["D3"][1] == "bell_x0007_"  # Excel reads it back as the control character
    assert cells["E3"][1] == "_x005F_x0041_"  # a literal that looks like an escape, kept
    assert cells["F3"][1] == "é€"
    assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_the_header_is_bold_and_stays_in_view_and_columns_have_their_widths():
    archive = _book([])
    data = _xml(archive, "xl/worksheets/sheet1.xml")
    pane = data.find("m:sheetViews/m:sheetView/m:pane", NS)
    assert pane is not None and pane.get("state") == "frozen" and pane.get("ySplit") == "1"
    header = data.findall("m:sheetData/m:row/m:c", NS)
    assert {c.get("s") for c in header} == {str(xlsx.BOLD)}
    styles = _xml(archive, "xl/styles.xml")
    formats = styles.findall("m:cellXfs/m:xf", NS)
    bold_font = styles.findall("m:fonts/m:font", NS)[int(formats[xlsx.BOLD].get("fontId", ""))]
    assert bold_font.find("m:b", NS) is not None
    dictionary = _xml(archive, "xl/worksheets/sheet2.xml")
    assert dictionary.find("m:sheetViews/m:sheetView/m:pane", NS) is None
    widths = {c.get("min"): c.get("width") for c in dictionary.findall("m:cols/m:col", NS)}
    assert widths == {"1": "34", "3": "80"}


def test_long_text_is_cut_where_a_cell_ends_and_columns_go_past_z():
    archive = _book([["x" * 40000, *range(30)]])
    cells = _cells(archive)
    assert len(cells["A2"][1]) == xlsx.MAX_TEXT
    assert cells["AE2"] == (None, "29")
    assert [xlsx.column_letters(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


@pytest.mark.parametrize("rows", [0, 1, 1234])
def test_every_row_is_written_in_order(rows):
    archive = _book([[f"r{n}", n] for n in range(rows)])
    cells = _cells(archive)
    assert len(cells) == 2 + 2 * rows
    if rows:
        assert cells[f"A{rows + 1}"] == ("inlineStr", f"r{rows - 1}")
