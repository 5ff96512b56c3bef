"""One entry point for every format: md, html, pdf, docx, json, csv."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Iterator

from publisher.foundation.i18n import _

FORMATS = ("md", "html", "pdf", "docx", "json", "csv")
BINARY = ("pdf", "docx")
APPENDIX_FORMATS = ("json", "csv")  # the formats that list every publication (build_report's ``appendix``)
SUFFIXES = {"md": "md", "markdown": "md", "html": "html", "htm": "html", "pdf": "pdf", "docx": "docx",
            "json": "json", "csv": "csv"}
CSV_COLUMNS = ("item_id", "title", "category", "channel", "published_at", "url", "imported")


def render(report: dict[str, Any], fmt: str) -> bytes:
    """The report in ``fmt`` as bytes."""
    if fmt == "json":
        return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
    if fmt == "csv":
        return render_csv(report)
    if fmt == "md":
        from publisher.report.render_md import render_md

        return render_md(report).encode()
    if fmt == "html":
        from publisher.report.render_html import render_html

        return render_html(report).encode()
    if fmt == "pdf":
        from publisher.report.render_html import render_pdf

        return render_pdf(report)
    if fmt == "docx":
        from publisher.report.render_docx import render_docx

        return render_docx(report)
    raise ValueError(_("unknown format {fmt!r}").format(fmt=fmt))


def json_chunks(report: dict[str, Any], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The JSON report in pieces, its appendix from ``rows`` (publications as
    :func:`publisher.report.ledger.iter_publications` yields them) one at a time: the same document as
    ``render(report, "json")``, without holding a million publications in memory."""
    yield from _head(report)
    yield ',\n  "appendix": ['
    first = True
    for r in rows:
        if not r["counted"]:
            continue
        yield (("\n    " if first else ",\n    ")
               + json.dumps({**r, "published_at": _iso(r["published_at"])}, ensure_ascii=False))
        first = False
    yield "\n  ]\n}\n" if not first else "]\n}\n"


def _head(report: dict[str, Any]) -> Iterator[str]:
    """The report without its appendix as indented JSON, less the closing ``\n}``, encoded piece by piece (its
    tally names the items behind every number: never one string)."""
    pending = ""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
    for piece in encoder.iterencode({k: v for k, v in report.items() if k != "appendix"}):
        pending += piece
        if len(pending) > 65536:
            yield pending[:-2]
            pending = pending[-2:]
    assert pending.endswith("\n}")
    yield pending[:-2]


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The auditor's appendix in pieces: every counted publication of ``rows``, one line per item and channel
    (UTF-8 with BOM for Excel), written as the rows come."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["条目编号", "标题", "类别", "渠道", "发布时间", "网址", "导入（补录）"])
    yield "\ufeff" + out.getvalue()
    for r in rows:
        if not r.get("counted", True):
            continue
        out.seek(0)
        out.truncate()
        writer.writerow([r["item_id"], r["title"], r["category"], r["display_name"],
                         _iso(r["published_at"])[:19].replace("T", " "), r["url"], "是" if r["imported"] else "否"])
        yield out.getvalue()


def appendix_chunks(report: dict[str, Any], rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[str]:
    """The JSON report or the CSV appendix (``fmt``) in pieces, the publications streamed from ``rows``."""
    return json_chunks(report, rows) if fmt == "json" else csv_chunks(rows)


def stream_json(report: dict[str, Any], rows, out) -> None:
    """Write :func:`json_chunks` to the text stream ``out``."""
    for chunk in json_chunks(report, rows):
        out.write(chunk)


def render_csv(report: dict[str, Any]) -> bytes:
    """The auditor's appendix of a report that holds it (a frozen one): see :func:`csv_chunks`."""
    return "".join(csv_chunks(report["appendix"])).encode("utf-8")


def _iso(value) -> str:
    return value if isinstance(value, str) else value.isoformat()
