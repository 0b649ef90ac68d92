"""Demo data: seed 001's committee with exactly the 70 units of annex 1, idempotent loading,
one account per role, refused in production (where the command does not even exist:
tests/core/test_deploy_check.py). The full demo's content: test_demo_full.py."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mofan.accounts.models import User
from mofan.organizations.models import Committee, Member, Unit


@pytest.mark.django_db
def test_second_load_keeps_what_users_changed():
    call_command("load_demo", "--no-campaigns")
    unit = Unit.objects.get(name="市委办公室")
    unit.short_name = "市委办（已修改）"
    unit.save()
    Member.objects.filter(unit=unit).first().delete()
    members_before = Member.objects.count()
    call_command("load_demo", "--no-campaigns")
    unit.refresh_from_db()
    assert unit.short_name == "市委办（已修改）"
    assert Member.objects.count() == members_before
    assert Unit.objects.count() == 70


@pytest.mark.django_db
def test_demo_refused_in_production(settings):
    settings.PRODUCTION = True
    # No way round it: the old `--force` is gone (argparse now reads it as `--force-color`).
    for force in ([], ["--force"]):
        with pytest.raises(CommandError, match="生产环境"):
            call_command("load_demo", *force, "--no-campaigns")
    assert not Committee.objects.exists()


@pytest.mark.django_db
def test_demo_accounts_printed(capsys):
    call_command("load_demo", "--no-campaigns")
    call_command("demo_accounts")
    out = capsys.readouterr().out
    for username in ["gw_admin", "gw_auditor", "unit001_admin", "reviewer1"]:
        assert re.search(rf"^\s+{username}\s", out, re.M)
    User.objects.filter(username="gw_auditor").update(is_active=False)
    call_command("demo_accounts")
    assert "gw_auditor" not in capsys.readouterr().out
