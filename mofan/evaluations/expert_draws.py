"""An expert panel drawn from a committee's reviewers (评审专家库), for the selections that
score with experts (honours' expert panel, cases' call panel): one draw of `size` people with
`draws.pick_reviewers`, its seed, the pool and each expert's home units recorded so that anyone
holding the record can repeat it (`redraw`). Refusals are Chinese `ValidationError`s."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.evaluations import draws
from mofan.evaluations.review_groups import home_units, reviewers_of_committee

MAX_SEED = 64


@dataclass(frozen=True)
class ExpertDraw:
    seed: str
    pool: list[User]  # the committee's active reviewers at the draw
    homes: Mapping[int, frozenset[int]]  # each one's units (回避)
    drawn: list[int]  # the drawn experts' ids, ascending

    def pool_record(self) -> dict[str, list[int]]:
        """The pool as stored on a panel: expert id → home units."""
        return {str(u.pk): sorted(self.homes[u.pk]) for u in self.pool}

    def experts(self) -> list[User]:
        drawn = set(self.drawn)
        return [u for u in self.pool if u.pk in drawn]


def draw_experts(*, committee_id: int, size: int, seed: str | None = None) -> ExpertDraw:
    """Draw `size` experts from the committee's active reviewers; a blank seed is made."""
    pool = list(reviewers_of_committee(committee_id))
    if size < 1:
        raise ValidationError(_("请至少抽取1名专家。"))
    if size > len(pool):
        raise ValidationError(
            _("评审专家不足：需要抽取%(n)d名，本工委评审专家库只有%(m)d名。")
            % {"n": size, "m": len(pool)}
        )
    seed = (seed or "").strip() or draws.make_seed()
    if len(seed) > MAX_SEED:
        raise ValidationError(_("随机种子不超过64个字符。"))
    candidates = [draws.Candidate(id=u.pk, home_unit_id=None) for u in pool]
    try:
        picked = draws.pick_reviewers(reviewers=candidates, groups=1, per_group=size, seed=seed)
    except draws.DrawError as exc:
        raise ValidationError(str(exc)) from exc
    return ExpertDraw(
        seed=seed, pool=pool, homes=home_units([u.pk for u in pool]), drawn=sorted(picked[0])
    )


def redraw(*, pool: Mapping[str, object], size: int, seed: str) -> list[int]:
    """A recorded draw repeated from its pool and seed: equals the experts it drew."""
    candidates = [draws.Candidate(id=int(uid), home_unit_id=None) for uid in pool]
    picked = draws.pick_reviewers(reviewers=candidates, groups=1, per_group=size, seed=seed)
    return sorted(picked[0])
