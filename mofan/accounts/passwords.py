"""Password rules (GB/T 22239-2019 level 3; OWASP ASVS 2.1) and random initial passwords."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.contrib.auth.password_validation import (
    CommonPasswordValidator as DjangoCommonPasswordValidator,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LENGTH = 128


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes)


class LengthValidator:
    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码至少需要 %(n)d 个字符。"),
                code="password_too_short",
                params={"n": self.min_length},
            )
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("密码不能超过 %(n)d 个字符。"), code="password_too_long", params={"n": MAX_LENGTH}
            )

    def get_help_text(self) -> str:
        return _("至少 %(n)d 个字符，最多 %(m)d 个。") % {"n": self.min_length, "m": MAX_LENGTH}


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。"),
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {"n": self.min_classes}


class UsernameValidator:
    def validate(self, password: str, user: Any = None) -> None:
        username = getattr(user, "username", "") or ""
        if username and username.lower() in password.lower():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("不能包含用户名。")


class CommonPasswordValidator(DjangoCommonPasswordValidator):
    def validate(self, password: str, user: Any = None) -> None:
        try:
            super().validate(password, user)
        except ValidationError as exc:
            raise ValidationError(
                _("该密码过于常见，请换一个。"), code="password_too_common"
            ) from exc

    def get_help_text(self) -> str:
        return _("不能是常见密码。")


_SYMBOLS = "!@#$%^&*-_=+?"
_ALPHABET = "".join(c for c in string.ascii_letters if c not in "IlO") + "23456789" + _SYMBOLS


def random_password(length: int = 14) -> str:
    """A random password that satisfies every rule (all four character classes)."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if character_classes(candidate) == 4:
            return candidate
