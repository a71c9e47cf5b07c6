"""The CSV export of the filtered history list, streamed (a month of calls need not fit in memory).

The file format (UTF-8 with BOM, `;`, neutralised cells) is `store.export`'s; this
wraps it in a download response named for the period.
"""
from __future__ import annotations

from flask import Response

from store import export as csv_export
from store.history import iter_calls


def csv_response(store, scope, call_filter, zone, russian_headers: bool = False) -> Response:
    """The page's download has Russian headers; the API's (`Accept: text/csv`) its field names."""
    rows = iter_calls(store, scope, call_filter)
    headers = csv_export.CALL_HEADERS_RU if russian_headers else csv_export.CALL_COLUMNS
    body = csv_export.calls_csv(rows, zone, headers)        # needs no request context: the scope is bound
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="calls.csv"'
    return response
