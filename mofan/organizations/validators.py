"""Validators for codes defined by national standards."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: the 31 characters allowed (no I, O, Z, S, V) and the position weights.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(body: str) -> str:
    """The check character for the first 17 characters of a unified social credit code."""
    total = sum(
        CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """GB 32100: 18 characters from the allowed set, digits in the region code (positions
    3-8), and a valid check character. Blank is allowed by the field, never a wrong code."""
    if not value:
        return
    code = value.strip().upper()
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(n)d位。"), params={"n": len(code)}, code="length"
        )
    bad = [ch for ch in code if ch not in CREDIT_CODE_CHARSET]
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、Z、S、V）。"),
            params={"chars": "".join(dict.fromkeys(bad))},
            code="charset",
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3至8位应为行政区划码（数字）。"), code="region")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对。"), code="check")


def looks_like_phone(value: str) -> bool:
    """A search term that is a whole phone number (as validate_mobile accepts one)."""
    digits = value.strip().replace("-", "").replace(" ", "")
    return digits.isdigit() and 7 <= len(digits) <= 12


def validate_mobile(value: str) -> None:
    if not value:
        return
    digits = value.replace("-", "").replace(" ", "")
    if not digits.isdigit() or not (7 <= len(digits) <= 12):
        raise ValidationError(_("请输入有效的电话号码（手机11位或座机号码）。"), code="phone")
