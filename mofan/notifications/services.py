"""Writing notices. `notify` is the one entry point: other apps call it inside their own
transaction, so a notice exists exactly when the change it reports was committed. E-mail goes
out after the commit, only when an SMTP host is configured and the recipient has an address."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from mofan.accounts.models import User
from mofan.notifications.models import Notice


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str = "",
) -> list[Notice]:
    """One notice per distinct active recipient. With a `key`, a recipient who already has a
    notice under that key gets no second one (deadline reminders run daily)."""
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not users:
        return []
    if key:
        already = set(
            Notice.objects.filter(recipient_id__in=users, key=key).values_list(
                "recipient_id", flat=True
            )
        )
        users = {pk: u for pk, u in users.items() if pk not in already}
    created: list[Notice] = []
    for user in users.values():
        try:
            with transaction.atomic():
                created.append(
                    Notice.objects.create(
                        recipient=user, kind=kind, title=title, body=body, url=url, key=key
                    )
                )
        except IntegrityError:  # the same key written concurrently: one is enough
            continue
    if created and getattr(settings, "MOFAN_SMTP_HOST", None):
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: send_notice_emails(ids))
    return created


def send_notice_emails(notice_ids: list[int]) -> int:
    """Mail each notice whose recipient has an address; mark it sent. Failures are left for the
    next attempt (the notice is in-app anyway)."""
    sent = 0
    base = getattr(settings, "MOFAN_SITE_URL", "")
    for notice in Notice.objects.filter(pk__in=notice_ids, emailed_at__isnull=True).select_related(
        "recipient"
    ):
        address = notice.recipient.email
        if not address:
            continue
        link = f"\n\n{base}{notice.url}" if notice.url and base else ""
        try:
            send_mail(
                subject=f"[模范机关创建] {notice.title}",
                message=(notice.body or notice.title) + link,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[address],
            )
        except OSError:
            continue
        Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notice_mark_read(*, user: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notices read (all unread ones when no ids are given). Reading is not
    an audited business fact and is never counted anywhere."""
    qs = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())
