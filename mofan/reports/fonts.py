"""Fonts of official documents (GB/T 9704-2012) and of the PDF exports.

The standard names the typefaces by their Chinese names: the title in 方正小标宋简体 (2号), the
body in 仿宋_GB2312 (3号), first-level headings in 黑体, second-level ones in 楷体_GB2312, page
numbers in 宋体 (4号). Few machines have every one of them, so each role has a fallback chain:

* In a .docx the first name of the chain is written (``w:rFonts`` ascii/hAnsi/eastAsia) so Word
  uses the standard face where the reader has it; the file's font table (``fontTable.xml``)
  records the next name as ``w:altName`` together with the family, pitch and GB2312 charset,
  which is what Word and LibreOffice use to substitute a missing face.
* In a PDF the fonts are embedded, so the chain is resolved on the server: the CSS
  ``font-family`` lists the chain and ends with the Noto CJK family installed on the machine
  (Debian ``fonts-noto-cjk``), which covers every Chinese character of the documents.

`chain(role)` gives the names, `docx_name(role)` the name written into a .docx, `css_family(role)`
the CSS list, `installed_families()` what fontconfig knows and `resolve(role)` the first name of
the chain installed here.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

FontRole = Literal["title", "body", "heading1", "heading2", "page_number", "issuer"]


@dataclass(frozen=True)
class Face:
    names: tuple[str, ...]  # the standard's name first, then the fallbacks, most faithful first
    pdf_family: str  # the installed Noto CJK family that ends the chain in a PDF
    generic: str  # CSS generic family
    weight: int = 400  # CSS weight used with the Noto family (小标宋 is a heavy Song face)
    family_class: str = "roman"  # fontTable w:family: roman (Song/Fang Song), modern (Hei)


NOTO_SERIF = "Noto Serif CJK SC"
NOTO_SANS = "Noto Sans CJK SC"


def _face(*names: str, sans: bool = False, weight: int = 400) -> Face:
    """A face whose chain ends with the Noto CJK family of its kind: Noto Serif CJK SC for the
    Song-like faces (roman), Noto Sans CJK SC for 黑体 (modern)."""
    family = NOTO_SANS if sans else NOTO_SERIF
    return Face(
        names=(*names, family),
        pdf_family=family,
        generic="sans-serif" if sans else "serif",
        weight=weight,
        family_class="modern" if sans else "roman",
    )


XIAOBIAOSONG = _face(
    "方正小标宋简体",
    "方正小标宋_GBK",
    "小标宋",
    "华文中宋",
    "STZhongsong",
    "宋体",
    "SimSun",
    weight=700,
)
FANGSONG = _face("仿宋_GB2312", "仿宋", "FangSong", "STFangsong", "华文仿宋")
HEITI = _face("黑体", "SimHei", "STHeiti", "华文黑体", sans=True)
# AR PL KaitiM GB (Debian fonts-arphic-gkai00mp, installed by scripts/system_deps.sh) is a free
# 楷体 of the GB2312 set: a PDF gets a real 楷体 for its （一） headings where the server has it.
KAITI = _face("楷体_GB2312", "楷体", "KaiTi", "STKaiti", "华文楷体", "AR PL KaitiM GB")
SONGTI = _face("宋体", "SimSun", "NSimSun", "华文宋体")

FACES: dict[str, Face] = {
    "title": XIAOBIAOSONG,
    "issuer": XIAOBIAOSONG,
    "body": FANGSONG,
    "heading1": HEITI,
    "heading2": KAITI,
    "page_number": SONGTI,
}

# Sizes of the Chinese type scale (字号) in points.
SIZES: dict[str, float] = {
    "初号": 42,
    "小初": 36,
    "一号": 26,
    "小一": 24,
    "二号": 22,
    "小二": 18,
    "三号": 16,
    "小三": 15,
    "四号": 14,
    "小四": 12,
    "五号": 10.5,
    "小五": 9,
}


def face(role: str) -> Face:
    return FACES[role]


def chain(role: str) -> tuple[str, ...]:
    """The names for a role, the standard's first."""
    return FACES[role].names


def docx_name(role: str) -> str:
    """The name written into a .docx: the standard's typeface."""
    return FACES[role].names[0]


def docx_alt_name(role: str) -> str:
    """The substitute recorded in the .docx font table for readers without the typeface."""
    return FACES[role].names[1]


def _css_quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def css_family(role: str) -> str:
    """A CSS font-family list: the chain (as installed), the Noto CJK family, the generic."""
    found = installed_families()
    entry = FACES[role]
    names = [n for n in entry.names if n in found and n != entry.pdf_family]
    names.append(entry.pdf_family)
    return ", ".join([*(_css_quote(n) for n in names), entry.generic])


def _fc_list(*args: str) -> str:
    """What fontconfig's fc-list prints for `args` ("" without fontconfig or when it fails)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ""
    try:
        return subprocess.run(
            [fc_list, *args], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


@functools.cache
def installed_families() -> frozenset[str]:
    """Family names fontconfig knows on this machine (empty without fontconfig)."""
    names: set[str] = set()
    for line in _fc_list(":", "family").splitlines():
        names.update(part.strip() for part in line.split(",") if part.strip())
    return frozenset(names)


def resolve(role: str) -> str | None:
    """The first name of the role's chain installed here (None if none is)."""
    found = installed_families()
    return next((name for name in FACES[role].names if name in found), None)


def missing_roles() -> list[str] | None:
    """The roles no installed font can play (None when fontconfig cannot be asked)."""
    if shutil.which("fc-list") is None:
        return None
    return [role for role in FACES if resolve(role) is None]


def cjk_fonts_installed() -> bool:
    """Whether the Noto CJK families the PDFs fall back to are installed."""
    found = installed_families()
    return NOTO_SERIF in found and NOTO_SANS in found


def font_files(family: str) -> list[str]:
    """The files fontconfig holds for a family (for checking glyph coverage)."""
    out = _fc_list(f"{family}", "file")
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
