"""What the committee hands to a unit: its one-time links as xlsx and its A4 QR poster as PDF.
The QR code is drawn here (qrcode, SVG as a data URI); nothing is fetched."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence

import qrcode
import qrcode.image.svg
from django.template.loader import render_to_string
from openpyxl import Workbook

from mofan.core.xlsx import keep_text


def qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=20)
    stream = io.BytesIO()
    image.save(stream)
    return "data:image/svg+xml;base64," + base64.b64encode(stream.getvalue()).decode()


def poster_pdf(*, title: str, unit_name: str, url: str, period: str) -> bytes:
    """An A4 poster: the survey's title, the unit, the period, the QR code and the link."""
    from weasyprint import HTML  # imported late: it loads Pango

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    html = render_to_string(
        "surveys/poster.html",
        {
            "title": title,
            "unit_name": unit_name,
            "url": url,
            "period": period,
            "qr": qr_data_uri(url),
        },
    )
    stream = io.BytesIO()
    HTML(string=html, base_url=None).write_pdf(stream)
    return stream.getvalue()


def links_xlsx(*, title: str, unit_name: str, urls: Sequence[tuple[str, bool]]) -> bytes:
    """The unit's one-time links, one a row, with whether each is used."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "一次性链接"
    sheet.append([f"{title}（{unit_name}）"])
    sheet.append(["序号", "链接", "状态"])
    for number, (url, used) in enumerate(urls, start=1):
        sheet.append([number, url, "已使用" if used else "未使用"])
    sheet.column_dimensions["B"].width = 80
    keep_text(sheet)  # a title typed as "=..." stays text
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
