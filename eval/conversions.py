"""Regenerate the corpus's real converter outputs: real pages printed and converted the way people scrape them.

A real HTML report is printed to PDF by headless Chromium (what "Save as PDF" writes, without the browser's
date/URL header, so the bytes are reproducible), and each PDF (those printed and the real hzq-2023.pdf) is
converted by the PDF→text/markdown tools people use. The outputs are the corpus's `real_conversion` inputs;
their gold is written by hand from the source page (docs/damage.md, "Adding a converter's output").

    python -m nianbao.eval.conversions OUT [--pdf-only] [--converter NAME ...]

writes OUT/<report>.chromium.pdf for each HTML report and OUT/<report>.<converter>.{txt,md} for each PDF. To add a
converter, add one function to CONVERTERS. pdftotext's default mode (tables printed column by column) is
written only with `--converter pdftotext`. The converters come with the harness's extra,
`pip install -e '.[conversions]'` (pdftext apart: docs/damage.md); a converter that is not installed is named
and skipped, the others still written.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
HTML_REPORTS = ("pingtan-2019", "pingtan-2021", "pingtan-2022")
PDF_REPORTS = ("hzq-2023",)
SHARED = Path("/work/shared/corpus/real")
CHROMIUM = "/usr/bin/chromium"


def source(name: str, suffix: str, pages: Path) -> Path:
    """The real page: in the corpus where it is committed, else in PAGES (the shared real pages)."""
    committed = CORPUS / f"{name}.{suffix}"
    return committed if committed.exists() else pages / f"{name}.{suffix}"


def print_to_pdf(html: Path, pdf: Path) -> None:
    """Print a saved page to A4 PDF with headless Chromium; nothing is fetched (the page's CSS and scripts are
    remote), so the print is the page's own markup with the browser's default styles."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto(html.resolve().as_uri(), wait_until="load")
        pdf.write_bytes(page.pdf(format="A4", print_background=True))
        browser.close()


def _pdftotext(*flags: str) -> Callable[[Path], str]:
    def convert(pdf: Path) -> str:
        return subprocess.run(
            ["pdftotext", *flags, "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, encoding="utf-8"
        ).stdout

    return convert


def _pdfminer(pdf: Path) -> str:
    """pdfminer.six's `pdf2txt.py` with its defaults."""
    from pdfminer.high_level import extract_text

    return extract_text(str(pdf))


def _pdfminer_laparams(**params) -> Callable[[Path], str]:
    """pdfminer.six's `pdf2txt.py` with other LAParams (`-F 1`: boxes_flow 1.0, whose box order differs from run
    to run, ties broken apart; `-L 1.0`: line_margin 1.0, likewise; `-F 0.9`: boxes_flow 0.9)."""

    def convert(pdf: Path) -> str:
        from pdfminer.high_level import extract_text
        from pdfminer.layout import LAParams

        return extract_text(str(pdf), laparams=LAParams(**params))

    return convert


def _pdfplumber(pdf: Path) -> str:
    """pdfplumber's `page.extract_text()` per page, pages joined by a line break (its README's recipe)."""
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def _pypdfium2(pdf: Path) -> str:
    """pypdfium2's text page, whole range per page, pages joined by a line break."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _markitdown(pdf: Path) -> str:
    from markitdown import MarkItDown

    return MarkItDown().convert(str(pdf)).text_content


def _pymupdf(*args: str, sort: bool = False) -> Callable[[Path], str]:
    """PyMuPDF's `page.get_text()` per page, as its docs show it: plain text (pages concatenated, each ends in a
    form feed), `sort=True` (lines in reading order by position), or the "blocks" list sorted, each block's
    text on its own (blocks joined by a line break)."""

    def convert(pdf: Path) -> str:
        import pymupdf

        with pymupdf.open(pdf) as doc:
            if args == ("blocks",):
                return "\n".join(block[4] for page in doc for block in page.get_text("blocks", sort=sort))
            return "".join(page.get_text(sort=sort) + "\f" for page in doc)

    return convert


def _pymupdf4llm(pdf: Path) -> str:
    """pymupdf4llm's `to_markdown` with its defaults: headings, markdown tables from its table finder."""
    import pymupdf4llm

    return pymupdf4llm.to_markdown(str(pdf), show_progress=False)


def _pdftext(pdf: Path) -> str:
    """pdftext's `plain_text_output` (the `pdftext` command; marker's text layer), with its defaults."""
    from pdftext.extraction import plain_text_output

    return plain_text_output(str(pdf), workers=1)


def _pypdf(mode: str) -> Callable[[Path], str]:
    """pypdf's `page.extract_text()` per page, pages joined by a line break: the plain mode or `layout`."""

    def convert(pdf: Path) -> str:
        import pypdf

        return "\n".join(page.extract_text(extraction_mode=mode) for page in pypdf.PdfReader(pdf).pages)

    return convert


def _kreuzberg(pdf: Path) -> str:
    """kreuzberg's `extract_file_sync` with its defaults (plain text from its embedded pdfium)."""
    from kreuzberg import extract_file_sync

    return extract_file_sync(str(pdf)).content


def _opendataloader(fmt: str, suffix: str) -> Callable[[Path], str]:
    """opendataloader-pdf (its bundled Java CLI) with its defaults, images off: `markdown` prints the tables its
    border detection finds as markdown tables, `text` the page's text in its reading order."""

    def convert(pdf: Path) -> str:
        import opendataloader_pdf

        with tempfile.TemporaryDirectory(prefix="nianbao-opendataloader-") as out:
            opendataloader_pdf.convert(str(pdf), output_dir=out, format=fmt, quiet=True, image_output="off")
            return (Path(out) / f"{pdf.stem}.{suffix}").read_text(encoding="utf-8")

    return convert


CONVERTERS: dict[str, tuple[str, Callable[[Path], str]]] = {
    "pdftotext-layout": ("txt", _pdftotext("-layout")),
    "pdftotext-raw": ("txt", _pdftotext("-raw")),
    "pdfminer": ("txt", _pdfminer),
    "pdfplumber": ("txt", _pdfplumber),
    "pypdfium2": ("txt", _pypdfium2),
    "markitdown": ("md", _markitdown),
    "pymupdf": ("txt", _pymupdf()),
    "pymupdf-sort": ("txt", _pymupdf(sort=True)),
    "pymupdf-blocks": ("txt", _pymupdf("blocks", sort=True)),
    "pymupdf4llm": ("md", _pymupdf4llm),
    "pdftext": ("txt", _pdftext),
    "pypdf": ("txt", _pypdf("plain")),
    "pypdf-layout": ("txt", _pypdf("layout")),
    "kreuzberg": ("txt", _kreuzberg),
    "opendataloader": ("md", _opendataloader("markdown", "md")),
    "opendataloader-text": ("txt", _opendataloader("text", "txt")),
}
OPT_IN = {
    "pdftotext": ("txt", _pdftotext()),
    "pdfminer-F1": ("txt", _pdfminer_laparams(boxes_flow=1.0)),
    "pdfminer-L1.0": ("txt", _pdfminer_laparams(line_margin=1.0)),
    "pdfminer-F0.9": ("txt", _pdfminer_laparams(boxes_flow=0.9)),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=Path, default=SHARED, help="real pages not committed to the corpus")
    parser.add_argument("--pdf-only", action="store_true", help="only print the HTML reports to PDF")
    parser.add_argument("--converter", action="append", choices=sorted({*CONVERTERS, *OPT_IN}))
    args = parser.parse_args(argv)
    missing = [str(s) for s in [source(n, "html", args.pages) for n in HTML_REPORTS] if not s.exists()]
    missing += [str(s) for s in [source(n, "pdf", args.pages) for n in PDF_REPORTS] if not s.exists()]
    if missing:
        print(f"conversions: no such page: {', '.join(missing)} (give --pages DIR)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    pdfs = {name: source(name, "pdf", args.pages) for name in PDF_REPORTS}
    for name in HTML_REPORTS:
        pdfs[name] = args.out / f"{name}.chromium.pdf"
        print_to_pdf(source(name, "html", args.pages), pdfs[name])
    if args.pdf_only:
        return 0
    chosen = {**CONVERTERS, **OPT_IN} if args.converter else CONVERTERS
    not_installed: set[str] = set()
    for report, pdf in pdfs.items():
        for name in args.converter or CONVERTERS:
            suffix, convert = chosen[name]
            if name in not_installed:
                continue
            try:
                text = convert(pdf)
            except (ImportError, FileNotFoundError) as e:  # its module, or the program it runs (java)
                missing = e.name if isinstance(e, ImportError) else e.filename
                print(f"conversions: {name} is not installed ({missing}); skipped", file=sys.stderr)
                not_installed.add(name)
                continue
            target = args.out / f"{report}.{name}.{suffix}"
            tmp = target.with_suffix(target.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
            print(target)
    return 1 if not_installed else 0


if __name__ == "__main__":
    sys.exit(main())
