"""The pure rules of a selection: who is eligible, how many may be named, and who is named.

No database access: the services feed them plain facts read from the records, so the same rules
are tested with generated inputs (tests/honours/test_rules.py)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from mofan.appraisals import rules as appraisal_rules
from mofan.appraisals.models import Level


# --- eligibility --------------------------------------------------------------------------------
def unit_refusals(grade: str | None, allowed: Collection[str]) -> list[str]:
    """Why a unit may not be put forward: its approved grade in the campaign is not among the
    allowed ones (no approved result at all counts as no grade)."""
    if not allowed:
        return []
    if not grade:
        return [_("该单位在所依据的创建活动中没有审定结果。")]
    if grade not in allowed:
        return [_("该单位审定等次为“%(grade)s”，不在参评等次之内。") % {"grade": grade}]
    return []


def org_refusals(
    *, has_file_card: bool, yellow_card: bool, require_file_card: bool, exclude_yellow_card: bool
) -> list[str]:
    """Why a party organisation may not be put forward: no file card (建档立卡: a secretary and
    an election date on file) where one is required, an active yellow card where excluded."""
    reasons = []
    if require_file_card and not has_file_card:
        reasons.append(_("该党组织未建档立卡（书记或选举日期未登记）。"))
    if exclude_yellow_card and yellow_card:
        reasons.append(_("该党组织处于黄牌警示期间。"))
    return reasons


def person_refusals(
    *,
    on_roster: bool,
    post: str,
    required_post: str,
    appraisal_level: str | None = None,
    required_appraisal: str = "",
) -> list[str]:
    """Why a person may not be put forward: not on the unit's roster, the post lacks the
    required text, or the person's 述职评议 result (`appraisal_level`, None without one) is
    below the required level (`required_appraisal`, "" for none; `appraisals.rules.meets`)."""
    reasons = []
    if not on_roster:
        reasons.append(_("该人员不在本单位成员名册中。"))
    if required_post and required_post not in post:
        reasons.append(_("该人员职务不含“%(post)s”。") % {"post": required_post})
    if not appraisal_rules.meets(appraisal_level, required_appraisal):
        wanted = Level(required_appraisal).label
        if appraisal_level is None:
            reasons.append(_("该人员没有述职评议结果（须达到“%(level)s”）。") % {"level": wanted})
        else:
            reasons.append(
                _("该人员述职评议结果为“%(got)s”，未达到“%(level)s”。")
                % {"got": Level(appraisal_level).label, "level": wanted}
            )
    return reasons


# --- quota -------------------------------------------------------------------------------------
def quota_of(kind: str, value: int, nominations: int) -> int:
    """How many may be named: a fixed count, or a share (per cent) of the nominations, rounded
    down and at least one while there is a nomination. Never more than the nominations."""
    if nominations <= 0:
        return 0
    seats = max(1, nominations * min(value, 100) // 100) if kind == "share" else value
    return max(0, min(seats, nominations))


# --- selection ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    id: int
    score: Decimal | None
    vetoed: bool = False


@dataclass(frozen=True)
class Selection:
    """Who is named (`named`), who is tied across the quota line and waits for the committee's
    choice (`tied`, with `open_seats` left for them), and who may not be named at all
    (`vetoed`, `unscored`)."""

    named: tuple[int, ...]
    tied: tuple[int, ...]
    open_seats: int
    vetoed: tuple[int, ...]
    unscored: tuple[int, ...]

    @property
    def decided(self) -> bool:
        return not self.tied and not self.unscored


def select(candidates: Iterable[Candidate], quota: int, choice: Collection[int] = ()) -> Selection:
    """The named within the quota by score, highest first. Vetoed candidates are never named;
    unscored ones wait for a score. When the quota line falls inside a group of equal scores,
    the group is surfaced (`tied`) unless `choice` names exactly as many of the group as there
    are seats left, in which case those are named."""
    pool = list(candidates)
    vetoed = tuple(c.id for c in pool if c.vetoed)
    unscored = tuple(c.id for c in pool if not c.vetoed and c.score is None)
    ranked: Sequence[Candidate] = sorted(
        (c for c in pool if not c.vetoed and c.score is not None),
        key=lambda c: (-(c.score or 0), c.id),
    )
    quota = max(0, quota)
    if len(ranked) <= quota:
        return Selection(tuple(c.id for c in ranked), (), 0, vetoed, unscored)
    if quota == 0:
        return Selection((), (), 0, vetoed, unscored)
    line = ranked[quota - 1].score
    above = [c.id for c in ranked if c.score is not None and line is not None and c.score > line]
    at = [c.id for c in ranked if c.score == line]
    seats = quota - len(above)
    if len(at) <= seats:
        return Selection(tuple(above + at), (), 0, vetoed, unscored)
    chosen = [cid for cid in at if cid in set(choice)]
    if len(chosen) == seats:
        return Selection(tuple(above + chosen), (), 0, vetoed, unscored)
    return Selection(tuple(above), tuple(at), seats, vetoed, unscored)
