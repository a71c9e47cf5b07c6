"""CSV that Excel opens as it should, and that cannot run anything there.

- UTF-8 with a byte order mark: without it Excel reads the file in the machine's
  ANSI code page and Cyrillic names turn into mojibake;
- `;` between fields: what Excel expects in a Russian locale, where `,` is the
  decimal separator;
- formula injection (CSV injection, OWASP): a cell that starts with `=`, `+`, `-`,
  `@`, a tab or a carriage return is taken for a formula by spreadsheets; a caller
  name such as `=HYPERLINK(…)` comes from outside (the caller ID) and would run. Such
  a cell gets a leading `'`, as OWASP recommends. A phone number `+74951234567`
  therefore reads `'+74951234567`: still the number to a person, never a formula
  (and Excel would otherwise turn it into 7,49512E+10 anyway).

`csv_chunks()` yields the file piece by piece for a streamed HTTP response;
`write_csv()` writes it to an open text stream (the CLI).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator, Sequence, TextIO
from zoneinfo import ZoneInfo

BOM = "\ufeff"
DELIMITER = ";"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The history list's columns: API names, and the headers people read in the page's export.
CALL_COLUMNS = ("uuid", "started_at", "direction", "caller", "caller_name", "called", "target", "answered_by",
                "outcome", "wait_seconds", "talk_seconds")
CALL_HEADERS_RU = ("ID звонка", "Начало", "Направление", "Кто звонил", "Имя звонившего", "Набранный номер",
                   "Кому", "Кто ответил", "Итог", "Ожидание, с", "Разговор, с")


def neutralise(value: object) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]], batch: int = 500) -> Iterator[str]:
    """The whole file (BOM, header, rows), a few hundred rows per chunk."""
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    buffer.write(BOM)
    out.writerow([neutralise(h) for h in header])
    for n, row in enumerate(rows, 1):
        out.writerow([neutralise(v) for v in row])
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    for chunk in csv_chunks(header, rows):
        stream.write(chunk)


def call_cells(row, zone: ZoneInfo) -> tuple:
    """A history row (`store.history.CallRow`) as CSV cells, its time in the viewer's zone."""
    d = row.as_dict(zone)
    d["started_at"] = row.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    return tuple(d[c] for c in CALL_COLUMNS)


def calls_csv(rows: Iterable, zone: ZoneInfo, headers: Sequence[str] = CALL_COLUMNS) -> Iterator[str]:
    """The filtered history list as a CSV file (`store.history.iter_calls` gives the rows)."""
    return csv_chunks(headers, (call_cells(r, zone) for r in rows))
