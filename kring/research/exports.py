"""Writing a dataset as CSV or XLSX, and its data dictionary.

CSV is UTF-8 with a byte order mark (so that Excel reads the accents), in two dialects:

- international: comma-separated with a point as decimal sign — the form that R, SPSS, Stata
  and pandas read without settings;
- Dutch: semicolon-separated with a decimal comma, which Excel with Dutch regional settings
  opens with a double-click into columns. Only fractional numbers change; whole numbers
  (counts, days, study IDs) are written the same in both.

It streams: rows are written while the database is read, nothing is held in memory. A
streamed CSV ends with an end line that counts its rows (``#kring-end rows=N``, named in the
data dictionary), so that a download cut off halfway cannot pass for a whole one.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula. A text cell
that starts with one of those (or a tab or carriage return) gets a leading apostrophe in the
CSV; numbers stay numbers. In the XLSX every text is written as a string, which is never a
formula, and numbers as numbers.

The XLSX is written a row at a time (kring.research.xlsx) to a temporary file, which is then
streamed and removed once sent.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from kring.research import xlsx
from kring.research.dataset import Cell, Column, Dataset

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows gathered into one piece of the streamed response.
ROWS_PER_PIECE = 200


@dataclass(frozen=True)
class Dialect:
    """How a CSV separates its fields and writes a decimal sign."""

    slug: str
    delimiter: str
    decimal: str


INTERNATIONAL = Dialect("international", ",", ".")
DUTCH = Dialect("nl", ";", ",")
DIALECTS = {dialect.slug: dialect for dialect in (INTERNATIONAL, DUTCH)}


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_cell(value: Cell, dialect: Dialect = INTERNATIONAL) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # not produced by the datasets; never let it pass as 1/0
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value).replace(".", dialect.decimal)
    return safe_text(str(value))


class _Echo:
    """A file that hands back what is written to it, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _writer(dialect: Dialect) -> Any:
    return csv.writer(_Echo(), delimiter=dialect.delimiter, lineterminator="\r\n")


def csv_pieces(
    columns: Iterable[Column], rows: Iterable[list[Cell]], dialect: Dialect = INTERNATIONAL
) -> Iterator[bytes]:
    """The CSV, in pieces of a few hundred rows."""
    writer = _writer(dialect)
    yield (BOM + writer.writerow([column.name for column in columns])).encode()
    piece: list[str] = []
    # Whole numbers, empty cells and text that cannot start a formula go to the writer as they
    # are (it writes str(n) and "" for them, as csv_cell would); the rest through csv_cell. A
    # bool is not an int here, nor a str subclass (a lazy label) a str.
    for row in rows:
        piece.append(
            writer.writerow(
                [
                    value
                    if value is None
                    or value.__class__ is int
                    or (value.__class__ is str and not value.startswith(FORMULA_START))
                    else csv_cell(value, dialect)
                    for value in row
                ]
            )
        )
        if len(piece) >= ROWS_PER_PIECE:
            yield "".join(piece).encode()
            piece = []
    if piece:
        yield "".join(piece).encode()


# The last line of every streamed CSV: not a row, but the number of rows above it. A file
# without it was cut off (a timeout, a dropped connection): the data dictionary says so.
END_MARKER = "#kring-end"
END_LINE = re.compile(rb"#kring-end rows=(\d+)\r\n\Z")


def end_line(count: int) -> str:
    return f"{END_MARKER} rows={count}\r\n"


def counted(rows: Iterable[list[Cell]], counter: list[int]) -> Iterator[list[Cell]]:
    for row in rows:
        counter[0] += 1
        yield row


def ended_csv_pieces(
    columns: Iterable[Column], rows: Iterable[list[Cell]], dialect: Dialect = INTERNATIONAL
) -> Iterator[bytes]:
    """The CSV in pieces, ending with the end line (only once every row was written)."""
    counter = [0]
    yield from csv_pieces(columns, counted(rows, counter), dialect)
    yield end_line(counter[0]).encode()


def complete(content: bytes) -> int | None:
    """The number of rows of a downloaded CSV if it is whole (it ends with the end line and
    holds that many rows), None if it was cut off. Rows are counted as CSV records, so a
    line break inside a quoted field does not count twice."""
    found = END_LINE.search(content)
    if found is None:
        return None
    text = content[: found.start()].decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text)))
    rows = len(records) - 1  # the header
    return rows if rows == int(found[1]) else None


def _sniff(text: str) -> str:
    header = text.split("\r\n", 1)[0]
    return DUTCH.delimiter if DUTCH.delimiter in header else INTERNATIONAL.delimiter


def close(rows: Iterable[Any]) -> None:
    """Stop reading ``rows`` if they are left halfway: a dataset's rows may hold the database
    connection until their last one (PostgreSQL streams them, kring.research.case_sql), and
    an error's traceback would keep them from being closed until it is gone."""
    stop = getattr(rows, "close", None)
    if stop is not None:
        stop()


def csv_response(
    dataset: Dataset,
    rows: Iterable[list[Cell]],
    filename: str,
    dialect: Dialect = INTERNATIONAL,
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        ended_csv_pieces(dataset.columns, rows, dialect), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def dictionary_rows(dataset: Dataset) -> Iterator[list[str]]:
    """The data dictionary: every column with its type, meaning and codes (translated), and
    the CSV's end line."""
    for column in dataset.columns:
        yield [column.name, str(column.kind_label), str(column.description), str(column.values)]
    yield [
        END_MARKER,
        _("end line (not a column)"),
        _(
            "The last line of a CSV file is not a row: '%(marker)s rows=N', with N the number "
            "of rows above it. A file without this line, or with another number of rows, was "
            "cut off while it was downloaded: do not use it, download it again. (Read the file "
            "with '#' as the comment sign, or leave out the last line.)"
        )
        % {"marker": END_MARKER},
        "",
    ]


def dictionary_header() -> list[str]:
    return [_("column"), _("type"), _("description"), _("values")]


def dictionary_csv(dataset: Dataset, dialect: Dialect = INTERNATIONAL) -> bytes:
    writer = _writer(dialect)
    lines = [writer.writerow(dictionary_header())]
    lines += [
        writer.writerow([safe_text(cell) for cell in row]) for row in dictionary_rows(dataset)
    ]
    return (BOM + "".join(lines)).encode()


def write_xlsx(target: IO[bytes], dataset: Dataset, rows: Iterable[list[Cell]]) -> int:
    """Write the dataset (sheet 1) and its dictionary (sheet 2) to ``target``; return the
    number of data rows."""
    with xlsx.Workbook(target) as book:
        data = book.sheet(dataset.slug)
        data.row([column.name for column in dataset.columns], style=xlsx.BOLD)
        for row in rows:
            data.row(row)
        dictionary = book.sheet(
            _("dictionary"), widths={0: 34, 1: 18, 2: 80, 3: 80}, freeze_header=False
        )
        dictionary.row(dictionary_header(), style=xlsx.BOLD)
        for cells in dictionary_rows(dataset):
            dictionary.row(cells)
    return data.count - 1


def xlsx_response(dataset: Dataset, rows: Iterable[list[Cell]], filename: str) -> FileResponse:
    # An unnamed temporary file: removed by the system when the response closes it.
    spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        write_xlsx(spool, dataset, rows)
        spool.seek(0)
    except BaseException:
        spool.close()
        close(rows)  # rows left halfway give their connection back (a stream holds it)
        raise
    response = FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["Cache-Control"] = "no-store"
    return response
