"""The writes of 述职评议, each audited in its own transaction.

- A round: `round_create`, `round_panel_set` (the panel members who rate online) and the one
  state change `round_transition` (open → 述职中, every active unit gets its appraisal and its
  people are told; rate → 评议中; close → 已完成, every result frozen).
- An appraisal: `appraisal_secretary_set` (the unit or the committee corrects who the
  secretary is) and the one life-cycle function `appraisal_transition` (pending → submitted →
  returned → submitted → rated).
- The votes: `ballots_record` (paper-ballot tallies, by the committee) and `rating_cast`
  (a panel member's own rating, changed freely until the round closes)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts import rules as access
from mofan.accounts.access import Actor
from mofan.accounts.models import User
from mofan.accounts.roles import COMMITTEE_STAFF, UNIT_ROLES, Role
from mofan.appraisals import rules
from mofan.appraisals.models import (
    Appraisal,
    AppraisalRound,
    AppraisalState,
    Level,
    Rating,
    ReportWay,
    RoundState,
)
from mofan.audit.services import audit_record
from mofan.evidence.models import Evidence
from mofan.notifications.recipients import units_people
from mofan.notifications.services import notify
from mofan.organizations.models import Committee, Member, PartyOrganization, Unit

SECRETARY_POST = "书记"
MAX_BALLOTS = 10_000


def require_admin(actor: Actor, committee_id: int) -> None:
    if not access.administers(actor, committee_id):
        raise PermissionDenied(_("只有本工委管理员可以管理述职评议。"))


# --- rounds ------------------------------------------------------------------------------------
@transaction.atomic
def round_create(*, committee: Committee, year: int, title: str, actor: Actor) -> AppraisalRound:
    """A new round (a draft) of the committee for `year`; one round per committee and year."""
    require_admin(actor, committee.pk)
    if not 2000 <= year <= 2100:
        raise ValidationError(_("年度须在2000至2100之间。"))
    title = title.strip() or _("%(year)s年度党组（党委）书记抓基层党建工作述职评议") % {
        "year": year
    }
    if AppraisalRound.objects.filter(committee=committee, year=year).exists():
        raise ValidationError(_("本工委%(year)s年度的述职评议已经存在。") % {"year": year})
    item = AppraisalRound.objects.create(
        committee=committee, year=year, title=title[:100], created_by=actor.user
    )
    audit_record(
        action="appraisal.round.create",
        actor=actor.user,
        target=item,
        committee_id=committee.pk,
        after={"year": year, "title": item.title},
    )
    return item


# who may sit on a panel and open the pages: committee staff, reviewers and a unit's people
# (never the auditor or the security administrator: 三权分立)
PANEL_ROLES = (*COMMITTEE_STAFF, Role.REVIEWER, *UNIT_ROLES)


def panel_candidates(committee_id: int) -> Q:
    """Who may sit on a committee's panel: an active account holding one of `PANEL_ROLES` in
    the committee or one of its units (a condition on User)."""
    return (
        Q(is_active=True)
        & Q(role_assignments__role__in=PANEL_ROLES)
        & (
            Q(role_assignments__committee_id=committee_id)
            | Q(role_assignments__unit__committee_id=committee_id)
        )
    )


@transaction.atomic
def round_panel_set(
    *, round: AppraisalRound, usernames: Collection[str], actor: Actor
) -> AppraisalRound:
    """Name the panel members who rate online (by user name); before the round closes. A name
    that is no account of the committee is refused, naming all of them."""
    round = AppraisalRound.objects.select_for_update().get(pk=round.pk)
    require_admin(actor, round.committee_id)
    if round.state == RoundState.CLOSED:
        raise ValidationError(_("述职评议已完成，不能再修改评议组。"))
    wanted = {name.strip() for name in usernames if name.strip()}
    found = dict(
        User.objects.filter(panel_candidates(round.committee_id), username__in=wanted)
        .distinct()
        .values_list("username", "pk")
    )
    unknown = sorted(wanted - set(found))
    if unknown:
        raise ValidationError(
            _("以下用户名不是本工委或其单位的账号：%(names)s") % {"names": "、".join(unknown)}
        )
    before = sorted(round.panel.values_list("username", flat=True))
    round.panel.set(found.values())
    Rating.objects.filter(appraisal__round=round).exclude(rater_id__in=found.values()).delete()
    round.version += 1
    round.save(update_fields=["version"])
    audit_record(
        action="appraisal.round.panel",
        actor=actor.user,
        target=round,
        committee_id=round.committee_id,
        before={"panel": before},
        after={"panel": sorted(found)},
    )
    return round


def secretaries_of(unit_ids: Iterable[int]) -> dict[int, Member]:
    """Each unit's party secretary as the roster says, in two queries: on the roll of the
    unit's top party organisation (no parent; the first in order) with a post containing
    "书记" (a 副书记 only when no one else), else the organisation's recorded secretary."""
    tops: dict[int, PartyOrganization] = {}
    for org in PartyOrganization.objects.filter(unit_id__in=list(unit_ids), parent__isnull=True):
        tops.setdefault(org.unit_id, org)
    found: dict[int, Member] = {}
    people = Member.objects.filter(
        party_org_id__in=[o.pk for o in tops.values()], post__contains=SECRETARY_POST
    ).order_by("pk")
    for member in people:
        current = found.get(member.unit_id)
        if current is None or ("副" in current.post and "副" not in member.post):
            found[member.unit_id] = member
    for unit_id, org in tops.items():
        if unit_id not in found and org.secretary_id is not None:
            secretary = Member.objects.filter(pk=org.secretary_id).first()
            if secretary is not None:
                found[unit_id] = secretary
    return found


def _open(round: AppraisalRound) -> dict[str, Any]:
    units = list(Unit.objects.filter(committee_id=round.committee_id, is_active=True))
    if not units:
        raise ValidationError(_("本工委还没有在册单位。"))
    secretaries = secretaries_of(u.pk for u in units)
    rows = []
    for unit in units:
        member = secretaries.get(unit.pk)
        rows.append(
            Appraisal(
                round=round,
                unit=unit,
                member=member,
                secretary_name=member.name if member else "",
                secretary_post=member.post if member else "",
            )
        )
    Appraisal.objects.bulk_create(rows)
    return {"units": len(rows), "unnamed": len(rows) - len(secretaries)}


def _close(round: AppraisalRound, actor: Actor) -> dict[str, Any]:
    appraisals = list(round.appraisals.all())
    waiting = [a for a in appraisals if a.state != AppraisalState.SUBMITTED]
    if waiting:
        raise ValidationError(
            _("还有%(n)s个单位的述职报告未提交或被退回，不能完成评议。") % {"n": len(waiting)}
        )
    votes = votes_of([a.pk for a in appraisals])
    outcomes = {a.pk: rules.aggregate(combined(a, votes)) for a in appraisals}
    unrated = [a for a in appraisals if outcomes[a.pk].level is None]
    if unrated:
        raise ValidationError(_("还有%(n)s名书记没有评议票，不能完成评议。") % {"n": len(unrated)})
    for appraisal in appraisals:
        appraisal_transition(
            appraisal=appraisal, action="rate", actor=actor, outcome=outcomes[appraisal.pk]
        )
    return {"rated": len(appraisals)}


ROUND_TRANSITIONS: dict[str, tuple[str, str]] = {
    "open": (RoundState.DRAFT, RoundState.REPORTING),
    "rate": (RoundState.REPORTING, RoundState.RATING),
    "close": (RoundState.RATING, RoundState.CLOSED),
}


@transaction.atomic
def round_transition(*, round: AppraisalRound, action: str, actor: Actor) -> AppraisalRound:
    """The one state change of a round: `open` (述职中: one appraisal per active unit, its
    secretary found from the roster, the units' 联络员 and 单位领导 told), `rate` (评议中: the
    panel rates the submitted reports, paper ballots are entered), `close` (已完成: refused
    while a report waits or a secretary has no vote; every result is frozen)."""
    round = AppraisalRound.objects.select_for_update().get(pk=round.pk)
    require_admin(actor, round.committee_id)
    if action not in ROUND_TRANSITIONS:
        raise ValidationError(_("未知操作。"))
    source, target = ROUND_TRANSITIONS[action]
    if round.state != source:
        raise ValidationError(_("述职评议当前状态下不能进行此操作。"))
    details: dict[str, Any] = {}
    if action == "open":
        details = _open(round)
    elif action == "close":
        details = _close(round, actor)
        round.closed_at = timezone.now()
    round.state = target
    round.version += 1
    round.save()
    audit_record(
        action=f"appraisal.round.{action}",
        actor=actor.user,
        target=round,
        committee_id=round.committee_id,
        before={"state": source},
        after={"state": target, **details},
    )
    if action == "open":
        people = [
            u
            for users in units_people(round.appraisals.values_list("unit_id", flat=True)).values()
            for u in users
        ]
        notify(
            recipients=people,
            kind="appraisal.open",
            title=_("%(title)s开始，请提交书记述职报告") % {"title": round.title},
            url=reverse("appraisals:round_list"),
        )
    elif action == "rate":
        notify(
            recipients=list(round.panel.all()),
            kind="appraisal.rate",
            title=_("%(title)s开始评议") % {"title": round.title},
            url=reverse("appraisals:rate", args=[round.pk]),
        )
    return round


# --- appraisals --------------------------------------------------------------------------------
def _locked(appraisal: Appraisal) -> Appraisal:
    return Appraisal.objects.select_for_update().select_related("round").get(pk=appraisal.pk)


def _require_unit(actor: Actor, appraisal: Appraisal) -> None:
    if not access.reads_unit(actor, appraisal.unit_id):
        raise PermissionDenied(_("只有本单位联络员或单位领导可以提交述职报告。"))


@transaction.atomic
def appraisal_secretary_set(*, appraisal: Appraisal, member: Member, actor: Actor) -> Appraisal:
    """Correct who the unit's secretary is (a person on the unit's roster): by the unit's
    联络员 or 单位领导 or the committee admin, while the report is not submitted."""
    appraisal = _locked(appraisal)
    if not (
        access.reads_unit(actor, appraisal.unit_id)
        or access.administers(actor, appraisal.round.committee_id)
    ):
        raise PermissionDenied(_("只有本单位或工委管理员可以修改述职人。"))
    if appraisal.round.state not in (RoundState.REPORTING, RoundState.RATING):
        raise ValidationError(_("述职评议当前状态下不能修改述职人。"))
    if appraisal.state not in (AppraisalState.PENDING, AppraisalState.RETURNED):
        raise ValidationError(_("述职报告已提交，不能修改述职人。"))
    if member.unit_id != appraisal.unit_id:
        raise ValidationError(_("述职人须为本单位成员名册中的人员。"))
    before = {"member": appraisal.member_id, "name": appraisal.secretary_name}
    appraisal.member = member
    appraisal.secretary_name = member.name
    appraisal.secretary_post = member.post
    appraisal.version += 1
    appraisal.save()
    audit_record(
        action="appraisal.secretary",
        actor=actor.user,
        target=appraisal,
        committee_id=appraisal.round.committee_id,
        before=before,
        after={"member": member.pk, "name": member.name},
    )
    return appraisal


def _submit(
    appraisal: Appraisal, actor: Actor, report: str, way: str, evidence_ids: Collection[int]
) -> dict[str, Any]:
    if appraisal.round.state not in (RoundState.REPORTING, RoundState.RATING):
        raise ValidationError(_("述职评议当前状态下不能提交述职报告。"))
    errors: dict[str, str] = {}
    if not report.strip():
        errors["report"] = _("请填写述职报告。")
    if way not in ReportWay.values:
        errors["way"] = _("请选择述职方式（现场述职或书面述职）。")
    if not appraisal.member_id and not appraisal.secretary_name:
        errors["report"] = _("请先确定述职的书记。")
    files = set(evidence_ids)
    own = set(
        Evidence.objects.filter(unit_id=appraisal.unit_id, pk__in=files).values_list(
            "pk", flat=True
        )
    )
    if files - own:
        errors["evidence"] = _("只能关联本单位佐证库中的文件。")
    if errors:
        raise ValidationError(errors)
    appraisal.report = report.strip()
    appraisal.way = way
    appraisal.evidence.set(sorted(files))
    appraisal.submitted_by = actor.user
    appraisal.submitted_at = timezone.now()
    appraisal.return_reason = ""
    return {"way": way, "evidence": sorted(files), "chars": len(appraisal.report)}


APPRAISAL_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": ((AppraisalState.PENDING, AppraisalState.RETURNED), AppraisalState.SUBMITTED),
    "return": ((AppraisalState.SUBMITTED,), AppraisalState.RETURNED),
    "rate": ((AppraisalState.SUBMITTED,), AppraisalState.RATED),
}


@transaction.atomic
def appraisal_transition(
    *,
    appraisal: Appraisal,
    action: str,
    actor: Actor,
    report: str = "",
    way: str = "",
    evidence_ids: Collection[int] = (),
    reason: str = "",
    outcome: rules.Outcome | None = None,
) -> Appraisal:
    """The one life-cycle change of an appraisal: `submit` (the unit's 联络员 or 单位领导: the
    report text, the way of reporting and files of its own evidence library; locked once
    submitted), `return` (the committee admin, with a reason, before the round closes; the unit
    is told), `rate` (only as the round closes: the result is frozen with its distribution)."""
    appraisal = _locked(appraisal)
    if action not in APPRAISAL_TRANSITIONS:
        raise ValidationError(_("未知操作。"))
    sources, target = APPRAISAL_TRANSITIONS[action]
    if action == "submit":
        _require_unit(actor, appraisal)
    else:
        require_admin(actor, appraisal.round.committee_id)
    if appraisal.state not in sources:
        raise ValidationError(_("述职报告当前状态下不能进行此操作。"))
    details: dict[str, Any] = {}
    if action == "submit":
        details = _submit(appraisal, actor, report, way, evidence_ids)
    elif action == "return":
        if appraisal.round.state not in (RoundState.REPORTING, RoundState.RATING):
            raise ValidationError(_("述职评议当前状态下不能退回。"))
        if not reason.strip():
            raise ValidationError({"reason": _("请说明退回原因。")})
        appraisal.return_reason = reason.strip()[:2000]
        details = {"reason": appraisal.return_reason}
    elif action == "rate":
        if outcome is None or outcome.level is None or appraisal.round.state != RoundState.RATING:
            raise ValidationError(_("只有完成评议时才能评定结果。"))
        appraisal.result_level = outcome.level
        appraisal.result_score = outcome.score
        appraisal.distribution = {"counts": outcome.counts, "percent": outcome.percent()}
        details = {"level": outcome.level, "score": str(outcome.score), "counts": outcome.counts}
    before = appraisal.state
    appraisal.state = target
    appraisal.version += 1
    appraisal.save()
    audit_record(
        action=f"appraisal.{action}",
        actor=actor.user,
        target=appraisal,
        committee_id=appraisal.round.committee_id,
        before={"state": before},
        after={"state": target, **details},
    )
    if action == "return":
        notify(
            recipients=units_people([appraisal.unit_id]).get(appraisal.unit_id, []),
            kind="appraisal.return",
            title=_("述职报告被退回：%(reason)s") % {"reason": appraisal.return_reason[:60]},
            url=reverse("appraisals:appraisal_detail", args=[appraisal.pk]),
        )
    return appraisal


# --- votes -------------------------------------------------------------------------------------
def _ratable(appraisal: Appraisal) -> None:
    if appraisal.round.state != RoundState.RATING:
        raise ValidationError(_("述职评议不在评议阶段。"))
    if appraisal.state != AppraisalState.SUBMITTED:
        raise ValidationError(_("该述职报告未提交或已退回，暂不能评议。"))


@transaction.atomic
def ballots_record(*, appraisal: Appraisal, counts: Mapping[str, int], actor: Actor) -> Appraisal:
    """The tallies of the paper ballots for one secretary (how many 好/较好/一般/差), entered
    by the committee admin while the round is rating; they replace the tallies entered before."""
    appraisal = _locked(appraisal)
    require_admin(actor, appraisal.round.committee_id)
    _ratable(appraisal)
    clean = {level: counts.get(level, 0) for level in Level.values}
    if any(not isinstance(n, int) or not 0 <= n <= MAX_BALLOTS for n in clean.values()):
        raise ValidationError(_("票数须为0至%(max)s之间的整数。") % {"max": MAX_BALLOTS})
    before = appraisal.ballots()
    appraisal.ballots_good = clean[Level.GOOD]
    appraisal.ballots_fairly_good = clean[Level.FAIRLY_GOOD]
    appraisal.ballots_average = clean[Level.AVERAGE]
    appraisal.ballots_poor = clean[Level.POOR]
    appraisal.version += 1
    appraisal.save()
    audit_record(
        action="appraisal.ballots",
        actor=actor.user,
        target=appraisal,
        committee_id=appraisal.round.committee_id,
        before=dict(before),
        after=dict(appraisal.ballots()),
    )
    return appraisal


@transaction.atomic
def rating_cast(*, appraisal: Appraisal, level: str, actor: Actor) -> Rating:
    """A panel member's rating of one secretary (one each; a new one replaces theirs)."""
    appraisal = _locked(appraisal)
    if not appraisal.round.panel.filter(pk=actor.user.pk).exists():
        raise PermissionDenied(_("您不是本次述职评议的评议组成员。"))
    _ratable(appraisal)
    if level not in Level.values:
        raise ValidationError(_("请选择评议等次。"))
    rating = Rating.objects.filter(appraisal=appraisal, rater=actor.user).first()
    before = rating.level if rating else None
    if rating is None:
        rating = Rating.objects.create(appraisal=appraisal, rater=actor.user, level=level)
    else:
        rating.level = level
        rating.save()
    audit_record(
        action="appraisal.rating",
        actor=actor.user,
        target=appraisal,
        committee_id=appraisal.round.committee_id,
        before={"level": before},
        after={"level": level},
    )
    return rating


# --- reading the votes (used by the services and the selectors) -------------------------------
def votes_of(appraisal_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """The online ratings per appraisal and level, in one query."""
    votes: dict[int, dict[str, int]] = {}
    for appraisal_id, level in Rating.objects.filter(
        appraisal_id__in=list(appraisal_ids)
    ).values_list("appraisal_id", "level"):
        per = votes.setdefault(appraisal_id, {})
        per[level] = per.get(level, 0) + 1
    return votes


def combined(appraisal: Appraisal, votes: Mapping[int, Mapping[str, int]]) -> dict[str, int]:
    """Paper ballots plus online ratings, per level."""
    online = votes.get(appraisal.pk, {})
    return {level: n + online.get(level, 0) for level, n in appraisal.ballots().items()}
