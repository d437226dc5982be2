"""PDFium's substitute fonts, read once per process instead of once per document.

A PDF may name a font without embedding it (宋体, STSong-Light); PDFium then draws it with a system
font. On Linux every CJK system font is a collection (.ttc: WenQuanYi Zen Hei is 16 MiB), and PDFium
reads a collection whole for every document that needs it: its cache of collections never matches
(here), and a face is freed when the last document using it closes. That was up to a third of the time of a
bench report with such fonts.

Two changes make the face load once. PDFium gets the default system font list, except that a face of a
collection is offered as a font of its own (the whole file, whose first face FreeType opens: the face
PDFium chose itself, as the folder font list gives it no offset to pick another), which PDFium's cache
by face name keeps. And the last document read stays open until the next one has loaded its pages, so
the faces it used are still loaded when the next document asks for them.
"""

from __future__ import annotations

import atexit
import ctypes
import sys
from functools import lru_cache

_COLLECTION = 0x74746366  # the table tag 'ttcf': PDFium asks for a whole font collection with it
KEEP_OPEN_BYTES = 4 * 2**20  # a document up to this size stays open until the next one is read

_held: list = []  # the last document read (at most one)


@lru_cache(maxsize=None)
def install() -> tuple | None:
    """Give PDFium the default font list with collections offered face by face (once per process).

    Returns what PDFium calls back into for the rest of the process (kept referenced here)."""
    import pypdfium2.raw as pdfium_c

    if not sys.platform.startswith("linux"):  # measured and tested on Linux's folder font list only
        return None
    default = pdfium_c.FPDF_GetDefaultSystemFontInfo()
    if not default:
        return None
    base, kind = default.contents, dict(pdfium_c.FPDF_SYSFONTINFO._fields_)

    def font_data(_this, font, table, buffer, size):
        if table == _COLLECTION:
            return 0  # no collections: each face is a font of its own
        length = base.GetFontData(default, font, table, buffer, size)
        if table == 0 and length == 0:  # the whole font of a face in a collection: the collection's file
            return base.GetFontData(default, font, _COLLECTION, buffer, size)
        return length

    def forward(name: str):
        """The default font list's own callback `name`, called with the default list as its `this`."""
        call = getattr(base, name)
        return kind[name](lambda _this, *args: call(default, *args))

    info = pdfium_c.FPDF_SYSFONTINFO(
        version=base.version,
        Release=kind["Release"](lambda _this: None),
        GetFontData=kind["GetFontData"](font_data),
        **{
            name: forward(name)
            for name in ("EnumFonts", "MapFont", "GetFont", "GetFaceName", "GetFontCharset", "DeleteFont")
        },
    )
    pdfium_c.FPDF_SetSystemFontInfo(ctypes.byref(info))
    atexit.register(_release)  # before pypdfium2's own exit handler, which warns on stderr of a document left open
    return info, default


def hold(pdf, size: int) -> None:
    """Close the document held so far; keep `pdf` (read from `size` bytes) open in its place if it is small.

    Call it once `pdf`'s pages are loaded: the fonts they share with the previous document were found loaded."""
    _release()
    if size <= KEEP_OPEN_BYTES:
        _held.append(pdf)
    else:
        pdf.close()


def _release() -> None:
    while _held:
        _held.pop().close()
