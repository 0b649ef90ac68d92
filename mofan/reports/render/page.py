"""The GB/T 9704-2012 page both official-document renderers lay out (the .docx and the PDF):
the A4 page and its margins (5.2), the 22 × 28 grid (5.2.4), the type sizes of each element and
the signature's indents (7.3.5.2). See `docx_format` for the layout clause by clause."""

from __future__ import annotations

from docx.shared import Mm

from mofan.reports import fonts
from mofan.reports.documents.common import width_em

# --- the page (GB/T 9704-2012 5.2) -------------------------------------------------------------

PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
TOP_MM = 37
BOTTOM_MM = 35
LEFT_MM = 28
RIGHT_MM = 26
TEXT_WIDTH_MM = PAGE_WIDTH_MM - LEFT_MM - RIGHT_MM  # 156
TEXT_HEIGHT_MM = PAGE_HEIGHT_MM - TOP_MM - BOTTOM_MM  # 225
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

BODY_PT = fonts.SIZES["三号"]  # 16
TITLE_PT = fonts.SIZES["二号"]  # 22
ISSUER_MAX_PT = fonts.SIZES["小初"]  # 36
PAGE_NUMBER_PT = fonts.SIZES["四号"]  # 14
IMPRINT_PT = fonts.SIZES["四号"]  # 版记
TABLE_PT = fonts.SIZES["小四"]  # tables inside a document
SHEET_PT = fonts.SIZES["五号"]  # a table exported on its own (score sheet)
ISSUER_MIN_SCALE = 60  # per cent: narrower characters look worse below this


def _twips(mm: float) -> int:
    return round(Mm(mm).twips)


TEXT_WIDTH_TWIPS = _twips(PAGE_WIDTH_MM) - _twips(LEFT_MM) - _twips(RIGHT_MM)  # 8845
# Twips are what Word stores; compute the grid from them so it matches Word's arithmetic.
LINE_PITCH_TWIPS = _twips(TEXT_HEIGHT_MM) // LINES_PER_PAGE  # 579 → 28.95 pt
LINE_PT = LINE_PITCH_TWIPS / 20
TITLE_LINE_PT = max(LINE_PT, TITLE_PT * 1.45)  # a title's lines keep their own height


def condensing(text_width_twips: int, chars: int, font_pt: float) -> int:
    """The character spacing (twentieths of a point, ≤ 0) that puts `chars` characters of
    `font_pt` on a line of the given width, and no more."""
    twentieths = 0
    while (font_pt + twentieths / 20) * chars > text_width_twips / 20:
        twentieths -= 1
    return twentieths


CHAR_SPACING = condensing(TEXT_WIDTH_TWIPS, CHARS_PER_LINE, BODY_PT)  # -5: 0.25 pt
CHAR_PITCH_PT = BODY_PT + CHAR_SPACING / 20  # 15.75 pt: 28 of them fit 442.25 pt


def addressee_line(addressee: str) -> str:
    """7.3.2: the 主送机关 ending with a full-width colon ("" without one)."""
    return addressee.rstrip("：:") + "：" if addressee else ""


def signature_indents(signature: str, date: str, *, sealed: bool = False) -> tuple[float, float]:
    """Right indents (in characters) of the signature and the date.

    Sealed (GB/T 9704-2012 7.3.5.1, a document issued under the red head and stamped): the date
    four characters from the right, the signature centred on the date above it (flush right
    when it is too long for that). Unsealed (7.3.5.2): the signature two characters from the
    right, the date starting two characters right of the signature's first character."""
    sig_em, date_em = width_em(signature), width_em(date)
    if sealed:
        return max(0.0, 4 + (date_em - sig_em) / 2), 4.0
    if not signature:
        return 0.0, 2.0
    if date_em <= sig_em - 2:
        return 2.0, sig_em - date_em
    return 4 + date_em - sig_em, 2.0
