"""A generated .docx opens and lays out in another word processor (issue 6 point 4): LibreOffice
converts the naming notice to PDF, and page 1, rendered to an image, is an A4 page with text on
it and the red issuer at the top."""

# ruff: noqa: F811
from __future__ import annotations

import os
import shutil
import subprocess

import pypdfium2 as pdfium
import pytest

from mofan.core.exports import registry
from tests.reports.doc_fixtures import (
    DOC_DAY,
    docs,  # noqa: F401 (a fixture)
    pdf_pages_text,
    rendered,
)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="LibreOffice (soffice) is not installed; `make test` installs it",
    ),
]


def _convert(docx: bytes, tmp_path) -> bytes:
    source = tmp_path / "notice.docx"
    source.write_bytes(docx)
    out = tmp_path / "out"
    profile = tmp_path / "lo-profile"  # a private profile: no clash with a running office
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    return (out / "notice.pdf").read_bytes()


def test_libreoffice_converts_the_naming_notice(docs, tmp_path):
    export = registry.get("naming_notice")(
        campaign=docs.campaign, actor=docs.actor("committee_admin"), today=DOC_DAY
    )
    pdf_bytes = _convert(rendered(export, "docx"), tmp_path)
    pages = pdf_pages_text(pdf_bytes)
    text = "".join("".join(p.split()) for p in pages)
    assert "乙单位" in text and "丁单位" in text
    assert "2026年5月20日" in text

    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        width, height = pdf[0].get_size()
        image = pdf[0].render(scale=1).to_pil().convert("RGB")
    finally:
        pdf.close()
    assert height / width == pytest.approx(297 / 210, rel=0.01)  # A4 portrait
    image.save(tmp_path / "page1.png")
    pixels = _pixels(image)
    ink = sum(1 for r, g, b in pixels if r + g + b < 600)
    assert ink > len(pixels) * 0.005, "page 1 is blank"
    # The issuer is red, in the upper third of the page (and the rule under the number).
    w, h = image.size
    red = _red(image.crop((0, 0, w, h // 3)))
    assert red > 200
    assert _red(image.crop((0, h // 2, w, h))) < red


def _pixels(image) -> list[tuple[int, int, int]]:
    data = image.tobytes()
    return list(zip(data[0::3], data[1::3], data[2::3], strict=True))


def _red(image) -> int:
    return sum(1 for r, g, b in _pixels(image) if r > 180 and g < 90 and b < 90)
