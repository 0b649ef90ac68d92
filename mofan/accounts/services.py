"""Account writes. Every function is keyword-only, atomic, and audits inside its transaction."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import lockout, rules, totp
from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import RoleAssignment, User
from mofan.accounts.passwords import random_password
from mofan.accounts.roles import (
    COMMITTEE_ROLES,
    GRANTABLE_BY_COMMITTEE_ADMIN,
    UNIT_ROLES,
    Role,
    conflicting_role,
    grantable_by,
)
from mofan.audit.models import AuditResult
from mofan.audit.services import audit_denied, audit_record
from mofan.organizations.models import Committee, Unit


def _role_label(role: str) -> str:
    return str(Role(role).label)


def _user_snapshot(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "phone": user.phone,
        "is_active": user.is_active,
    }


def check_may_grant(*, actor: Actor, role: str, committee_id: int, target: User | None) -> None:
    if target is not None and target.pk == actor.user.pk:
        raise PermissionDenied(_("不能给自己分配或撤销角色。"))
    held = actor.committee_roles.get(committee_id, frozenset())
    if role in grantable_by(held):
        return
    if grantable_by(held):
        raise PermissionDenied(
            _("“%(role)s”角色只能由安全管理员分配。") % {"role": _role_label(role)}
        )
    raise PermissionDenied(_("您无权分配角色。"))


def _validate_assignment(*, role: str, unit: Unit | None, committee: Committee) -> None:
    if role in UNIT_ROLES and unit is None:
        raise ValidationError(_("“%(role)s”角色必须指定单位。") % {"role": _role_label(role)})
    if role in COMMITTEE_ROLES and role != Role.REVIEWER and unit is not None:
        raise ValidationError(
            _("“%(role)s”角色属于工委，不能指定单位。") % {"role": _role_label(role)}
        )
    if unit is not None and unit.committee_id != committee.pk:
        raise ValidationError(_("单位不属于本工委。"))


def _check_conflict(*, user: User, role: str) -> None:
    held = set(user.role_assignments.values_list("role", flat=True)) if user.pk else set()
    clash = conflicting_role(held, role)
    if clash:
        raise ValidationError(
            _("三权分立：同一账号不能同时担任“%(a)s”和“%(b)s”。")
            % {"a": _role_label(clash), "b": _role_label(role)}
        )


@dataclass(frozen=True)
class AccountSpec:
    username: str
    full_name: str
    role: str
    unit: Unit | None = None
    phone: str = ""


@transaction.atomic
def accounts_bulk_create(
    *,
    committee: Committee,
    specs: list[AccountSpec],
    actor: Actor,
    is_demo: bool = False,
    passwords: list[tuple[str, str]] | None = None,
) -> list[tuple[User, str]]:
    """Create every account or none. Returns (user, initial password) pairs. `passwords`, one
    (password, its hash by `make_password`) per spec, were made beforehand (a background batch
    makes them outside the transaction, with progress); otherwise they are made here."""
    if passwords is not None and len(passwords) != len(specs):
        raise ValueError("one prepared password per account")
    created: list[tuple[User, str]] = []
    for index, spec in enumerate(specs):
        check_may_grant(actor=actor, role=spec.role, committee_id=committee.pk, target=None)
        _validate_assignment(role=spec.role, unit=spec.unit, committee=committee)
        if User.objects.filter(username__iexact=spec.username).exists():
            raise ValidationError(_("用户名“%(u)s”已被使用。") % {"u": spec.username})
        password, encoded = passwords[index] if passwords is not None else (random_password(), "")
        user = User(
            username=spec.username,
            full_name=spec.full_name,
            phone=spec.phone,
            committee=committee,
            must_change_password=True,
            is_demo=is_demo,
        )
        if encoded:
            user.password = encoded
        else:
            user.set_password(password)
        user.save()
        RoleAssignment.objects.create(
            user=user, role=spec.role, committee=committee, unit=spec.unit
        )
        audit_record(
            action="account.create",
            actor=actor.user,
            target=user,
            after={
                **_user_snapshot(user),
                "role": spec.role,
                "unit_id": spec.unit.pk if spec.unit else None,
            },
        )
        created.append((user, password))
    return created


@transaction.atomic
def role_grant(*, user: User, role: str, unit: Unit | None = None, actor: Actor) -> RoleAssignment:
    committee = user.committee
    if committee is None:
        raise ValidationError(_("账号未归属任何工委。"))
    check_may_grant(actor=actor, role=role, committee_id=committee.pk, target=user)
    _validate_assignment(role=role, unit=unit, committee=committee)
    _check_conflict(user=user, role=role)
    if RoleAssignment.objects.filter(user=user, role=role, unit=unit).exists():
        raise ValidationError(_("该账号已有此角色。"))
    assignment = RoleAssignment.objects.create(user=user, role=role, committee=committee, unit=unit)
    audit_record(
        action="account.role.grant",
        actor=actor.user,
        target=user,
        after={"role": role, "unit_id": unit.pk if unit else None},
    )
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, actor: Actor) -> None:
    check_may_grant(
        actor=actor,
        role=assignment.role,
        committee_id=assignment.committee_id,
        target=assignment.user,
    )
    before = {"role": assignment.role, "unit_id": assignment.unit_id}
    user = assignment.user
    assignment.delete()
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    audit_record(action="account.role.revoke", actor=actor.user, target=user, before=before)


def _may_manage_account(actor: Actor, user: User) -> bool:
    if user.pk == actor.user.pk or user.committee_id is None:
        return False
    if user.committee_id in actor.committees_with(Role.SECURITY_ADMIN):
        return True
    if rules.administers(actor, user.committee_id):
        held = set(user.role_assignments.values_list("role", flat=True))
        return held <= set(GRANTABLE_BY_COMMITTEE_ADMIN)
    return False


def _check_may_manage_account(actor: Actor, user: User) -> None:
    if not _may_manage_account(actor, user):
        raise PermissionDenied(_("您无权管理该账号。"))


@transaction.atomic
def account_set_active(*, user: User, active: bool, actor: Actor, reason: str = "") -> None:
    _check_may_manage_account(actor, user)
    before = _user_snapshot(user)
    user.is_active = active
    user.session_epoch += 1
    if active:
        # A re-enabled account starts a fresh inactivity period.
        user.last_login = timezone.now()
    user.save(update_fields=["is_active", "session_epoch", "last_login"])
    audit_record(
        action="account.activate" if active else "account.deactivate",
        actor=actor.user,
        target=user,
        before=before,
        after=_user_snapshot(user),
        extra={"reason": reason} if reason else None,
    )


@transaction.atomic
def account_profile_update(*, user: User, full_name: str, phone: str, actor: Actor) -> User:
    """Correct a managed account's real name and phone (bulk-made accounts start with
    placeholder names such as 市委办公室单位领导)."""
    _check_may_manage_account(actor, user)
    full_name, phone = full_name.strip(), phone.strip()
    if not full_name:
        raise ValidationError(_("请填写姓名。"))
    before = _user_snapshot(user)
    user.full_name, user.phone = full_name, phone
    user.save(update_fields=["full_name", "phone"])
    audit_record(
        action="account.profile",
        actor=actor.user,
        target=user,
        before=before,
        after=_user_snapshot(user),
    )
    return user


@transaction.atomic
def password_reset(*, user: User, actor: Actor) -> str:
    """A new random initial password, to be changed at next login."""
    _check_may_manage_account(actor, user)
    password = random_password()
    user.set_password(password)
    user.must_change_password = True
    user.session_epoch += 1
    user.save(update_fields=["password", "must_change_password", "session_epoch"])
    lockout.clear_account(user.username)
    audit_record(action="account.password.reset", actor=actor.user, target=user)
    return password


@transaction.atomic
def account_unlock(*, user: User, actor: Actor) -> int:
    if user.committee_id not in actor.committees_with(Role.SECURITY_ADMIN):
        raise PermissionDenied(_("只有安全管理员可以解锁账号。"))
    cleared = lockout.clear_account(user.username)
    audit_record(action="account.unlock", actor=actor.user, target=user)
    return cleared


@transaction.atomic
def password_change(*, user: User, new_password: str) -> None:
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit_record(action="account.password.change", actor=user, target=user)


def _more_days_ago(moment: datetime, days: int, now: datetime | None) -> bool:
    """Whether more than `days` days lie between `moment` and now; never for a limit of 0 or
    less (a policy switched off)."""
    if days <= 0:
        return False
    return (now or timezone.now()) - moment > timedelta(days=days)


def password_expired(user: User, now: datetime | None = None) -> bool:
    changed = user.password_changed_at or user.date_joined
    return _more_days_ago(changed, settings.MOFAN_PASSWORD_MAX_AGE_DAYS, now)


def inactive_too_long(user: User, now: datetime | None = None) -> bool:
    last = user.last_login or user.date_joined
    return _more_days_ago(last, settings.MOFAN_INACTIVE_DISABLE_DAYS, now)


def _disable(user: User) -> None:
    """Deactivate the account and end its sessions (the caller audits why)."""
    user.is_active = False
    user.session_epoch += 1
    user.save(update_fields=["is_active", "session_epoch"])


@transaction.atomic
def disable_inactive_accounts(*, now: datetime | None = None) -> list[str]:
    """Disable every active account unused for the configured number of days."""
    moment = now or timezone.now()
    cutoff = moment - timedelta(days=settings.MOFAN_INACTIVE_DISABLE_DAYS)
    stale = User.objects.filter(is_active=True).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    )
    names = []
    for user in stale:
        _disable(user)
        audit_record(
            action="account.disabled.inactive",
            actor_name="system",
            target=user,
            extra={"days": settings.MOFAN_INACTIVE_DISABLE_DAYS},
        )
        names.append(user.username)
    return names


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: str = ""


def _locked_message(until: datetime | None) -> str:
    shown = timezone.localtime(until).strftime("%H:%M") if until else ""
    return _("该账号因连续登录失败已被锁定，请于 %(time)s 后再试，或联系安全管理员解锁。") % {
        "time": shown
    }


def _audit_attempt(
    *, action: str, result: str, username: str, user: User | None, extra: object = None
) -> None:
    """Audit a login attempt at `username`, which names no account when `user` is None."""
    audit_record(
        action=action,
        result=result,
        actor_name=username,
        object_type="accounts.user",
        object_id=str(user.pk) if user else username,
        extra=extra,
    )


def _audit_locked(*, username: str, user: User | None, factor: str) -> None:
    _audit_attempt(
        action="account.login.locked",
        result=AuditResult.DENIED,
        username=username,
        user=user,
        extra={"minutes": settings.MOFAN_LOCKOUT_MINUTES, "factor": factor},
    )


def _audit_refused(*, attempt: lockout.Attempt, route: str, actor: User | None = None) -> None:
    audit_denied(
        action="account.login.refused_locked",
        path=route,
        actor=actor,
        actor_name=attempt.username,
        object_type="accounts.user",
        object_id=str(actor.pk) if actor else attempt.username,
    )


def _wrong_password(*, attempt: lockout.Attempt, username: str, user: User | None) -> LoginOutcome:
    """Audit a wrong password (or an unknown username), and the lock when it was the last
    guess of the window; the refusal with its message."""
    with transaction.atomic():
        _audit_attempt(
            action="account.login.failed",
            result=AuditResult.FAILURE,
            username=username,
            user=user,
        )
        if attempt.last_slot:
            _audit_locked(username=username, user=user, factor="password")
    if attempt.last_slot:
        return LoginOutcome(
            None,
            _("连续 %(n)d 次登录失败，账号已锁定 %(m)d 分钟。")
            % {"n": settings.MOFAN_LOCKOUT_THRESHOLD, "m": settings.MOFAN_LOCKOUT_MINUTES},
        )
    return LoginOutcome(
        None,
        _("用户名或密码错误。连续输错 %(n)d 次将锁定账号 %(m)d 分钟。")
        % {"n": settings.MOFAN_LOCKOUT_THRESHOLD, "m": settings.MOFAN_LOCKOUT_MINUTES},
    )


def login_check(*, username: str, password: str, ip: str | None) -> LoginOutcome:
    """Check credentials under the lockout and account-age policies; audit the outcome.

    The guess takes its slot before the password is hashed (`lockout.attempt_begin`), so
    parallel requests cannot evaluate more guesses than the lock allows."""
    username = username.strip()
    attempt = lockout.attempt_begin(username, ip)
    if attempt.refused:
        _audit_refused(attempt=attempt, route="accounts:login")
        return LoginOutcome(None, _locked_message(attempt.refused_until))
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        # Hash anyway, so the response time does not tell which usernames exist.
        User().set_password(password)
    if user is None or not user.check_password(password):
        return _wrong_password(attempt=attempt, username=username, user=user)
    # The password was right: the slot goes back (a second factor, if any, takes its own).
    lockout.attempt_refund(attempt)
    if not user.is_active:
        with transaction.atomic():
            audit_record(
                action="account.login.refused_inactive",
                result=AuditResult.DENIED,
                target=user,
                actor_name=username,
            )
        return LoginOutcome(None, _("该账号已停用，请联系管理员。"))
    if inactive_too_long(user):
        with transaction.atomic():
            _disable(user)
            audit_record(
                action="account.disabled.inactive",
                result=AuditResult.DENIED,
                target=user,
                actor_name=username,
                extra={"days": settings.MOFAN_INACTIVE_DISABLE_DAYS},
            )
        return LoginOutcome(
            None,
            _("该账号已连续 %(n)d 天未使用，已被停用，请联系管理员重新启用。")
            % {"n": settings.MOFAN_INACTIVE_DISABLE_DAYS},
        )
    return LoginOutcome(user)


class Guess(enum.Enum):
    """The outcome of checking a secret under the lock."""

    RIGHT = "right"
    WRONG = "wrong"
    # Wrong, and it was the last guess of the window: the account is locked now.
    WRONG_LOCKED = "wrong_locked"
    # Not evaluated: the account was already locked.
    REFUSED = "refused"

    @property
    def locked(self) -> bool:
        return self in (Guess.WRONG_LOCKED, Guess.REFUSED)


def _guess(
    *, user: User, ip: str | None, route: str, check: Callable[[], bool], factor: str
) -> Guess:
    """Take a slot, evaluate `check` (which audits its own outcome), keep or refund the slot."""
    attempt = lockout.attempt_begin(user.username, ip)
    if attempt.refused:
        _audit_refused(attempt=attempt, route=route, actor=user)
        return Guess.REFUSED
    if check():
        lockout.attempt_refund(attempt)
        return Guess.RIGHT
    if attempt.last_slot:
        with transaction.atomic():
            _audit_locked(username=user.username, user=user, factor=factor)
        return Guess.WRONG_LOCKED
    return Guess.WRONG


def second_factor_check(*, user: User, code: str, ip: str | None) -> Guess:
    """The second login factor under the same lock as the password."""
    return _guess(
        user=user,
        ip=ip,
        route="accounts:login_otp",
        check=lambda: totp.totp_verify(user=user, code=code),
        factor="totp",
    )


def old_password_check(*, user: User, password: str, ip: str | None) -> Guess:
    """The current password asked for by a password change, under the login lock."""

    def check() -> bool:
        ok = user.check_password(password)
        if not ok:
            with transaction.atomic():
                audit_record(
                    action="account.password.change",
                    actor=user,
                    target=user,
                    result=AuditResult.FAILURE,
                    extra={"reason": "old_password"},
                )
        return ok

    return _guess(
        user=user, ip=ip, route="accounts:password_change", check=check, factor="password"
    )


SESSION_AUTH_AT = "mofan_auth_at"
SESSION_SEEN_AT = "mofan_seen_at"
SESSION_REAUTH_AT = "mofan_reauth_at"


@transaction.atomic
def login_complete(*, request: HttpRequest, user: User, method: str = "password") -> None:
    ip = getattr(request, "client_ip", None)
    lockout.clear(user.username, ip)
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = timezone.now().timestamp()
    request.session[SESSION_AUTH_AT] = now
    request.session[SESSION_SEEN_AT] = now
    request.session[SESSION_REAUTH_AT] = now
    audit_record(action="account.login.success", actor=user, target=user, extra={"method": method})


@transaction.atomic
def logout_complete(*, request: HttpRequest, reason: str = "logout") -> None:
    user = request.user
    if user.is_authenticated:
        audit_record(
            action={"logout": "account.logout", "locked": "account.logout.locked"}.get(
                reason, "account.session.expired"
            ),
            actor=user,
            target=user,
            extra={"reason": reason},
        )
    django_logout(request)


def reauth_recent(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_REAUTH_AT)
    if at is None:
        return False
    age = timezone.now().timestamp() - float(at)
    return age <= settings.MOFAN_REAUTH_MINUTES * 60


def reauth_confirm(*, request: HttpRequest, password: str) -> Guess:
    """Re-authentication before a sensitive change, under the login lock; on a lock the
    session is ended (whoever holds it cannot go on guessing the account's password)."""
    user = request.user
    assert isinstance(user, User)

    def check() -> bool:
        ok = user.check_password(password)
        with transaction.atomic():
            audit_record(
                action="account.reauth",
                actor=user,
                target=user,
                result=AuditResult.SUCCESS if ok else AuditResult.FAILURE,
            )
        return ok

    outcome = _guess(
        user=user,
        ip=getattr(request, "client_ip", None),
        route="accounts:reauth",
        check=check,
        factor="password",
    )
    if outcome is Guess.RIGHT:
        request.session[SESSION_REAUTH_AT] = timezone.now().timestamp()
    elif outcome.locked:
        logout_complete(request=request, reason="locked")
    return outcome


__all__ = ["actor_for"]
