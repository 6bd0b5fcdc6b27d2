"""CSV exports a spreadsheet opens cleanly (SPEC §11): UTF-8 with a byte-order mark (so Excel
reads accents), ISO 8601 dates and times in clinic time, and no formula injection — a text cell
that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage
return) is written with a leading apostrophe, which shows it as the text it is. The rows are
streamed: an export of every patient is never held whole in memory."""

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

from dentalai.clinic_time import clinic_zone

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"

Column = tuple[str, Callable[[object], object]]  # (header, the value of one item)


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(clinic_zone()).isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)  # a number, negative included, is a number
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Line:
    """What csv.writer writes to: hands each line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(columns: list[Column], items: Iterable) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([header for header, _ in columns])
    for item in items:
        yield writer.writerow([cell(value(item)) for _, value in columns])


def wants_csv(request, format_parameter: str = "") -> bool:
    """An API list answers CSV for `format=csv` or an `Accept` that puts text/csv first."""
    accept = request.headers.get("Accept", "")
    return format_parameter == "csv" or accept.split(",")[0].strip().startswith("text/csv")


def csv_response(filename: str, columns: list[Column], items: Iterable) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(columns, items), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
