"""Demo brand cases for `load_demo` (issue 17 point 6): the demo committee's call for
party-building brand cases (党建品牌案例征集) of the demo year, complete: the committee opened
it, twelve units each submitted one case before the deadline, the call went to review, the
committee's reviewers were drawn as experts (recorded seed), each scored every case per criterion,
the committee closed the scoring and published the four 优秀案例 by rank.

Everything goes through the services (`cases.services`, `cases.panel`) with the call's dates
passed as their `today`, so the audit trail, the notices and every check are the real ones. The
units with a demo liaison account submit as that account; the others as the committee's
administrator holding the unit's liaison role for the load (a loading shortcut, as in
`demo/honours.py`)."""

from __future__ import annotations

import datetime as dt

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.cases import panel, services
from mofan.cases.models import CaseCall
from mofan.devtools.demo.ledger import YEAR
from mofan.organizations.models import Committee, Unit

OPENED_ON = dt.date(YEAR, 9, 1)
SUBMITTED_ON = dt.date(YEAR, 9, 20)
DEADLINE = dt.date(YEAR, 9, 30)
PUBLISHED_ON = dt.date(YEAR, 10, 20)
QUOTA = 4
COMMENT = "特色鲜明，成效可见。"
CRITERIA = [
    {"name": "特色鲜明", "points": 30},
    {"name": "成效显著", "points": 30},
    {"name": "可复制可推广", "points": 25},
    {"name": "材料规范", "points": 15},
]
# (brand, title, tags) of the twelve cases, in the order of the units
CASES = (
    ("红色引擎", "“红色引擎”驱动业务党建深度融合", "党建业务融合,创新"),
    ("先锋窗口", "打造“先锋窗口”提升政务服务温度", "政务服务,窗口"),
    ("书香机关", "“书香机关”建设推动学习型党组织", "理论学习,读书"),
    ("清风廉韵", "“清风廉韵”廉洁文化进机关", "廉洁文化,警示教育"),
    ("党建+志愿", "“党建+志愿”服务进社区", "志愿服务,社区"),
    ("初心课堂", "“初心课堂”创新党员教育方式", "党员教育,课堂"),
    ("红色阵地", "用好红色阵地讲好党的故事", "阵地建设,红色教育"),
    ("攻坚先锋", "党员先锋队攻坚重点项目", "重点项目,先锋队"),
    ("智慧党建", "“智慧党建”平台赋能组织生活", "信息化,组织生活"),
    ("青年理论", "青年理论学习小组“五学”工作法", "青年,理论学习"),
    ("四强支部", "“四强”党支部创建三年行动", "支部建设,标准化"),
    ("群众满意", "“群众满意”服务承诺践诺", "作风建设,服务承诺"),
)
# each expert's total per case (reviewer1, reviewer2), distinct around the quota line
TOTALS = (
    (92, 88),
    (85, 83),
    (78, 80),
    (88, 91),
    (70, 74),
    (81, 79),
    (66, 70),
    (90, 86),
    (75, 72),
    (69, 65),
    (83, 78),
    (72, 76),
)


def _points(total: int) -> list[int]:
    """`total` spread over the criteria in proportion to their points (rounded, last takes
    the rest)."""
    weights = [int(str(c["points"])) for c in CRITERIA]
    points = [round(total * w / sum(weights)) for w in weights[:-1]]
    points.append(total - sum(points))
    return points


def _liaison(admin: Actor, liaisons: dict[int, Actor], unit: Unit) -> Actor:
    own = liaisons.get(unit.pk)
    if own is not None:
        return own
    roles = frozenset({Role.UNIT_ADMIN})
    return Actor(user=admin.user, roles=roles, unit_roles={unit.pk: roles})


def load_demo_cases(committee: Committee) -> CaseCall:
    """The demo call, complete with its twelve cases scored and four selected."""
    admin = actor_for(User.objects.get(username="gw_admin"))
    liaisons: dict[int, Actor] = {}
    for username in ("unit001_admin", "unit002_admin"):
        actor = actor_for(User.objects.get(username=username))
        liaisons.update({uid: actor for uid in actor.units_with(Role.UNIT_ADMIN)})
    units = list(Unit.objects.filter(committee=committee, is_active=True).order_by("sort_order"))
    call = services.call_create(
        committee=committee,
        values={
            "title": f"{YEAR}年度机关党建品牌案例征集",
            "year": YEAR,
            "deadline": DEADLINE,
            "per_unit_limit": 1,
            "criteria": CRITERIA,
            "quota": QUOTA,
            "notes": "每个单位报送1个党建品牌案例，正文3000字以内，可附图片以外的佐证材料。",
        },
        actor=admin,
    )
    call = services.call_transition(call=call, action="open", actor=admin, today=OPENED_ON)
    cases = []
    for unit, (brand, title, tags) in zip(units, CASES, strict=False):
        liaison = _liaison(admin, liaisons, unit)
        case = services.case_save(
            call=call,
            unit=unit,
            data=services.CaseInput(
                title=title,
                brand=brand,
                summary=f"{unit.name}以“{brand}”品牌为抓手，推动机关党建与中心工作深度融合，"
                "形成了可复制、可推广的经验做法。",
                body=(
                    f"一、基本做法\n{unit.name}党组织围绕“{brand}”品牌，健全工作机制，"
                    "明确责任分工，把品牌创建融入日常工作。\n"
                    "二、主要成效\n党员先锋模范作用充分发挥，服务群众能力明显提升，"
                    "中心工作任务圆满完成。\n"
                    "三、经验启示\n坚持党建引领、问题导向、久久为功，品牌才有生命力。"
                ),
                tags=tags,
            ),
            actor=liaison,
            today=SUBMITTED_ON,
        )
        cases.append(services.case_submit(case=case, actor=liaison, today=SUBMITTED_ON))
    call = services.call_transition(call=call, action="review", actor=admin, today=DEADLINE)
    experts = list(
        User.objects.filter(username__in=["reviewer1", "reviewer2"]).order_by("username")
    )
    panel.panel_draw(call=call, size=len(experts), seed=f"demo-cases-{YEAR}", actor=admin)
    for case, totals in zip(cases, TOTALS, strict=False):
        for expert, total in zip(experts, totals, strict=True):
            panel.case_score(
                case=case,
                points=_points(total),
                comment="特色鲜明，成效可见。",
                actor=actor_for(expert),
            )
    panel.panel_close(call=call, actor=admin)
    return services.call_transition(call=call, action="publish", actor=admin, today=PUBLISHED_ON)
