"""Scanned pages through OCR, PDF cells with their page and box, and what OCR loses kept unverified."""

from __future__ import annotations

import dataclasses
import io
import random
import sys

import nianbao.ingest
import pytest
from nianbao.eval.damage import generate
from nianbao.eval.evaluate import score_record
from nianbao.ingest import IngestError, ingest_bytes
from nianbao.pipeline import extract_document
from nianbao.schemas.keys import T2_KEYS, t3_key, t4_key


def _text_pdf_document():
    generated = generate(random.Random(5), "pdf", ())
    return generated, ingest_bytes(generated.data, generated.filename)


def test_pdf_cells_keep_their_page_and_box():
    generated, doc = _text_pdf_document()
    report = extract_document(doc, generated.filename)
    cell = report.cells[t3_key("granted", "total")]
    assert cell.value == generated.cells[t3_key("granted", "total")]
    assert cell.page is not None and cell.bbox is not None and cell.confidence is None
    assert doc.text[cell.span[0] : cell.span[1]] == str(cell.value)


def _as_ocr(doc, key_span: tuple[int, int], replacement: str | None, agreed: bool = False):
    """The document as if OCR had read it, with the value at `key_span` lost (None) or misread; `agreed`: a
    second recognition of every cell's crop read the same."""
    start, end = key_span
    new = " " * (end - start) if replacement is None else replacement.rjust(end - start)
    boxes = [
        r._replace(confidence=0.0 if replacement is None and r.start <= start < r.end else 0.99, agreed=agreed)
        for r in doc.cell_boxes
    ]
    return dataclasses.replace(doc, text=doc.text[:start] + new + doc.text[end:], cell_boxes=boxes, ocr=True)


def test_a_value_ocr_lost_is_not_found_with_the_identitys_number_as_a_candidate():
    generated, doc = _text_pdf_document()
    key = t3_key("granted", "research")
    span = extract_document(doc, "x").cells[key].span
    report = extract_document(_as_ocr(doc, span, None), "x")
    cell = report.cells[key]
    assert cell.value is None and "not_found" in cell.flags and "inferred" in cell.flags
    assert generated.cells[key] in cell.candidates
    assert report.verdict.value == "needs_model"
    assert all("ocr" in c.flags for c in report.cells.values() if c.value is not None)


def test_an_ocr_misread_that_breaks_an_identity_is_an_extraction_suspect_not_a_source_error():
    _, doc = _text_pdf_document()
    key = t3_key("granted", "total")
    span = extract_document(doc, "x").cells[key].span
    printed = doc.text[span[0] : span[1]]
    report = extract_document(_as_ocr(doc, span, printed[:-1] + str((int(printed[-1]) + 1) % 10)), "x")
    failing = [c for c in report.checks if c.status == "fail" and c.severity == "hard"]
    assert failing and all(c.cause == "extraction" for c in failing)
    assert report.verdict.value == "needs_model"


def test_an_ocr_count_in_table_2_stands_only_on_a_second_agreeing_reading():
    """Table 二 has no identity: an OCR count there misread ("191" as "199") and not read again alike stands
    behind nothing; where a second recognition of its crop agreed, the reading stands."""
    _, doc = _text_pdf_document()
    key = "active.regulations.in_force"
    span = extract_document(doc, "x").cells[key].span
    printed = doc.text[span[0] : span[1]]
    misread = printed[:-1] + str((int(printed[-1]) + 8) % 10)
    report = extract_document(_as_ocr(doc, span, misread), "x")
    assert report.cells[key].value == int(misread) and key in report.unverified
    assert all(k in report.unverified for k in T2_KEYS if report.cells[k].value is not None)
    agreed = extract_document(_as_ocr(doc, span, printed, agreed=True), "x")
    assert agreed.cells[key].value == int(printed) and "ocr_agreed" in agreed.cells[key].flags
    assert key not in agreed.unverified


def test_an_agreed_table_2_count_stands_only_in_its_own_column():
    """A table 二 cell OCR read as something else ("D" for a "0") is a value the row lost, and the row's counts
    before it are then placed a column off: an agreed reading placed in another key's column stands behind
    nothing, while the count the grid puts in its key's column stands."""
    _, doc = _text_pdf_document()
    issued, neighbour, key = (f"active.regulations.{c}" for c in ("issued", "repealed", "in_force"))
    printed = extract_document(doc, "x")
    span = printed.cells[neighbour].span
    garbled = extract_document(_as_ocr(doc, span, "D".rjust(span[1] - span[0]), agreed=True), "x")
    moved = garbled.cells[neighbour]
    assert moved.value == printed.cells[issued].value and "ocr_agreed" not in moved.flags
    assert neighbour in garbled.unverified
    assert "ocr_agreed" in garbled.cells[key].flags and key not in garbled.unverified


def test_an_agreed_ocr_reading_under_an_identity_stands_only_where_one_holds():
    """Two readings agreeing say the digits are right, not that the row put them in the right column: a cell
    that identities hold, none of them checked and holding (a neighbour OCR lost), stays unverified."""
    _, doc = _text_pdf_document()
    span = extract_document(doc, "x").cells[t4_key("review", "upheld")].span
    report = extract_document(_as_ocr(doc, span, None, agreed=True), "x")
    hard = [c for c in report.checks if c.severity == "hard"]
    unheld = {k for c in hard for k in c.cells} - {k for c in hard if c.status == "pass" for k in c.cells}
    read = [k for k in unheld if report.cells[k].value is not None]
    assert read and all("ocr_agreed" in report.cells[k].flags for k in read)
    assert set(read) <= set(report.unverified)


def test_a_scan_without_the_ocr_extra_is_one_line_naming_the_extra(monkeypatch):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buffer, "PDF")
    monkeypatch.setitem(sys.modules, "nianbao.ingest.ocr", None)  # import fails as when the extra is missing
    # an earlier test's import must not answer `from nianbao.ingest import ocr`
    monkeypatch.delattr(nianbao.ingest, "ocr", raising=False)
    with pytest.raises(IngestError, match=r"pip install '\.\[ocr\]'"):
        ingest_bytes(buffer.getvalue(), "scan.pdf")
    png = io.BytesIO()
    Image.new("L", (200, 100), 255).save(png, "PNG")
    with pytest.raises(IngestError, match=r"image needs OCR.*pip install '\.\[ocr\]'"):
        ingest_bytes(png.getvalue(), "page.png")


def test_a_scanned_report_is_read_through_ocr_with_every_identity_checked():
    """An image-only PDF (ruled tables drawn with a CJK font, turned, blurred, noisy) read end to end."""
    pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra: pip install '.[ocr]'")
    generated = generate(random.Random(3), "scanned", (), "typical")
    doc = ingest_bytes(generated.data, generated.filename)
    assert doc.ocr and doc.format == "pdf"
    report = extract_document(doc, generated.filename)
    score = score_record(generated.name, generated.filename, generated.cells, report, generated.source_errors)
    assert [(c.key, c.gold, c.got) for c in score.wrong] == []
    hard = [c for c in report.checks if c.severity == "hard"]
    assert hard and all(c.status == "pass" for c in hard)
    assert report.verdict.value == "verified"
    cell = report.cells[t3_key("new_received", "total")]
    assert "ocr" in cell.flags and cell.page is not None and cell.bbox is not None and 0 < cell.confidence <= 1


def _ruled_row_with_a_hyphen():
    """Two cells of a ruled table at 200 dpi, blurred as a scan: one empty, one with a hyphen zero marker
    (7 × 1 pixels, what "-" in a 10-point cell leaves after blur and binarisation)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("L", (360, 90), 255)
    draw = ImageDraw.Draw(image)
    for y in (20, 70):
        draw.line([(20, y), (340, y)], fill=0, width=2)
    for x in (20, 180, 340):
        draw.line([(x, 20), (x, 70)], fill=0, width=2)
    draw.rectangle([(256, 44), (262, 44)], fill=0)
    return np.asarray(image.filter(ImageFilter.GaussianBlur(0.6)))


def test_a_hyphen_ocr_reads_as_a_dot_is_recovered_from_its_ink_and_a_speck_is_ink_lost(monkeypatch):
    """Recognition reads a lone hyphen as '·' with low confidence: its ink is one horizontal stroke, so the cell
    holds a dash ("—", a zero marker); ink of another shape read as a dot is printed and lost (an empty box of
    confidence 0, which the record marks `not_found`), not blank; the empty cell stays blank."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    monkeypatch.setattr(ocr, "_read", lambda images, *_: [("·", 0.17)] * len(images))
    gray = _ruled_row_with_a_hyphen()
    tables = ocr.grid.find_tables(ocr.ruled_lines(gray), ocr.RENDER_DPI / 72)
    [box] = ocr.reread_empty_cells(gray, [], tables)
    assert box.text == "—" and box.confidence > 0 and 180 < box.x0 < box.x1 < 340
    speck = gray.copy()
    speck[40:48, 256:263] = 0  # a blot, no stroke
    [box] = ocr.reread_empty_cells(speck, [], tables)
    assert (box.text, box.confidence) == ("", 0.0)


def test_a_dash_cell_is_a_zero_marker_only_where_its_ink_is_a_dash(monkeypatch):
    """'一' or 'ー' read over a stroke is the zero marker "—", agreed where the second reading is a dash too, and
    so is a hyphen both readings give as "1"; '一' over ink of another shape stays as read and unagreed; a number stands agreed only where both
    readings give its digits."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np  # comes with the ocr extra

    gray = np.full((60, 300), 255, np.uint8)
    gray[30:33, 20:44] = 0  # a dash
    gray[18:44, 120:123] = 0  # a tall stroke, as "1"
    gray[20:40, 200:215] = 0  # a digit-sized blot
    gray[30:32, 250:260] = 0  # a hyphen
    pieces = [
        ocr.grid.Piece("ー", (20, 30, 44, 33)),
        ocr.grid.Piece("一", (120, 18, 123, 44)),
        ocr.grid.Piece("18", (200, 20, 215, 40)),
        ocr.grid.Piece("1", (250, 30, 260, 32)),
    ]
    page = ocr.grid.PageLayout([ocr.grid.Line(0, pieces, 0)], [[[""] * 4]])  # a table 二's width
    monkeypatch.setattr(ocr, "_recognise", lambda images, *_, **__: [("-", 0.9), ("1", 0.9), ("188", 0.9), ("1", 0.9)])
    ocr.confirm(gray, page)
    assert [(p.text, p.agreed) for p in pieces] == [("—", True), ("一", False), ("18", False), ("—", False)]
    pieces[2].text = "188"
    ocr.confirm(gray, page)
    assert [(p.text, p.agreed) for p in pieces[:3]] == [("—", True), ("一", False), ("188", True)]


def test_a_small_hyphen_read_as_anything_is_a_zero_marker_and_a_full_stop_is_not(monkeypatch):
    """A hyphen in a small type leaves 4 × 2 pixels of ink at 200 dpi, which recognition reads as "=", "*", "¥" or
    ":": a one-character cell whose ink is such a short stroke is the zero marker, agreed where recognition read a
    dash too (its text and its ink's shape are two readings); a dot as tall as wide is no zero marker."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np  # comes with the ocr extra

    gray = np.full((60, 300), 255, np.uint8)
    gray[30:32, 40:44] = 0  # a hyphen, as the scanned layout's small type prints it
    gray[30:33, 140:143] = 0  # a full stop
    gray[30:32, 240:244] = 0  # a hyphen recognition read as one
    pieces = [ocr.grid.Piece(t, (x, 30, x + 4, 32)) for t, x in (("=", 40), ("*", 140), ("-", 240))]
    page = ocr.grid.PageLayout([ocr.grid.Line(0, pieces, 0)], [[[""] * 9]])  # a wide table: no second reading
    ocr.confirm(gray, page)
    assert [(p.text, p.agreed) for p in pieces] == [("—", False), ("*", False), ("—", True)]


def test_a_dash_whose_text_box_takes_in_the_cells_rule_is_a_zero_marker(monkeypatch):
    """A text box drawn round a dash can reach down over the cell's rule, and recognition reads the two strokes as
    "二" (or "一一"): the rule is no ink of the cell, so the dash alone is judged, and it is the zero marker."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np  # comes with the ocr extra

    gray = np.full((60, 300), 255, np.uint8)
    gray[29:31, 20:40] = 0  # the dash
    gray[40:43, 0:300] = 0  # the cell's rule below it
    gray[42, ::35] = 255  # its ragged edge: a row of pieces shorter than a rule
    pieces = [ocr.grid.Piece(text, (14, 10, 41, 41)) for text in ("二", "一一")]
    page = ocr.grid.PageLayout([ocr.grid.Line(0, [piece], 0) for piece in pieces], [[[""] * 9]])  # a wide table
    ocr.confirm(gray, page)
    assert [p.text for p in pieces] == ["—", "—"]


def test_a_faint_dash_in_pieces_or_read_as_letters_is_a_zero_marker():
    """A faint dash binarised comes apart in pieces side by side (read "*"), or is read as a short Latin reading with
    no digit ("un.", "wiwi", its ink lighter than the page's threshold and judged on the crop's own): its ink is one
    stroke, so it is the zero marker; a header cell's few CJK characters never are."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np  # comes with the ocr extra

    gray = np.full((60, 300), 255, np.uint8)
    gray[30:32, 20:25] = 0  # a dash in two pieces, a pixel apart
    gray[30:32, 26:40] = 0
    gray[30:32, 120:138] = 0  # a dash
    gray[28:34, 220:250] = 0  # a header cell's few characters, closed up into one flat piece
    gray[30:32, 270:288] = 190  # a faint dash, lighter than the page's threshold
    pieces = [
        ocr.grid.Piece("*", (18, 29, 42, 33)),
        ocr.grid.Piece("un.", (118, 29, 140, 33)),
        ocr.grid.Piece("他结", (218, 27, 252, 35)),
        ocr.grid.Piece("wiwi", (270, 30, 288, 31)),
    ]
    page = ocr.grid.PageLayout([ocr.grid.Line(0, pieces, 0)], [[[""] * 9]])  # a wide table: no second reading
    ocr.confirm(gray, page)
    assert [p.text for p in pieces] == ["—", "—", "他结", "—"]


def test_a_lone_mark_of_a_digits_height_in_a_table_is_read_again_over_the_digits(monkeypatch):
    """Recognition reads a lone "0" in a table cell as "。": where its ink is as tall as the page's numbers', it is
    read again over the digits and takes that reading; a full stop's ink is a third as tall and keeps its reading.
    A lone mark is read again over the digits alone: with "." allowed, a lone "0" comes out as "."."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np  # comes with the ocr extra

    gray = np.full((60, 300), 255, np.uint8)
    gray[20:34, 20:22] = gray[20:34, 28:30] = 0  # "11": two digits 14 pixels tall
    gray[20:34, 120:132] = 0  # a "0" 14 pixels tall, as a ring
    gray[22:32, 122:130] = 255
    gray[29:34, 220:225] = 0  # a full stop
    pieces = [
        ocr.grid.Piece("11", (18, 18, 32, 36)),
        ocr.grid.Piece("。", (118, 18, 134, 36)),
        ocr.grid.Piece("。", (218, 18, 227, 36)),
    ]
    page = ocr.grid.PageLayout([ocr.grid.Line(0, pieces, 0)], [[[""] * 9]])  # a wide table: no second reading
    separators = len(ocr._number_columns(True))

    def recognise(images, columns):  # the ring read with "." and "," allowed comes out as "."
        return [("." if len(columns) == separators else "0", 0.9)] * len(images)

    monkeypatch.setattr(ocr, "_recognise", recognise)
    ocr.confirm(gray, page)
    assert [(p.text, p.agreed) for p in pieces] == [("11", False), ("0", False), ("。", False)]
    for ring in ("o", "D", "口"):  # a ring, in a narrow table whose cells are all read a second time
        pieces[1].text = ring
        ocr.confirm(gray, ocr.grid.PageLayout(page.lines, [[[""] * 4]]))
        assert pieces[1].text == "0"


def test_a_page_number_ocr_read_without_its_dashes_is_no_line_of_the_text():
    """ "- 4 -" read as "4" or "-4" as a page's last line, below its table, is the page's number: left out of the
    text, or the row above would take it as one more value. A lone number anywhere else on the page stays."""
    from nianbao.ingest.grid import Line, PageLayout, Piece
    from nianbao.ingest.pages import render_layouts

    def scanned(last: str) -> PageLayout:
        row = Line(100, [Piece("2.重复申请", (0, 100, 90, 120)), Piece("394", (100, 100, 130, 120))], 0)
        return PageLayout([Line(80, [Piece("7", (0, 80, 10, 95))]), row, Line(900, [Piece(last, (0, 900, 20, 915))])])

    text, _, _ = render_layouts([scanned("4"), scanned("-4"), scanned("—3—"), scanned("2026年1月20日")])
    assert text.splitlines() == ["7", "2.重复申请\t394"] * 3 + ["7", "2.重复申请\t394", "2026年1月20日"]


def test_a_number_whose_crop_holds_a_stretch_of_rule_stays_a_number(monkeypatch):
    """A crop of a several-digit number can take in a stretch of the table's rule above it, a stroke longer than
    the digits' ink: the number is never turned into the zero marker."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np  # comes with the ocr extra

    gray = np.full((60, 300), 255, np.uint8)
    gray[16:20, 0:300] = 0  # the table's rule, just above the cell's text box
    for x in range(40, 100, 10):  # six thin, faint digits: less ink than the stretch of rule
        gray[26:32, x : x + 1] = 0
    piece = ocr.grid.Piece("528056", (40, 21, 100, 36))
    page = ocr.grid.PageLayout([ocr.grid.Line(0, [piece], 0)], [[[""] * 4]])
    monkeypatch.setattr(ocr, "_recognise", lambda images, *_, **__: [("528056", 0.9)])
    ocr.confirm(gray, page)
    assert (piece.text, piece.agreed) == ("528056", True)


def _drawn(text: str, size: int = 30, pad: int = 6):
    """`text` drawn in the scanned layout's CJK font, grayscale, as a crop of a 200-dpi page."""
    import numpy as np
    from nianbao.eval.damage import cjk_font_file
    from PIL import Image, ImageDraw, ImageFont

    found = cjk_font_file()
    if found is None:
        pytest.skip("fonts-wqy-zenhei is not installed")
    font = ImageFont.truetype(str(found), size)
    x0, top, x1, bottom = font.getbbox(text)
    image = Image.new("L", (x1 - x0 + 2 * pad, bottom - top + 2 * pad), 255)
    ImageDraw.Draw(image).text((pad - x0, pad - top), text, font=font, fill=0)
    return np.asarray(image)


def _zeros_page(ocr, widths: list[int], text: str = "0", margin: int = 0):
    """A page of tables `widths` units wide, each one row of lone `text`s drawn as a scan prints them, small, each
    in a text box `margin` pixels wider than its ink on every side."""
    import numpy as np

    drawn = _drawn(text, size=20, pad=1)
    h, w = drawn.shape
    gray = np.full((60 * len(widths), 1600), 255, np.uint8)
    lines = []
    for t, width in enumerate(widths):
        pieces = []
        for j in range(1, width):
            x, y = 150 * j, 60 * t + 20
            gray[y : y + h, x : x + w] = np.minimum(gray[y : y + h, x : x + w], drawn)
            pieces.append(ocr.grid.Piece(text, (x - margin, y - margin, x + w + margin, y + h + margin)))
        lines.append(ocr.grid.Line(60 * t, pieces, t))
    return gray, ocr.grid.PageLayout(lines, [[[""] * width] for width in widths])


def test_table_2s_lone_zeros_agree_on_a_second_reading_and_identity_tables_are_not_read_again(monkeypatch):
    """Table 二 has no identity: an all-zero table 二 stands only where the second reading of each "0" agrees (read
    packed side by side, a strip of lone "0"s came out as nothing). A wide table's cells (三, 四), which
    identities check, are not read a second time, and their ones read as a ring ("O" for a small "0") are "0"."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    gray, page = _zeros_page(ocr, [4, 4, 2, 2, 2, 2, 9])
    recognise, read = ocr._recognise, []
    monkeypatch.setattr(
        ocr, "_recognise", lambda images, *a, **k: read.append(len(images)) or recognise(images, *a, **k)
    )
    ocr.confirm(gray, page)
    narrow, wide = [p for line in page.lines[:-1] for p in line.pieces], page.lines[-1].pieces
    assert [p.agreed for p in narrow] == [True] * 10 and not any(p.agreed for p in wide)
    assert read == [10]
    gray, page = _zeros_page(ocr, [9], "O")
    ocr.confirm(gray, page)
    assert [(p.text, p.agreed) for p in page.lines[0].pieces] == [("0", False)] * 8


def test_a_lone_zero_in_a_loose_text_box_agrees_on_its_second_reading():
    """Detection at 120 dpi draws a lone "0"'s box with about 9 pixels of white about its ink; the second reading is
    cut to the ink inside the box, the same cut as from a tight box (cut to the box, a bench page's lone "0" in
    white read as "." and its table 二 row never agreed)."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    gray, page = _zeros_page(ocr, [4, 4, 2, 2], margin=9)
    tight = _zeros_page(ocr, [4, 4, 2, 2])[1]
    binary = ocr._binary(gray)
    for loose, ink in zip(page.lines, tight.lines, strict=True):  # the same view of the ink, however loose the box
        for a, b in zip(loose.pieces, ink.pieces, strict=True):
            assert ocr.np.array_equal(ocr._second_image(gray, binary, a.bbox), ocr._second_image(gray, binary, b.bbox))
    ocr.confirm(gray, page)
    assert [(p.text, p.agreed) for line in page.lines for p in line.pieces] == [("0", True)] * 8


def test_number_cells_read_in_runs_each_come_back_to_their_own_crop():
    """The second reading sorts crops by width into runs of several batches, yet each reading comes back to its
    own crop, and a crop wider than a run is read whole."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    numbers = ["528056", "0", "17", "3", "90210", "4", "66", "0", "1024", "7"] * 4 + ["1234567890" * 5]
    crops = [_drawn(n, pad=2) for n in numbers]
    assert sum(max(c.shape[1] * 48 // c.shape[0], 320) for c in crops) > ocr.READ_PIXELS  # several runs
    assert [text for text, _ in ocr._recognise(crops, ocr._number_columns())] == numbers


def test_a_digit_sized_lone_mark_is_read_as_a_number_cell():
    """A lone ring read on its own can come out as a letter or a full stop; decoded over a number cell's
    characters it is "0". Only a crop marked a digit's size is read again so; the others keep their reading."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    rings = [_drawn(c) for c in ("0", "o", "O", "○")]
    assert [t for t, _ in ocr._recognise(rings, ocr._number_columns())] == ["0"] * 4
    read = [("0", 0.9), ("o", 0.8), ("。", 0.7), ("○", 0.6)]
    again = ocr._read_marks(rings, read, [True, True, True, False])
    assert [t for t, _ in again] == ["0", "0", "0", "○"]


def test_a_line_across_a_band_cut_is_detected_once():
    """Detection runs in overlapping bands; a line of text lying across the cut between two bands, or wholly in
    their overlap, is one box, as is every other line."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np

    page = np.full((1500, 900), 255, np.uint8)
    height = ocr.BAND_ROWS + 100  # two bands at the detection scale; their cut lies near the middle
    page = page[:height]
    count = -(-height // ocr.BAND_ROWS)
    rows = -(-height // count) + 2 * ocr.BAND_OVERLAP
    cut = (rows + (height - rows)) / 2
    tops = [40, 200, int(cut) - 12, int(cut) + 30, height - 80]
    for top in tops:
        text = _drawn("政府信息公开申请数量 12345", size=20)
        page[top : top + text.shape[0], 50 : 50 + text.shape[1]] = text
    quads = sorted(ocr.detect(page), key=lambda quad: quad[:, 1].mean())
    assert len(quads) == len(tops)
    for quad, top in zip(quads, tops, strict=True):  # each line whole: its box spans the ink's full height
        assert quad[:, 1].min() <= top + 6 + 2 and quad[:, 1].max() >= top + text.shape[0] - 6 - 2


def test_a_crop_shorter_than_a_line_of_text_is_padded_as_the_model_was_trained():
    """A dash's crop is short, so at the model's height it is as wide as three digits; only a crop a line of text
    tall is padded to its own width. Padded so, a dash read as "1" (a generated report's "—" as "cea.")."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    dash = _drawn("－", pad=3)
    assert 48 * dash.shape[1] / dash.shape[0] >= ocr.OWN_WIDTH
    assert ocr._read([dash], [False])[0][0] in ocr.DASHES


def test_a_band_detected_from_its_gray_levels_gives_rapidocrs_own_boxes():
    """Detection normalises a gray band once, by lookup, instead of RapidOCR's arithmetic over three channels; the
    boxes are RapidOCR's own, to the pixel."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    import numpy as np

    band = np.full((300, 700), 255, np.uint8)
    for top, text in ((20, "政府信息公开申请数量"), (120, "528056"), (200, "本年新收 0 17 3")):
        drawn = _drawn(text, size=24)
        band[top : top + drawn.shape[0], 40 : 40 + drawn.shape[1]] = drawn
    own, _ = ocr._engine().text_det(ocr.cv2.cvtColor(band, ocr.cv2.COLOR_GRAY2BGR))
    assert len(own) >= 3 and np.array_equal(np.asarray(own), np.asarray(ocr._detect_band(band)))


def test_first_readings_run_in_small_batches_of_like_width_and_keep_their_crop(monkeypatch):
    """Crops read on their own are sorted by width into runs of at most READ_PIXELS columns at the model's height
    (the CPU a column grows with a batch's buffers), and each reading goes back to its own crop. A crop of one or
    two digits is padded to the model's 320 columns (padded less, a lone "0" reads as "o" or nothing); a wider one
    only to its own width, and reads as it does padded to 320."""
    ocr = pytest.importorskip("nianbao.ingest.ocr", reason="the ocr extra: pip install '.[ocr]'")
    texts = [
        "0",
        "17",
        "本年新收政府信息公开申请数量",
        "528056",
        "3",
        "依申请公开",
        "90210",
        "行政复议",
        "4",
        "66",
    ]
    texts += ["1024", "31415", "2718", "161803", "14142", "173205", "22360", "9999", "70711", "12345"]
    crops = [_drawn(t) for t in texts]
    rec = ocr._engine().text_rec
    session, batches = rec.session, []

    def spy(batch):
        batches.append(batch.shape)
        return session(batch)

    monkeypatch.setattr(rec, "session", spy)
    assert [text for text, _ in ocr._read(crops, [True] * len(crops))] == texts
    assert len(batches) > 1 and all(n * width <= ocr.READ_PIXELS for n, _, _, width in batches)
    natural = [48 * c.shape[1] / c.shape[0] for c in crops]
    padded_less = sum(n for n, _, _, width in batches if width < 320)
    assert padded_less == sum(ocr.OWN_WIDTH <= w < 320 for w in natural) > 0
    monkeypatch.setattr(rec, "session", session)
    assert [text for text, _ in rec([ocr.cv2.cvtColor(c, ocr.cv2.COLOR_GRAY2BGR) for c in crops])[0]] == texts
