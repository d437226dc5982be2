"""Scanned pages through OCR (the `ocr` extra): page image → deskew → ruled lines and text boxes → grid.

RapidOCR (rapidocr-onnxruntime) ships the PP-OCRv4 Chinese detection and recognition models inside
its wheel, so nothing is downloaded at run time. Ruled lines are found by morphology on the
binarised image (OpenCV, which RapidOCR depends on); the table grid is then rebuilt by
`nianbao.ingest.grid` exactly as for a PDF's text layer, and every text box keeps its OCR confidence.
Importing this module fails with ImportError when the extra is not installed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from functools import cache

import cv2
import numpy as np
from nianbao.ingest import grid
from rapidocr_onnxruntime import RapidOCR

RENDER_DPI = 200  # scanned PDF pages are rendered at this resolution
DETECT_SCALE = 0.75  # text is detected at 150 dpi (at 100 dpi lone short values in table 二 went missing)
MAX_PAGE_PIXELS = 40_000_000  # an image page larger than this is refused, not decoded (decompression bombs)
MAX_PAGES = 200
MIN_LINE = 40  # pixels: a ruled line is at least this long (a CJK stroke at 10 pt, 200 dpi, is shorter)


class ImageError(ValueError):
    """An image page that cannot be read; the message is one line."""


# onnxruntime threads per session: batch workers are processes, one per core, so each takes its one core's
# share; more threads than that only spin against the other workers (CPU-seconds spent, no page read sooner).
THREADS = 1


@cache
def _engine() -> RapidOCR:
    """One session per process. Upright pages: no angle classifier; the whole 200-dpi page is detected (no
    downscaling to 2000 px); crops recognised 16 to a batch."""
    return RapidOCR(
        use_cls=False,
        max_side_len=4000,
        print_verbose=False,
        intra_op_num_threads=THREADS,
        inter_op_num_threads=1,
        rec_batch_num=16,
    )


def render_pdf(pdf) -> Iterator[np.ndarray]:
    """Each page of an open pypdfium2 document as a grayscale image at RENDER_DPI."""
    for index in range(len(pdf)):
        width, height = (v * RENDER_DPI / 72 for v in pdf[index].get_size())
        if width * height > MAX_PAGE_PIXELS:
            raise ImageError(
                f"PDF page {index + 1} is {width:.0f}×{height:.0f} pixels at {RENDER_DPI} dpi, over the limit"
            )
        bitmap = pdf[index].render(scale=RENDER_DPI / 72, grayscale=True)
        image = bitmap.to_numpy()
        yield image[:, :, 0] if image.ndim == 3 else image


def open_image(data: bytes) -> Iterator[np.ndarray]:
    """Each frame of a PNG, JPEG or (multi-page) TIFF as a grayscale image."""
    from PIL import Image, UnidentifiedImageError

    too_big = ImageError(f"image page of over {MAX_PAGE_PIXELS:,} pixels (a decompression bomb?)")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:  # PIL's own limit, met in the header: refused before decoding
        raise too_big from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"unreadable image ({exc})") from None
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_PAGES:
        raise ImageError(f"image has {frames} pages, over the {MAX_PAGES}-page limit")
    for index in range(frames):
        try:
            image.seek(index)
        except Image.DecompressionBombError:
            raise too_big from None
        if image.width * image.height > MAX_PAGE_PIXELS:
            raise ImageError(
                f"image page of {image.width}×{image.height} pixels, over the {MAX_PAGE_PIXELS:,}-pixel limit"
            )
        try:
            yield np.asarray(image.convert("L"))
        except (OSError, ValueError) as exc:
            raise ImageError(f"unreadable image ({exc})") from None


def _binary(gray: np.ndarray) -> np.ndarray:
    return cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1]


def _line_mask(binary: np.ndarray, horizontal: bool) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (MIN_LINE, 1) if horizontal else (1, MIN_LINE))
    return cv2.morphologyEx(binary, cv2.MORPH_OPEN, kernel)


def skew_degrees(gray: np.ndarray) -> float:
    """The page's rotation, from the slope of its long horizontal rules (0 where it has none)."""
    mask = _line_mask(_binary(gray), horizontal=True)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    angles = []
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_WIDTH] < gray.shape[1] // 4:
            continue
        ys, xs = np.nonzero(labels == label)
        angles.append(np.degrees(np.arctan(np.polyfit(xs, ys, 1)[0])))
    return float(np.median(angles)) if angles else 0.0


def deskew(gray: np.ndarray) -> np.ndarray:
    angle = skew_degrees(gray)
    if abs(angle) < 0.05:
        return gray
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def ruled_lines(gray: np.ndarray) -> list[grid.Rule]:
    """Horizontal and vertical rules of a (deskewed) page image, as boxes in pixels."""
    binary = _binary(gray)
    rules = []
    for horizontal in (True, False):
        stats = cv2.connectedComponentsWithStats(_line_mask(binary, horizontal), connectivity=8)[2]
        for x, y, w, h, _ in stats[1:]:
            rules.append(grid.Rule(float(x), float(y), float(x + w), float(y + h)))
    return rules


def text_boxes(gray: np.ndarray) -> list[grid.Box]:
    """OCR's text lines with their boxes (axis-aligned hull of the detected quadrilateral) and confidence.

    Text is found at DETECT_SCALE of the page (detection was half the time and most of the memory, and
    grows with the pixels) and each line recognised from the full-resolution page.
    """
    engine = _engine()
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    small = cv2.resize(image, None, fx=DETECT_SCALE, fy=DETECT_SCALE, interpolation=cv2.INTER_AREA)
    quads, _ = engine.text_det(small)
    if quads is None or not len(quads):
        return []
    quads = engine.sorted_boxes(np.asarray(quads, dtype=np.float32) / DETECT_SCALE)
    boxes = []
    for quad, (text, score) in zip(quads, engine.text_rec(engine.get_crop_img_list(image, quads))[0], strict=True):
        if score < engine.text_score:
            continue
        xs, ys = quad[:, 0], quad[:, 1]
        boxes.append(
            grid.Box(text, float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)), round(float(score), 3))
        )
    return boxes


# What recognition reads for a printed dash, the zero marker ("—" read as "一" or "ー" among them).
DASHES = frozenset("—–-－一ー─_﹣\u2010\u2011")  # the last two: hyphen, non-breaking hyphen
# A number cell's text: digits (with thousands separators and a decimal point) or a dash.
_NUMBER = re.compile(r"[\d.,，\s]+")
SECOND_SCALE = 1.5  # the second reading of a cell: its crop at this scale, binarised


def dash_shape(binary: np.ndarray) -> bool:
    """The ink of a crop (binarised, ink non-zero) is one horizontal stroke, whatever recognition read.

    Its largest connected piece is at least 2.5 times as wide as tall, fills most of its own box (a
    stroke, not an outline) and holds nearly all the ink (a scan's specks aside): "二" or "1" is no dash.
    """
    count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count < 2:
        return False
    areas = stats[1:, cv2.CC_STAT_AREA]
    _, _, width, height, area = stats[1 + int(np.argmax(areas))]
    return width >= 5 and width >= 2.5 * height and area >= 0.5 * width * height and area >= 0.8 * areas.sum()


def _recognise(images: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognition alone (no detection) of grayscale crops, in batches."""
    if not images:
        return []
    result, _ = _engine().text_rec([cv2.cvtColor(i, cv2.COLOR_GRAY2BGR) for i in images])
    return [(text.strip(), float(score)) for text, score in result]


def _second_image(gray: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """A cell's text box cut out, enlarged and binarised: another view of its ink than the page's own."""
    x0, top, x1, bottom = (round(v) for v in bbox)
    pad = 4
    crop = gray[max(top - pad, 0) : bottom + pad, max(x0 - pad, 0) : x1 + pad]
    large = cv2.resize(crop, None, fx=SECOND_SCALE, fy=SECOND_SCALE, interpolation=cv2.INTER_CUBIC)
    return cv2.threshold(large, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def _digits(text: str) -> str:
    return re.sub(r"[,，\s]", "", text)


def confirm(gray: np.ndarray, page: grid.PageLayout) -> None:
    """Every number cell of the page's tables read a second time, from its crop at another scale and
    binarisation, all in one batch: a cell whose two readings agree is `agreed` (evidence for its value).

    A cell read as one character or as dashes whose ink is a dash (`dash_shape`) is the zero marker "—" whatever
    it was read as ("一", "ー", or a hyphen read "1"), agreed where the second reading is a dash as well; a dash reading over other ink stays
    as read, unagreed.
    """
    pieces = [
        piece
        for line in page.lines
        if line.table is not None
        for piece in line.pieces
        if piece.text.strip() and (_NUMBER.fullmatch(piece.text) or set(piece.text.strip()) <= DASHES)
    ]
    images = [_second_image(gray, piece.bbox) for piece in pieces]
    for piece, image, (second, _) in zip(pieces, images, _recognise(images), strict=True):
        first = piece.text.strip()
        # a dash however it was read (a hyphen read "1" by both readings is no 1); a reading of several digits
        # is never one: its crop may hold a stretch of the table's rule, a stroke longer than the digits' ink
        if (len(first) == 1 or set(first) <= DASHES) and dash_shape(255 - image):
            piece.text = "—"
            piece.agreed = bool(second) and set(second) <= DASHES
        elif not set(first) <= DASHES:
            piece.agreed = _digits(second) == _digits(first)


# Dark pixels inside a cell (its rules trimmed off) that say something is printed there: a hyphen zero
# marker at 200 dpi leaves 6-10 after blur and binarisation, an empty cell of a scan none.
INK_PIXELS = 4
# Recognition on a crop of a short stroke or a speck reads a dot: ink, but no value and no zero marker.
SPECKS = frozenset(".·,，。、'`")


def reread_empty_cells(gray: np.ndarray, boxes: list[grid.Box], tables: list) -> list[grid.Box]:
    """Table cells where detection found no text but ink is printed are read again, in one batch.

    Detection drops lone short strings (a single "0" or "1" in a row of zeros); recognition on the
    cell's own crop reads most of them. Ink shaped as a dash is a dash ("—", a zero marker) even where
    recognition reads a dot or nothing: a thin hyphen is recovered from the ink itself. A cell whose ink
    still yields no text, or only dots, gets an empty box with confidence 0, so the record can say a value
    was printed there and lost, rather than blank.
    """
    binary = _binary(gray)
    inks, patches = [], []
    for bbox in grid.empty_cells(boxes, tables):
        x0, top, x1, bottom = (round(v) for v in bbox)
        inset = 5
        crop = binary[top + inset : bottom - inset, x0 + inset : x1 - inset]
        if crop.size == 0 or int(np.count_nonzero(crop)) < INK_PIXELS:
            continue
        ys, xs = np.nonzero(crop)
        y0, y1, xa, xb = (
            top + inset + ys.min(),
            top + inset + ys.max() + 1,
            x0 + inset + xs.min(),
            x0 + inset + xs.max() + 1,
        )
        pad = 4
        inks.append((float(xa), float(y0), float(xb), float(y1), dash_shape(binary[y0:y1, xa:xb])))
        patches.append(gray[max(y0 - pad, 0) : y1 + pad, max(xa - pad, 0) : xb + pad])
    found = []
    for (x0, top, x1, bottom, dash), (text, score) in zip(inks, _recognise(patches), strict=True):
        if dash and set(text) <= SPECKS | DASHES:
            text, score = "—", max(score, 0.01)  # a reading from the ink's shape; confidence 0 would say "lost"
        elif set(text) <= SPECKS:
            text = ""
        found.append(grid.Box(text, x0, top, x1, bottom, round(score, 3) if text else 0.0))
    return found


def read_image(gray: np.ndarray) -> grid.PageLayout:
    """One page image → its lines and tables; OCR text boxes a column apart on an unruled line get a tab."""
    gray = deskew(np.ascontiguousarray(gray))
    scale = RENDER_DPI / 72
    boxes = text_boxes(gray)
    tables = grid.find_tables(ruled_lines(gray), scale)
    boxes += reread_empty_cells(gray, boxes, tables)
    heights = sorted(b.bottom - b.top for b in boxes)
    typical = heights[len(heights) // 2] if heights else 20.0
    page = grid.layout(boxes, tables, scale=scale, wide_gap=1.5 * typical)
    confirm(gray, page)
    return page
