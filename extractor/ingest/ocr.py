"""Scanned pages through OCR (the `ocr` extra): page image → deskew → ruled lines and text boxes → grid.

RapidOCR (rapidocr-onnxruntime) ships the PP-OCRv4 Chinese detection and recognition models inside
its wheel, so nothing is downloaded at run time. Ruled lines are found by morphology on the
binarised image (OpenCV, which RapidOCR depends on); the table grid is then rebuilt by
`nianbao.ingest.grid` exactly as for a PDF's text layer, and every text box keeps its OCR confidence.
Importing this module fails with ImportError when the extra is not installed.
"""

from __future__ import annotations

import ctypes
import io
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import rapidocr_onnxruntime
from nianbao.ingest import grid
from rapidocr_onnxruntime import RapidOCR

RENDER_DPI = 200  # scanned PDF pages are rendered at this resolution
# text is detected at 150 dpi: at 120 dpi detection took 0.27 CPU-s a page less, but drew looser boxes about lone
# digits and missed 21 of 686; reading those again cost more than it saved (at 100 dpi short values went missing)
DETECT_SCALE = 0.75
MAX_PAGE_PIXELS = 40_000_000  # an image page larger than this is refused, not decoded (decompression bombs)
MAX_PAGES = 200
MIN_LINE = 40  # pixels: a ruled line is at least this long (a CJK stroke at 10 pt, 200 dpi, is shorter)


class ImageError(ValueError):
    """An image page that cannot be read; the message is one line."""


# onnxruntime threads per session: batch workers are processes, one per core, so each takes its one core's
# share; more threads than that only spin against the other workers (CPU-seconds spent, no page read sooner).
THREADS = 1


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return None


def _trim() -> None:
    """Freed model buffers handed back to the system (glibc keeps them in the heap, and the next stage's
    buffers pile on top of them: a page's peak RSS was ~150 MiB higher without)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@cache
def _engine() -> RapidOCR:
    """One session per process. Upright pages: no angle classifier; the whole 200-dpi page is detected (no
    downscaling to 2000 px). Recognition runs the session directly (`_read`, `_recognise`), with onnxruntime's
    memory arena (RapidOCR turns it off): its batches are at most READ_PIXELS columns, so the arena stays small,
    and it read the same 700 crops in a fourteenth less CPU."""
    engine = RapidOCR(
        use_cls=False,
        max_side_len=4000,
        print_verbose=False,
        intra_op_num_threads=THREADS,
        inter_op_num_threads=1,
        det_limit_side_len=32,  # a band is detected at its own size (the default enlarges any side under 736)
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = THREADS, 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 4
    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    for holder, name in ((engine.text_rec.session, "rec"), (engine.text_det.infer, "det")):
        model = models / f"ch_PP-OCRv4_{name}_infer.onnx"
        holder.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return engine


@cache
def _number_columns(separators: bool = True) -> np.ndarray:
    """The recogniser's output columns a number cell may read: blank, digits, dashes and (`separators`) "," and "."."""
    chars = _engine().text_rec.postprocess_op.character
    allowed = NUMBER_CHARS if separators else NUMBER_CHARS - {",", "."}
    return np.array([0] + [i for i, c in enumerate(chars) if c in allowed])


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
        x, y, w, h = stats[label, :4]
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == label)
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


# Detection's memory grows with the pixels it is given (an A4 page at 150 dpi: about 380 MiB at its peak), so a
# taller page is detected in bands of equal height (one memory plan serves them all) that overlap by more than
# a line of text: each line is kept from the band that holds its centre's side of the cut.
BAND_ROWS = 640  # at most this many rows a band, at the detection scale
BAND_OVERLAP = 48  # rows each side of a cut: two lines of 10-point text at 150 dpi


@cache
def _det_levels() -> np.ndarray:
    """Detection's input for each gray level, as RapidOCR computes it (float64, then float32): a lookup, not its
    arithmetic over three float64 channels (a tenth of a CPU-second a page)."""
    det = _engine().text_det
    levels = np.arange(256, dtype=np.float32)[:, None] * (1 / 255.0)
    return ((levels - det.mean) / det.std).astype(np.float32)[:, 0]


def _detect_band(gray: np.ndarray) -> np.ndarray | None:
    """RapidOCR's `text_det` of a grayscale band (its resize, model and box post-processing), the band's three
    equal channels normalised once by lookup: the same boxes."""
    det = _engine().text_det
    resized = det.get_preprocess(max(gray.shape)).resize(gray)
    if resized is None:
        return None
    plane = _det_levels()[resized]
    preds = det.infer(np.ascontiguousarray(np.broadcast_to(plane, (1, 3, *plane.shape))))[0]
    quads, _ = det.postprocess_op(preds, gray.shape)
    return det.filter_tag_det_res(quads, gray.shape)


def detect(image: np.ndarray) -> np.ndarray:
    """Text quadrilaterals of a grayscale image (n × 4 × 2, float32), detected band by band."""
    height = image.shape[0]
    count = -(-height // BAND_ROWS)
    rows = min(height, -(-height // count) + 2 * BAND_OVERLAP)
    starts = [round(i * (height - rows) / (count - 1)) for i in range(count)] if count > 1 else [0]
    cuts = [0.0] + [(end + start) / 2 for end, start in zip((s + rows for s in starts), starts[1:], strict=False)]
    cuts.append(float(height))
    found = []
    for k, start in enumerate(starts):
        quads = _detect_band(image[start : start + rows])
        for quad in [] if quads is None else quads:
            quad = np.asarray(quad, dtype=np.float32) + np.array([0, start], dtype=np.float32)
            if cuts[k] <= quad[:, 1].mean() < cuts[k + 1]:
                found.append(quad)
    _trim()
    return np.asarray(found, dtype=np.float32).reshape(-1, 4, 2)


def text_boxes(gray: np.ndarray) -> list[grid.Box]:
    """OCR's text lines with their boxes (axis-aligned hull of the detected quadrilateral) and confidence.

    Text is found at DETECT_SCALE of the page (detection was half the time and most of the memory, and
    grows with the pixels) and each line recognised from the full-resolution page.
    """
    engine = _engine()
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    small = cv2.resize(gray, None, fx=DETECT_SCALE, fy=DETECT_SCALE, interpolation=cv2.INTER_AREA)
    quads = detect(small)
    if not len(quads):
        return []
    quads = engine.sorted_boxes(quads / DETECT_SCALE)
    crops = [cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for c in engine.get_crop_img_list(image, quads)]
    typical = float(np.median([c.shape[0] for c in crops]))
    tall = [c.shape[0] >= MARK_HEIGHT * typical for c in crops]
    read = _read_marks(crops, _read(crops, tall), tall)
    boxes = []
    for quad, (text, score) in zip(quads, read, strict=True):
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
# What a number cell may read: digits, separators and dashes (the second reading decodes over these alone).
NUMBER_CHARS = frozenset("0123456789,.") | DASHES
# What recognition makes of a lone ring or a thin mark out of context: where such a crop is a digit's size it is
# read over the digits and dashes (a "0", or nothing), since a digit-sized mark alone in its box is a number cell.
LONE_MARKS = frozenset("oO○\u3007。.·°")  # \u3007: the ideographic zero
MARK_HEIGHT = 0.6  # of the page's typical text box: a detected box at least this tall is a digit's size
MARK_INK = 0.4  # of the typical text box: ink at least this tall is (a digit's ink is about half the box)
SECOND_SCALE = 1.5  # the second reading of a cell: its crop at this scale, binarised
HYPHEN = 3  # pixels: a hyphen's ink at 200 dpi is at most this tall (a digit's is about 14)


def dash_shape(binary: np.ndarray) -> bool:
    """The ink of a crop of the page (binarised, ink non-zero) is one horizontal stroke, whatever recognition read.

    Its largest connected piece is at least 2.5 times as wide as tall, or a short stroke (a hyphen at 200 dpi,
    blurred: 3 to 5 pixels wide, 2 tall) wider than tall and at most `HYPHEN` pixels tall; it fills most of its
    own box (a stroke, not an outline) and holds nearly all the ink (a scan's specks aside): "二" or "1" is no
    dash, nor is a full stop (as tall as wide). Gaps of a pixel or two along a line are closed first: a faint dash
    binarised comes apart in pieces side by side.
    """
    closed = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    if count < 2:
        return False
    areas = stats[1:, cv2.CC_STAT_AREA]
    _, _, width, height, area = stats[1 + int(np.argmax(areas))]
    stroke = (width >= 5 and width >= 2.5 * height) or (width >= 3 and width > height and height <= HYPHEN)
    return stroke and area >= 0.5 * width * height and area >= 0.8 * areas.sum()


# Packed recognition lays crops side by side in strips (a crop a digit wide alone is padded to the model's
# 320-pixel minimum, six times its ink); a crop too long for a strip is a strip of its own. Strips of like width
# are run together, and each crop's text is decoded from the frames over its own stretch of the strip.
# Crops of `_read` and `_recognise` run together, at the model's height (48): rows × width at most this. The CPU a
# column grows with a batch's buffers: the lone marks of two bench reports took 3.1 CPU-s in runs of 7680, 1.6 in 1920.
READ_PIXELS = 1920


def _ctc(best: np.ndarray, confidence: np.ndarray, chars: list[str], allowed: np.ndarray | None) -> tuple[str, float]:
    """Greedy CTC over a crop's frames (repeats merged, blanks dropped): its text and mean confidence."""
    keep = np.append(True, best[1:] != best[:-1]) & (best != 0)
    ids = best[keep] if allowed is None else allowed[best[keep]]
    return "".join(chars[i] for i in ids).strip(), float(confidence[keep].mean()) if keep.any() else 0.0


def _read(images: list[np.ndarray], tall: list[bool]) -> list[tuple[str, float]]:
    """RapidOCR's own recognition (its resize, normalisation and decoder) of grayscale crops, in runs of like
    width: a run is one batch, padded to its widest crop, of at most READ_PIXELS columns. RapidOCR's own batches
    are a count of crops (16 wide lines made buffers of 30,000 columns), and the CPU a column grows with the
    batch's buffers: on the same 686 crops, 22.0 CPU-seconds in batches of 16, 18.9 in runs of 7680 columns,
    11.5 in runs of 1920, with the same readings. A crop a line of text tall (`tall`) and at least `OWN_WIDTH`
    columns wide at the model's height is padded only to its own width; any other, to the model's least (320),
    and no run holds both. A dash's crop is short and, at the model's height, wide: padded to its own width, a
    "—" read as "cea." or "ee"."""
    rec = _engine().text_rec
    _, height, least = rec.rec_image_shape
    natural = [height * i.shape[1] / max(i.shape[0], 1) for i in images]
    widths = [w if w >= OWN_WIDTH and line else max(w, least) for w, line in zip(natural, tall, strict=True)]
    found: list[tuple[str, float]] = [("", 0.0)] * len(images)
    for run in _runs(widths, least):
        ratio = widths[run[-1]] / height
        batch = np.stack([rec.resize_norm_img(cv2.cvtColor(images[k], cv2.COLOR_GRAY2BGR), ratio) for k in run])
        for k, (text, score) in zip(run, rec.postprocess_op(rec.session(batch)[0]), strict=True):
            found[k] = (text.strip(), float(score))
    _trim()
    return found


def _runs(widths: list[float], least: int) -> list[list[int]]:
    """Crops (by their padded widths) in runs of like width, narrowest first: a run is one batch, padded to its
    widest crop, of at most READ_PIXELS columns, and a run padded to the model's least width (320) takes no crop
    that reads padded less."""
    runs: list[list[int]] = []
    for k in sorted(range(len(widths)), key=widths.__getitem__):
        if not runs or (len(runs[-1]) + 1) * widths[k] > READ_PIXELS or widths[runs[-1][0]] < least <= widths[k]:
            runs.append([])
        runs[-1].append(k)
    return runs


# A crop at least this many columns wide at the model's height (three digits and more, any line of text) is padded
# only to its own width: on the bench's 1369 crops it read the same as padded to 320, but for "（" or "）" read
# half-width, and recognition took a sixth less. A narrower one (a lone digit or two) is padded to the model's 320:
# padded less, a lone "0" read as "o" or nothing.
OWN_WIDTH = 96


def _read_marks(images: list[np.ndarray], read: list[tuple[str, float]], marks: list[bool]) -> list[tuple[str, float]]:
    """`read` with each crop marked a digit's size and read as a lone mark (`LONE_MARKS`) read again over the
    digits and dashes: a lone "0" out of context comes out as "o", "。" or ".", and a number cell holds none."""
    again = [k for k, ((text, _), mark) in enumerate(zip(read, marks, strict=True)) if mark and text in LONE_MARKS]
    found = list(read)
    for k, reading in zip(again, _recognise([images[k] for k in again], _number_columns(False)), strict=True):
        found[k] = reading
    return found


def _recognise(images: list[np.ndarray], columns: np.ndarray | None = None) -> list[tuple[str, float]]:
    """Recognition alone (no detection) of grayscale crops, decoded over the recogniser's output `columns`
    (`_number_columns`): each crop's text and score.

    Each crop is read on its own, padded as the model was trained (to at least 320 pixels, in the mid-gray the
    model reads as nothing): packed side by side in strips, a lone "0" among white gaps read as nothing or "。"
    about one time in ten.
    """
    rec = _engine().text_rec
    _, height, least = rec.rec_image_shape
    scaled = [cv2.resize(i, (max(1, round(i.shape[1] * height / max(i.shape[0], 1))), height)) for i in images]
    widths = [i.shape[1] for i in scaled]
    padded = [max(w, least) for w in widths]
    chars = rec.postprocess_op.character
    found: list[tuple[str, float]] = [("", 0.0)] * len(images)
    for run in _runs(padded, least):
        width = -(-padded[run[-1]] // 8) * 8
        batch = np.zeros((len(run), height, width), dtype=np.float32)  # mid-gray
        for row, k in enumerate(run):
            batch[row, :, : widths[k]] = scaled[k] / 127.5 - 1
        probs = rec.session(np.repeat(batch[:, None], 3, axis=1))[0]
        if columns is not None:
            probs = probs[:, :, columns]
        for row, k in enumerate(run):
            found[k] = _ctc(probs[row].argmax(axis=1), probs[row].max(axis=1), chars, columns)
    _trim()
    return found


def _second_image(gray: np.ndarray, binary: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """A cell's ink cut out, enlarged and binarised: another view of it than the page's own.

    The cut is the ink's own box inside the text box, 2 pixels about it, wherever detection drew the box: a lone
    "0" with 4 pixels about it read as "." or nothing one time in twenty, with 2 one in 250, and a box detected
    at 120 dpi leaves 9 pixels about it."""
    x0, top, x1, bottom = (round(v) for v in bbox)
    ys, xs = np.nonzero(binary[top:bottom, x0:x1])
    if len(ys):
        x0, top, x1, bottom = x0 + xs.min(), top + ys.min(), x0 + xs.max() + 1, top + ys.max() + 1
    pad = 2
    crop = gray[max(top - pad, 0) : bottom + pad, max(x0 - pad, 0) : x1 + pad]
    large = cv2.resize(crop, None, fx=SECOND_SCALE, fy=SECOND_SCALE, interpolation=cv2.INTER_CUBIC)
    return cv2.threshold(large, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def _rules(binary: np.ndarray) -> np.ndarray:
    """The page's ruled lines, grown by 2 pixels: a scanned rule's ragged edge is broken into pieces shorter than a
    rule, which the line mask leaves behind. A text box drawn round a dash can take in the cell's rule below it
    (read "二" or "一一"), and the stretch of rule is no ink of the cell."""
    rules = _line_mask(binary, horizontal=True) | _line_mask(binary, horizontal=False)
    return cv2.dilate(rules, np.ones((5, 5), np.uint8))


def _own_ink(gray: np.ndarray, rules: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """A text box's ink binarised on its own (Otsu over the crop, the rules left out): a faint dash lies above the
    page's threshold, which leaves a few specks of it."""
    x0, top, x1, bottom = (round(v) for v in bbox)
    pad = 2
    window = np.s_[max(top - pad, 0) : bottom + pad, max(x0 - pad, 0) : x1 + pad]
    own = cv2.threshold(gray[window], 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1]
    return cv2.subtract(own, rules[window])


def _ink(binary: np.ndarray, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """The page's ink in and just about a text box (a box drawn round a hyphen's ink may clip its blurred ends)."""
    x0, top, x1, bottom = (round(v) for v in bbox)
    pad = 2
    return binary[max(top - pad, 0) : bottom + pad, max(x0 - pad, 0) : x1 + pad]


def _digits(text: str) -> str:
    return re.sub(r"[,，\s]", "", text)


# Units across: table 二's grid (a label and at most three counts) is this narrow, tables 三 and 四 (eight columns and
# more) are wider. A value no identity checks (table 二's) needs a second reading to stand; one an identity checks
# stands by the identity alone, so only the narrow tables' number cells are read a second time.
NARROW = 5
# What recognition makes of a lone "0" printed small (too small for the lone-mark reading of `text_boxes`), or
# blurred into a rounded box ("D", "口"): no number cell holds one alone.
RINGS = frozenset("oO○\u3007°D口")
DIGIT_INK = 0.8  # of the page's number cells' ink height: a lone mark this tall is a digit's size (a full stop: 1/3)


def _latin(text: str) -> bool:
    """A short reading of Latin letters and signs with no digit ("un.", "wiwi"): what recognition makes of a faint
    mark (a header cell's few CJK characters are none)."""
    return len(text) <= 6 and text.isascii() and not any(ch.isdigit() for ch in text)


def _mark(text: str) -> bool:
    """What recognition makes of a lone mark: one character, or a short Latin reading."""
    return len(text) == 1 or _latin(text)


def _ink_height(ink: np.ndarray) -> int:
    rows = np.nonzero(ink.any(axis=1))[0]
    return int(rows[-1] - rows[0] + 1) if len(rows) else 0


def confirm(gray: np.ndarray, page: grid.PageLayout) -> None:
    """Number cells of the page's tables checked against their ink: the zero marker from the ink's shape, and a
    second reading of the narrow tables' cells (table 二's) from their crops at another scale and binarisation:
    a cell whose two readings agree is `agreed` (evidence for its value).

    A cell read as one character or as dashes whose ink on the page is a dash (`dash_shape`) is the zero marker "—"
    whatever it was read as ("一", "ー", or a hyphen read "1", "=" or "*"), agreed where the first or the second
    reading is a dash as well; so is a short Latin reading with no digit ("un.", "wiwi") over a dash's ink, judged on
    the crop's own binarisation where the page's leaves a faint dash in specks. A dash
    reading over other ink stays as read, unagreed. A table cell read as a ring ("O" for a small "0"), or as a lone
    mark (`LONE_MARKS`: "。") whose ink is a digit's height, is read again over the digits, and takes that reading,
    unagreed: the two readings differ. Each crop is read on its own: packed side by side, a strip of lone "0"s read
    as nothing.
    """
    narrow = {t for t, rows in enumerate(page.grids) if rows and len(rows[0]) <= NARROW}
    pieces = [
        (line.table in narrow, piece)
        for line in page.lines
        if line.table is not None
        for piece in line.pieces
        if piece.text.strip()
        and (_NUMBER.fullmatch(piece.text) or set(piece.text.strip()) <= DASHES or _mark(piece.text.strip()))
    ]
    binary = _binary(gray)
    rules = _rules(binary)
    binary = cv2.subtract(binary, rules)
    heights = [_ink_height(_ink(binary, piece.bbox)) for _, piece in pieces]
    digits = [h for h, (_, piece) in zip(heights, pieces, strict=True) if _digits(piece.text).isdigit()]
    digit = DIGIT_INK * float(np.median(digits)) if digits else float("inf")
    rings = {
        k
        for k, (_, piece) in enumerate(pieces)
        if piece.text.strip() in RINGS or (piece.text.strip() in LONE_MARKS and heights[k] >= digit)
    }
    again = [k for k, (twice, _) in enumerate(pieces) if twice and k not in rings]
    second = {}
    for read, separators in ((again, True), (sorted(rings), False)):  # a lone mark is a digit, never a "." or ","
        if not read:
            continue
        images = [_second_image(gray, binary, pieces[k][1].bbox) for k in read]
        second.update(zip(read, _recognise(images, _number_columns(separators)), strict=True))
    for k, (_, piece) in enumerate(pieces):
        first, (text, _) = piece.text.strip(), second.get(k, ("", 0.0))
        # a dash however it was read (a hyphen read "1", "=" or "*" is no number); a reading of several digits
        # is never one: its crop may hold a stroke longer than the digits' ink
        if (_mark(first) or set(first) <= DASHES) and (
            dash_shape(_ink(binary, piece.bbox)) or (_latin(first) and dash_shape(_own_ink(gray, rules, piece.bbox)))
        ):
            piece.text = "—"  # agreed where a recognition read a dash too: two readings of the ink, one its shape
            piece.agreed = set(first) <= DASHES or (bool(text) and set(text) <= DASHES)
        elif k in rings:
            piece.text = text if _digits(text).isdigit() else piece.text
        elif k in second and _NUMBER.fullmatch(first):
            piece.agreed = _digits(text) == _digits(first)


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
    typical = float(np.median([b.bottom - b.top for b in boxes])) if boxes else float("inf")
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
    marks = [bottom - top >= MARK_INK * typical for _, top, _, bottom, _ in inks]
    found = []
    for (x0, top, x1, bottom, dash), (text, score) in zip(
        inks, _read_marks(patches, _read(patches, marks), marks), strict=True
    ):
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
