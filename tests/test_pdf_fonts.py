"""PDFs whose CJK font is not embedded: the system substitute is read once per process, and reads the same.

Each case runs in a fresh interpreter: PDFium's font list and cache are per process."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

pytest.importorskip("reportlab")

READ = """
import json, sys, weakref
weakref.finalize(json, print)  # as under pytest: pypdfium2's exit handler then runs before weakref's
from nianbao import ingest
from nianbao.ingest import pdffonts
if sys.argv[1] == "plain":  # PDFium's own font list, each document closed at once
    pdffonts.install = lambda: None
    pdffonts.hold = lambda pdf, size: pdf.close()
def read_bytes():  # bytes this process has read from files (Linux); -1 where the kernel does not say
    try:
        return int(next(line for line in open("/proc/self/io") if line.startswith("rchar")).split()[1])
    except (OSError, StopIteration):
        return -1
out = []
for path in sys.argv[2:]:
    before = read_bytes()
    doc = ingest.ingest_path(path)
    out.append({"text": doc.text, "regions": [list(map(str, (r.start, r.end, r.page, r.bbox))) for r in doc.cell_boxes],
                "read": read_bytes() - before if before >= 0 else -1})
print(json.dumps(out))
"""


def _report(number: int) -> bytes:
    """A page in STSong-Light, which no PDF embeds (Adobe's CJK base font): PDFium substitutes a system font."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(400, 300))
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(40, 250, f"政府信息公开工作年度报告（第{number}号）")
    pdf.drawString(40, 220, f"本年新收政府信息公开申请 {number * 7} 件")
    for x in (40, 200, 360):  # a ruled table: its cells' boxes come from the glyphs' boxes
        pdf.line(x, 100, x, 180)
    for y in (100, 140, 180):
        pdf.line(40, y, 360, y)
    for y, (label, value) in zip((155, 115), (("予以公开", number), ("不予公开", number * 11)), strict=True):
        pdf.drawString(50, y, label)
        pdf.drawString(210, y, str(value))
    pdf.save()
    return out.getvalue()


def _read(mode: str, paths: list) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-c", READ, mode, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr  # nothing left open to warn about at exit
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fonts")
    paths = [folder / f"r{n}.pdf" for n in range(1, 5)]
    for n, path in enumerate(paths, start=1):
        path.write_bytes(_report(n))
    return paths


def test_text_and_boxes_are_those_of_pdfiums_own_font_list(reports):
    cached, plain = _read("cached", reports), _read("plain", reports)
    assert [r["text"] for r in cached] == [r["text"] for r in plain]
    assert "本年新收政府信息公开申请14件\n予以公开\t2\n不予公开\t22" in cached[1]["text"]
    assert [r["regions"] for r in cached] == [r["regions"] for r in plain]
    assert len(cached[1]["regions"]) == 4


def test_the_substitute_font_is_read_once_per_process(reports):
    plain, cached = _read("plain", reports), _read("cached", reports)
    if plain[0]["read"] < 0:
        pytest.skip("this kernel does not count a process's reads (/proc/self/io)")
    if plain[0]["read"] < 2**20:
        pytest.skip("no font collection is substituted on this machine (CI installs fonts-wqy-zenhei)")
    assert all(r["read"] > 2**20 for r in plain)  # PDFium alone reads the collection for every document
    assert cached[0]["read"] > 2**20 and all(r["read"] < 2**18 for r in cached[1:])
