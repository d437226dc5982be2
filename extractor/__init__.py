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


def extract(source: str | Path, options: Options = Options()) -> Report:
    """One report's record. A `Path`, or a one-line `str` naming an existing file, is read as that file
    (its format sniffed from its bytes); any other `str` is taken as the page's text."""
    if isinstance(source, Path) or ("\n" not in source and Path(source).is_file()):
        return extract_path(source, options)
    return extract_document(ingest_bytes(source.encode("utf-8"), "text"), "<text>", options)
