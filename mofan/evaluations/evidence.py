"""Evidence of an enrollment: links of the unit's evidence files (`mofan.evidence`) to the leaf
indicators of its enrollments, locked once the self-evaluation is submitted."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts.access import Actor
from mofan.audit.services import audit_record
from mofan.campaigns.models import Enrollment, EnrollmentState
from mofan.evaluations.models import EvidenceLink
from mofan.evidence.models import Evidence
from mofan.evidence.services import require_unit_admin
from mofan.indicators.models import IndicatorNode

# Once submitted, the self-evaluation (and the evidence it points to) is locked.
LOCKED_STATES = frozenset(
    {EnrollmentState.SUBMITTED, EnrollmentState.REVIEWED, EnrollmentState.APPROVED}
)


def _link_data(link: EvidenceLink, node: IndicatorNode) -> dict[str, Any]:
    return {
        "evidence": link.evidence_id,
        "enrollment": link.enrollment_id,
        "node": node.pk,
        "code": node.code,
    }


def _locked_enrollment(enrollment: Enrollment) -> Enrollment:
    """The enrollment row, locked for the transaction (PostgreSQL; SQLite's IMMEDIATE
    transactions already serialise writers), refused when the self-evaluation is locked."""
    current = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=enrollment.pk)
    )
    if current.state == EnrollmentState.WITHDRAWN:
        raise ValidationError(_("本单位已退出本活动，佐证材料的关联不能再修改。"))
    if current.state in LOCKED_STATES:
        raise ValidationError(
            _("自评已提交（%(state)s），佐证材料的关联已锁定；如需修改，请联系工委退回。")
            % {"state": current.get_state_display()}
        )
    return current


def evidence_link(
    *, evidence: Evidence, enrollment: Enrollment, node: IndicatorNode, actor: Actor
) -> EvidenceLink:
    """Link one of the unit's files to a leaf indicator of one of its enrollments.

    Linking the same file to the same indicator twice returns the existing link."""
    require_unit_admin(actor, enrollment.unit_id)
    with transaction.atomic():
        current = _locked_enrollment(enrollment)
        campaign = current.campaign
        if evidence.unit_id != current.unit_id:
            raise ValidationError(_("只能关联本单位上传的佐证材料。"))
        if node.version_id != campaign.indicator_version_id:
            raise ValidationError(_("该指标不属于本次创建活动所用的指标体系。"))
        if IndicatorNode.objects.filter(parent_id=node.pk).exists():
            raise ValidationError(_("佐证材料只能关联到末级指标（考评要点）。"))
        existing = EvidenceLink.objects.filter(
            evidence=evidence, enrollment=current, node=node
        ).first()
        if existing is not None:
            return existing
        if evidence.size > campaign.evidence_max_mb * 1024 * 1024:
            raise ValidationError(
                _("该文件超过本次活动的佐证文件大小上限（%(n)d MB）。")
                % {"n": campaign.evidence_max_mb}
            )
        cap = campaign.evidence_cap_per_indicator
        if cap is not None:
            count = EvidenceLink.objects.filter(enrollment=current, node=node).count()
            if count >= cap:
                raise ValidationError(
                    _("指标「%(code)s」最多可关联 %(cap)d 份佐证材料，请先移除不需要的材料。")
                    % {"code": node.code, "cap": cap}
                )
        link = EvidenceLink.objects.create(evidence=evidence, enrollment=current, node=node)
        audit_record(
            action="evidence.link",
            actor=actor.user,
            target=link,
            after=_link_data(link, node),
            extra={"name": evidence.original_name, "sha256": evidence.sha256},
        )
    return link


def evidence_unlink(*, link: EvidenceLink, actor: Actor) -> None:
    enrollment = link.enrollment
    require_unit_admin(actor, enrollment.unit_id)
    with transaction.atomic():
        _locked_enrollment(enrollment)
        node = link.node
        before = _link_data(link, node)
        link_id = link.pk
        deleted, _count = EvidenceLink.objects.filter(pk=link_id).delete()
        if not deleted:
            return
        audit_record(
            action="evidence.unlink",
            actor=actor.user,
            object_type=EvidenceLink._meta.label_lower,
            object_id=link_id,
            before=before,
        )
