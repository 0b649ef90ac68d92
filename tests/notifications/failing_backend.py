"""E-mail backends for tests: a server that refuses every message, and one that cannot be
reached at all."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no")})


class UnreachableBackend(BaseEmailBackend):
    def open(self) -> bool:
        raise ConnectionRefusedError("smtp.test:25")

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError("smtp.test:25")
