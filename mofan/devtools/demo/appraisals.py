"""Demo 述职评议 for `load_demo` (issue 16 point 4): the demo committee's secretaries' reports.

Last year's (2019) round is complete: every unit's secretary reported (the first units on
site, the others in writing), one report was returned and resubmitted, the two demo reviewers
rated online and the committee entered the paper-ballot tallies, and the round was closed with
the results frozen. This year's (2020) round is rating: most units have submitted (unit001
among them, rated by reviewer1), a few have not yet, one report waits after being returned, so
gw_admin, unit001's people and the reviewers each see work of their own.

Everything goes through `appraisals.services`, so the audit trail, the notices and every check
are the real ones. unit001 reports as its own 联络员; the other units as the committee's
administrator holding the unit's liaison role for the load (the loading shortcut of
`demo/honours.py`)."""

from __future__ import annotations

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.appraisals import services
from mofan.appraisals.models import Appraisal, AppraisalRound
from mofan.devtools.demo.ledger import YEAR
from mofan.organizations.models import Committee

LAST_YEAR = YEAR - 1
THIS_YEAR = YEAR
ON_SITE = 12  # the first units of annex 1 report on site, the others in writing
PANEL = ("reviewer1", "reviewer2")
# Paper ballots per unit position, cycling: mostly 好 and 较好, some 一般, one unit below.
BALLOTS = (
    {"good": 21, "fairly_good": 6, "average": 1, "poor": 0},
    {"good": 14, "fairly_good": 11, "average": 3, "poor": 0},
    {"good": 9, "fairly_good": 13, "average": 6, "poor": 0},
    {"good": 24, "fairly_good": 4, "average": 0, "poor": 0},
    {"good": 5, "fairly_good": 10, "average": 11, "poor": 2},
    {"good": 17, "fairly_good": 9, "average": 2, "poor": 0},
)
POOR_UNIT = 9  # this unit's secretary is rated 差 by most ballots last year
POOR_BALLOTS = {"good": 2, "fairly_good": 4, "average": 8, "poor": 14}
RETURNED = 3  # last year's returned-then-resubmitted report; this year's returned one
NOT_YET = (7, 15, 23)  # this year's units that have not submitted yet

REPORT = (
    "{year}年，本人认真履行党组（党委）书记抓基层党建第一责任人职责。一是把政治建设摆在首位，"
    "坚持“第一议题”制度，全年主持党组理论学习中心组学习12次；二是落实“三会一课”，"
    "所属党支部按期换届，建档立卡完成率100%；三是推进党建与业务融合，开展“岗位攻坚”活动；"
    "四是落实全面从严治党主体责任，开展廉政谈话。存在的不足：理论学习联系实际还不够紧，"
    "对党支部工作指导还不够细。下一步，将对照问题清单逐项整改。"
)


def _liaison(admin: Actor, own: dict[int, Actor], unit_id: int) -> Actor:
    if unit_id in own:
        return own[unit_id]
    roles = frozenset({Role.UNIT_ADMIN})
    return Actor(user=admin.user, roles=roles, unit_roles={unit_id: roles})


def load_demo_appraisals(committee: Committee) -> list[AppraisalRound]:
    """Last year's closed round and this year's round in rating, in that order."""
    admin = actor_for(User.objects.get(username="gw_admin"))
    unit001 = actor_for(User.objects.get(username="unit001_admin"))
    own = {uid: unit001 for uid in unit001.units_with(Role.UNIT_ADMIN)}
    panel = [actor_for(User.objects.get(username=name)) for name in PANEL]
    return [
        _round(committee, LAST_YEAR, admin, own, panel, complete=True),
        _round(committee, THIS_YEAR, admin, own, panel, complete=False),
    ]


def _round(
    committee: Committee,
    year: int,
    admin: Actor,
    own: dict[int, Actor],
    panel: list[Actor],
    *,
    complete: bool,
) -> AppraisalRound:
    r = services.round_create(
        committee=committee,
        year=year,
        title=f"{year}年度党组（党委）书记抓基层党建工作述职评议",
        actor=admin,
    )
    r = services.round_panel_set(round=r, usernames=PANEL, actor=admin)
    r = services.round_transition(round=r, action="open", actor=admin)
    appraisals = list(r.appraisals.order_by("unit__sort_order"))
    for index, appraisal in enumerate(appraisals):
        if not complete and index in NOT_YET:
            continue
        unit_actor = _liaison(admin, own, appraisal.unit_id)
        done = _submit(appraisal, unit_actor, year, index)
        if index == RETURNED:
            done = services.appraisal_transition(
                appraisal=done,
                action="return",
                actor=admin,
                reason="述职报告未体现“双述双评”中政治建设情况，请补充后重新提交。",
            )
            if complete:
                _submit(done, unit_actor, year, index)
    r = services.round_transition(round=r, action="rate", actor=admin)
    _votes(r, admin, panel, complete=complete)
    if complete:
        r = services.round_transition(round=r, action="close", actor=admin)
    return r


def _submit(appraisal: Appraisal, actor: Actor, year: int, index: int) -> Appraisal:
    return services.appraisal_transition(
        appraisal=appraisal,
        action="submit",
        actor=actor,
        report=REPORT.format(year=year),
        way="on_site" if index < ON_SITE else "written",
    )


def _votes(r: AppraisalRound, admin: Actor, panel: list[Actor], *, complete: bool) -> None:
    """Online ratings by the panel and paper tallies by the committee: every submitted report
    last year; this year the first half of them (reviewer1 from the first unit on, so
    unit001's secretary is rated)."""
    submitted = list(r.appraisals.filter(state="submitted").order_by("unit__sort_order"))
    if not complete:
        submitted = submitted[: len(submitted) // 2]
    levels = ("good", "fairly_good", "good", "average", "good")
    positions = {
        pk: i
        for i, pk in enumerate(
            r.appraisals.order_by("unit__sort_order").values_list("pk", flat=True)
        )
    }
    for index, appraisal in enumerate(submitted):
        for p, member in enumerate(panel if complete else panel[:1]):
            services.rating_cast(
                appraisal=appraisal, level=levels[(index + p) % len(levels)], actor=member
            )
        position = positions[appraisal.pk]
        counts = POOR_BALLOTS if position == POOR_UNIT else BALLOTS[position % len(BALLOTS)]
        if complete or index % 3 == 0:
            services.ballots_record(appraisal=appraisal, counts=counts, actor=admin)
