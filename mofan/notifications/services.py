"""Writing notices. `notify` is the one entry point: other apps call it inside their own
transaction, so a notice exists exactly when the change it reports was committed. E-mail goes
out after the commit, by a background task (`notice_email_task`, django-tasks), only when an
SMTP host is configured and the recipient has an address.

A notice names what happened and links to it; it never asks anyone to check in, take photos or
report daily (形式主义 rules)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from mofan.accounts.models import User
from mofan.core.redirects import is_site_path
from mofan.notifications.models import Notice

logger = logging.getLogger(__name__)
BATCH = 1000


def is_local_path(url: str) -> bool:
    """True for a path on this site ("/rectification/items/3/"), never for anything a browser
    could take to another host ("//evil", "/\\evil", "https://...", "javascript:...")."""
    return is_site_path(url)


def smtp_enabled() -> bool:
    return bool(getattr(settings, "MOFAN_SMTP_HOST", None))


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
    notice under that key gets no second one (deadline reminders run daily). `url` must be a
    path on this site (a notice never sends anyone elsewhere)."""
    if url and not is_local_path(url):
        raise ValueError(f"notice url must be a local path: {url!r}")
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
                        recipient=user, kind=kind, title=title[:200], body=body, url=url, key=key
                    )
                )
        except IntegrityError:  # the same key written concurrently: one is enough
            continue
    if created and smtp_enabled() and any(n.recipient.email for n in created):
        _mail_after_commit([n.pk for n in created])
    return created


@dataclass(frozen=True)
class Draft:
    """One notice to several people, for `notify_many` (a launch or a publication: one per
    unit, each with its own link)."""

    recipients: Sequence[User]
    title: str
    key: str
    body: str = ""
    url: str = ""


def notify_many(*, kind: str, drafts: Iterable[Draft]) -> int:
    """Many keyed notices of one kind at once, in a fixed number of queries per thousand (a
    campaign of 20,000 units is launched in one request): a recipient who already has a notice
    under a draft's key gets no second one. Returns how many were written; e-mail as `notify`."""
    rows: dict[tuple[int, str], Notice] = {}
    for draft in drafts:
        if not draft.key:
            raise ValueError("notify_many writes keyed notices only")
        if draft.url and not is_local_path(draft.url):
            raise ValueError(f"notice url must be a local path: {draft.url!r}")
        for user in draft.recipients:
            if user is not None and user.is_active and (user.pk, draft.key) not in rows:
                rows[user.pk, draft.key] = Notice(
                    recipient=user,
                    kind=kind,
                    title=draft.title[:200],
                    body=draft.body,
                    url=draft.url,
                    key=draft.key,
                )
    keys = sorted({key for _pk, key in rows})
    for start in range(0, len(keys), BATCH):
        for pair in Notice.objects.filter(key__in=keys[start : start + BATCH]).values_list(
            "recipient_id", "key"
        ):
            rows.pop(pair, None)
    Notice.objects.bulk_create(rows.values(), batch_size=BATCH, ignore_conflicts=True)
    if rows and smtp_enabled() and any(n.recipient.email for n in rows.values()):
        ids = [
            pk
            for start in range(0, len(keys), BATCH)
            for pk in Notice.objects.filter(
                kind=kind, key__in=keys[start : start + BATCH], emailed_at__isnull=True
            ).values_list("pk", flat=True)
        ]
        _mail_after_commit(ids)
    return len(rows)


def _mail_after_commit(ids: list[int]) -> None:
    """Hand the notices to `notice_email_task` when the transaction commits: the mail server is
    talked to by a task worker, never inside the request. Robust: a queue that cannot be written
    never turns the committed request into an error page (`retry_notice_emails` catches up)."""
    transaction.on_commit(partial(notice_email_task.enqueue, ids), robust=True)


@task()
def notice_email_task(notice_ids: list[int]) -> int:
    """Mail the given notices (`manage.py db_worker`). How many went out."""
    return send_notice_emails(notice_ids)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _message(notice: Notice, connection: BaseEmailBackend) -> EmailMessage:
    base = getattr(settings, "MOFAN_SITE_URL", "")
    lines = [notice.body or notice.title]
    if notice.url and base and is_local_path(notice.url):
        lines += ["", _("查看详情：%(link)s") % {"link": f"{base}{notice.url}"}]
    lines += [
        "",
        _("本邮件由模范机关创建平台自动发送，站内通知中可查看全部消息。"),
    ]
    return EmailMessage(
        subject=_one_line(_("[模范机关创建平台] %(title)s") % {"title": notice.title})[:250],
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.recipient.email],
        connection=connection,
    )


def send_notice_emails(notice_ids: Iterable[int]) -> int:
    """Mail each not yet mailed notice whose recipient has an address; mark it sent. A failure
    is logged and left for the next attempt (`retry_notice_emails`); the notice itself stays
    in-app either way."""
    if not smtp_enabled():
        return 0
    notices = list(
        Notice.objects.filter(pk__in=list(notice_ids), emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("pk")
    )
    if not notices:
        return 0
    sent = 0
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception:  # an unreachable server: every notice waits for the next attempt
        logger.exception("notice e-mail: cannot connect to the mail server")
        return 0
    try:
        for notice in notices:
            try:
                delivered = _message(notice, connection).send()
            except Exception:  # one refused address or a dropped connection
                logger.exception(
                    "notice e-mail %s to user %s failed", notice.pk, notice.recipient_id
                )
                continue
            if delivered:
                Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
                sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.exception("notice e-mail: closing the connection failed")
    return sent


def retry_notice_emails(*, now: datetime | None = None, within_days: int = 2) -> int:
    """Mail the notices of the last `within_days` days that a failing server left unsent (run
    by the daily `send_reminders`). Older ones stay in-app only: stale mail helps nobody."""
    if not smtp_enabled():
        return 0
    moment = now if now is not None else timezone.now()
    since = moment - timedelta(days=within_days)
    ids = list(
        Notice.objects.filter(emailed_at__isnull=True, created_at__gte=since)
        .exclude(recipient__email="")
        .filter(recipient__is_active=True)
        .values_list("pk", flat=True)
    )
    return send_notice_emails(ids)


def notice_mark_read(*, user: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notices read (all unread ones when no ids are given). Reading is not
    an audited business fact and is never counted anywhere."""
    qs = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())
