"""`notify_many`: many keyed notices of one kind at once (a campaign's launch, a publication),
each recipient once per key, active accounts only, local links only, e-mailed after the commit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings

from mofan.notifications.models import Notice
from mofan.notifications.services import Draft, notify_many
from tests.task_worker import run_queued_tasks
from tests.world import persona

pytestmark = pytest.mark.django_db
WITH_SMTP = override_settings(
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    MOFAN_SMTP_HOST="smtp.test",
    MOFAN_SITE_URL="https://mofan.example",
)


@pytest.fixture
def people(unit_a, unit_b):
    return {
        "a": persona("unit_admin", unit_a=unit_a, email="a@example.org"),
        "a2": persona("unit_leader", unit_a=unit_a, email=""),
        "b": persona("outsider", unit_b=unit_b, email="b@example.org"),
        "gone": persona("unit_admin", unit_a=unit_a, is_active=False, email="g@example.org"),
    }


def drafts(people, key="launch:1"):
    return [
        Draft(
            recipients=[people["a"], people["a2"], people["gone"]], title="甲", key=key, url="/a/"
        ),
        Draft(recipients=[people["b"], people["a"]], title="乙", key=key, url="/b/"),
    ]


@WITH_SMTP
def test_each_active_recipient_once_per_key_and_mailed_after_the_commit(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many(kind="campaign.launched", drafts=drafts(people)) == 3
        assert not mail.outbox  # not before the commit
    assert not mail.outbox  # nor in the request: a task mails
    assert run_queued_tasks() == 1
    rows = sorted(Notice.objects.values_list("recipient__username", "url"))
    assert rows == sorted(
        [
            (people["a"].username, "/a/"),
            (people["a2"].username, "/a/"),
            (people["b"].username, "/b/"),
        ]
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]

    assert notify_many(kind="campaign.launched", drafts=drafts(people)) == 0  # a second time
    assert Notice.objects.count() == 3
    assert notify_many(kind="campaign.launched", drafts=drafts(people, key="launch:2")) == 3


def test_keys_and_local_links_are_required(people):
    with pytest.raises(ValueError):
        notify_many(kind="x", drafts=[Draft(recipients=[people["a"]], title="t", key="")])
    with pytest.raises(ValueError):
        notify_many(
            kind="x",
            drafts=[
                Draft(recipients=[people["a"]], title="t", key="k", url="https://evil.example/")
            ],
        )
    assert not Notice.objects.exists()
