"""Reading a practice-management export, CSV or XLSX, one row at a time (the file is never held
whole in memory: an export of 100,000 patients is streamed)."""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from zipfile import BadZipFile

from django.core.exceptions import ValidationError

XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a zip archive
CSV_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Table:
    """A file's header row and its data rows, each with its line number in the file."""

    headers: list[str]
    rows: Iterator[tuple[int, list]]
    lines: int | None = None  # how many lines the file has, where it says (for progress)


def table_open(handle: BinaryIO, filename: str = "") -> Table:
    """The table in an uploaded or opened file, CSV (UTF-8, with or without a BOM, or
    Windows-1252) or XLSX (its first sheet). ValidationError when it is neither or empty."""
    start = handle.read(4)
    handle.seek(0)
    if start == XLSX_MAGIC or Path(filename).suffix.lower() == ".xlsx":
        return _xlsx(handle)
    return _csv(handle)


def _csv(handle: BinaryIO) -> Table:
    sample = handle.read(64 * 1024)
    handle.seek(0)
    encoding = "utf-8-sig"
    try:
        codecs.decode(sample, encoding)
    except UnicodeDecodeError as exc:
        # A cut multi-byte character at the sample's end is still UTF-8.
        encoding = "utf-8-sig" if exc.start >= len(sample) - 3 else "cp1252"
    text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
    try:
        dialect = csv.Sniffer().sniff(sample.decode(encoding, "replace"), CSV_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    handle.seek(0)
    reader = csv.reader(text, dialect)
    numbered = ((reader.line_num, row) for row in reader)
    return Table(_headers(numbered), numbered, lines)


def _xlsx(handle: BinaryIO) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError) as exc:
        raise ValidationError("The file is not a readable XLSX workbook.") from exc

    sheet = book.worksheets[0]

    def numbered():
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        book.close()

    rows = numbered()
    return Table(_headers(rows), rows, sheet.max_row)


def _headers(numbered: Iterator[tuple[int, list]]) -> list[str]:
    """The first row with two cells filled or more (consumed from `numbered`): above it, blank
    lines or a title."""
    for _, row in numbered:
        headers = ["" if v is None else str(v).strip() for v in row]
        if sum(map(bool, headers)) >= 2:
            return headers
    raise ValidationError("The file is empty: no header row.")
