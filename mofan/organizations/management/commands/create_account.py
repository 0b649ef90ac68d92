"""Bootstrap accounts from the command line (first security administrator, auditor and
committee administrator of a production install: no default account exists there)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.passwords import random_password
from mofan.accounts.roles import UNIT_ROLES, Role, conflicting_role
from mofan.audit.services import audit_record
from mofan.organizations.models import Committee, Unit


class Command(BaseCommand):
    help = "Create an account with one role; prints a random initial password once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--committee", required=True, help="committee code, e.g. jiaozuo")
        parser.add_argument("--committee-name", help="create the committee with this name")
        parser.add_argument("--username", required=True)
        parser.add_argument("--full-name", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--unit", help="unit name, for unit roles")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        committee = Committee.objects.filter(code=options["committee"]).first()
        if committee is None:
            if not options["committee_name"]:
                raise CommandError("工委不存在；首次创建请同时给出 --committee-name。")
            committee = Committee.objects.create(
                code=options["committee"], name=options["committee_name"]
            )
            audit_record(action="committee.create", actor_name="create_account", target=committee)
        role = options["role"]
        unit = None
        if role in UNIT_ROLES:
            if not options["unit"]:
                raise CommandError("单位角色须用 --unit 指定单位名称。")
            unit = Unit.objects.filter(committee=committee, name=options["unit"]).first()
            if unit is None:
                raise CommandError(f"本工委没有名为“{options['unit']}”的单位。")
        user = User.objects.filter(username__iexact=options["username"]).first()
        password = None
        if user is None:
            password = random_password()
            user = User(
                username=options["username"],
                full_name=options["full_name"],
                committee=committee,
                must_change_password=True,
            )
            user.set_password(password)
            user.save()
            audit_record(action="account.create", actor_name="create_account", target=user)
        held = set(user.role_assignments.values_list("role", flat=True))
        clash = conflicting_role(held, role)
        if clash:
            raise CommandError(
                f"三权分立：该账号已担任“{Role(clash).label}”，不能再担任“{Role(role).label}”。"
            )
        RoleAssignment.objects.get_or_create(user=user, role=role, committee=committee, unit=unit)
        audit_record(
            action="account.role.grant",
            actor_name="create_account",
            target=user,
            after={"role": role, "unit_id": unit.pk if unit else None},
        )
        self.stdout.write(f"账号：{user.username}  角色：{Role(role).label}")
        if password:
            self.stdout.write(f"初始密码（只显示这一次，首次登录须修改）：{password}")
