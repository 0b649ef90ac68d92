"""Write endpoints (read-write tokens only): each calls the very service the page calls, so the
checks of who may write, the state rules, the optimistic lock and the audit entry are the
pages'. The entry also names the token (core.request_context.api_token_name)."""

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import File, Form, Status
from ninja.files import UploadedFile

from mofan.activities.selectors import kinds_of_actor, own_member, person_kinds_for
from mofan.activities.services import RecordInput, activity_record_create
from mofan.api import endpoints_read
from mofan.api.auth import actor, write_auth
from mofan.api.schemas import (
    ActivityRecordIn,
    ActivityRecordOut,
    Error,
    EvidenceOut,
    ProblemItemOut,
    SelfScoreIn,
    SelfScoreOut,
    TransitionIn,
)
from mofan.evaluations import selectors as evaluation_selectors
from mofan.evaluations import services as evaluation_services
from mofan.evaluations.evidence_views import max_mb_for
from mofan.evaluations.inputs import checked_leaf_input
from mofan.evaluations.ledger_views import with_override
from mofan.evidence.services import evidence_upload
from mofan.indicators.models import IndicatorNode
from mofan.organizations import selectors as org_selectors
from mofan.rectification.selectors import problem_items_for
from mofan.rectification.services import problem_item_transition

# One router with the reads (a path read and written, e.g. /activity-records, is one URL);
# each write asks for the read-write scope.
router = endpoints_read.router
WRITE: dict[str, Any] = {"auth": write_auth, "tags": ["写入"]}
ANSWERS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 429: Error}


@router.put(
    "/enrollments/{int:enrollment_id}/self-scores/{int:node_id}",
    **WRITE,
    response={200: SelfScoreOut, **ANSWERS},
    summary="填报一项自评",
    description="单位联络员填报末级指标的自评；`version` 为上次读取到的版本（首次填报为 null），"
    "他人已先修改时返回 409，数据不被覆盖。",
)
def self_score_put(request: Any, enrollment_id: int, node_id: int, body: SelfScoreIn) -> Any:
    who = actor(request)
    enrollment = get_object_or_404(
        evaluation_selectors.enrollments_filled_by(who).select_related("campaign", "unit"),
        pk=enrollment_id,
    )
    node = get_object_or_404(
        IndicatorNode, pk=node_id, version_id=enrollment.campaign.indicator_version_id
    )
    value = with_override(node, enrollment, checked_leaf_input(node, body.input), body.input)
    score = evaluation_services.self_score_save(
        enrollment=enrollment,
        node=node,
        value=value,
        narrative=body.narrative.strip(),
        expected_version=body.version,
        actor=who,
    )
    score.node = node
    return score


@router.post(
    "/problem-items/{int:item_id}/transitions",
    **WRITE,
    response={200: ProblemItemOut, **ANSWERS},
    summary="问题整改流转",
    description="action：submit_measures 报送整改措施、accept_measures 同意、"
    "return_measures 退回、report_done 报告整改完成（evidence_ids 为本单位佐证材料）、"
    "verify 验收销号、reopen 退回重新整改。",
)
def problem_item_transition_post(request: Any, item_id: int, body: TransitionIn) -> Any:
    who = actor(request)
    item = get_object_or_404(problem_items_for(who), pk=item_id)
    return problem_item_transition(
        item=item,
        action=body.action,
        actor=who,
        expected_version=body.version,
        measures=body.measures,
        report=body.report,
        evidence_ids=body.evidence_ids,
        reason=body.reason,
    )


@router.post(
    "/evidence",
    **WRITE,
    response={201: EvidenceOut, 200: EvidenceOut, **ANSWERS},
    summary="上传佐证材料",
    description=(
        "与页面相同的类型、大小、内容检查和病毒扫描；同一单位上传相同内容返回已有文件（200）。"
    ),
)
def evidence_post(
    request: Any,
    unit_id: int = Form(..., description="上传到哪个单位（本账号管理的单位）", examples=[12]),
    file: UploadedFile = File(..., description="PDF、Word、Excel、JPEG 或 PNG 文件"),  # noqa: B008
) -> Any:
    who = actor(request)
    unit = get_object_or_404(org_selectors.units_administered_by(who), pk=unit_id)
    evidence, created = evidence_upload(unit=unit, upload=file, actor=who, max_mb=max_mb_for(unit))
    body = {
        "id": evidence.pk,
        "unit_id": evidence.unit_id,
        "original_name": evidence.original_name,
        "kind": evidence.kind,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "created": created,
    }
    return Status(201 if created else 200, body)


@router.post(
    "/activity-records",
    **WRITE,
    response={201: ActivityRecordOut, **ANSWERS},
    summary="登记活动",
    description=(
        "为可见单位的党组织登记一次活动（需读写令牌），校验与页面登记相同；"
        "kind_id 须为本账号可登记的活动类型。"
    ),
)
def activity_record_post(request: Any, body: ActivityRecordIn) -> Any:
    who = actor(request)
    org = get_object_or_404(
        org_selectors.party_orgs_for(who).select_related("unit"), pk=body.party_org_id
    )
    kinds = kinds_of_actor(who)
    member = own_member(who)
    if member is not None:  # a linked 党员 records their own service, study, ...
        kinds = kinds | person_kinds_for(member)
    kind = get_object_or_404(kinds, pk=body.kind_id)
    record = activity_record_create(
        data=RecordInput(
            party_org=org,
            kind=kind,
            held_on=body.held_on,
            topic=body.topic,
            hours=body.hours,
            political_theory=body.political_theory,
            minutes=body.minutes,
            present=body.present,
            absent=body.absent,
            evidence=body.evidence,
        ),
        actor=who,
    )
    return Status(201, record)
