"""Files the pages hand out as downloads."""

from flask import Response

from clinic.services.exports import CsvExport


def csv_answer(export: CsvExport) -> Response:
    """A CSV export as a download: UTF-8 (its byte order mark included), never kept by a cache."""
    return Response(
        export.content.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
