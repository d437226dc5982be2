"""nianbao: Chinese government open-information annual reports into verified, typed records.

    from nianbao import extract, Options
    report = extract("eval/corpus/pingtan-2022.txt")            # a file: txt, md, html, docx, pdf
    report = extract(page_text, Options(mode="auto"))           # or the page's text itself
    report.verdict, report.cells["applications.granted.total"].value

`extract` runs the same pipeline as `nianbao extract` (ingest → parse → check → model → assemble);
`run_checks` re-checks cells on their own. Bad input raises `IngestError` with a one-line message.
"""

from __future__ import annotations

from pathlib import Path

from nianbao.check import run_checks
from nianbao.ingest import IngestError, ingest_bytes
from nianbao.pipeline import Options, extract_document, extract_path
from nianbao.schemas.record import Cell, Report, Verdict

__all__ = ["Cell", "IngestError", "Options", "Report", "Verdict", "extract", "run_checks"]


PATH_MAX = 4096  # bytes: no file name is longer (Linux's PATH_MAX)


def extract(source: str | bytes | Path, options: Options = Options()) -> Report:
    """One report's record, from a file or from the page itself. What `source` is, by its type:

    - `Path`: a file, its format sniffed from its bytes;
    - `bytes`: the page's own bytes (text in any encoding nianbao reads, HTML, PDF, DOCX, an image); the
      record's source is `<bytes>`;
    - `str`: a file name when it is one line of at most 4,096 bytes (PATH_MAX) that does not start with
      `<`; any other `str` (a page has lines; one-line HTML starts with `<`) is the page's text, source `<text>`.

    A file that is missing, a folder or unreadable, and a page that cannot be read, raise IngestError
    with a one-line message: a name is never read as the page, nor a page as a name."""
    if isinstance(source, bytes):
        return extract_document(ingest_bytes(source, ""), "<bytes>", options)
    if isinstance(source, Path) or _file_name(source):
        return extract_path(source, options)
    return extract_document(ingest_bytes(source.encode("utf-8"), "text"), "<text>", options)


def _file_name(text: str) -> bool:
    return "\n" not in text and not text.startswith("<") and len(text.encode("utf-8", "surrogateescape")) <= PATH_MAX
