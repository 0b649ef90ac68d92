"""The API's typed shapes (pydantic through django-ninja): what each endpoint returns and takes.
The OpenAPI document is generated from these and the endpoints' signatures."""

# No `from __future__ import annotations`: django-ninja reads the signatures at run time.
import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class Error(Schema):
    detail: str = Field(..., examples=["您无权进行此操作。"])


class RowError(Schema):
    row: int = Field(..., description="xlsx-shaped row number (the header is row 1)")
    message: str


class ImportErrors(Schema):
    detail: str
    errors: list[RowError]


class UnitOut(Schema):
    id: int
    committee_id: int
    name: str
    short_name: str
    credit_code: str
    category: str
    is_active: bool


class PartyOrgOut(Schema):
    id: int
    unit_id: int
    parent_id: int | None
    kind: str
    name: str
    secretary_id: int | None
    elected_on: datetime.date | None
    election_due_on: datetime.date | None


class MemberOut(Schema):
    id: int
    unit_id: int
    party_org_id: int | None
    name: str
    gender: str
    birth_date: datetime.date | None
    political_status: str
    post: str
    phone: str


class CampaignOut(Schema):
    id: int
    committee_id: int
    name: str
    year: int
    status: str
    cadence: str
    submission_deadline: datetime.datetime | None
    results_published: bool
    ranking_published: bool


class EnrollmentOut(Schema):
    id: int
    campaign_id: int
    unit_id: int
    state: str
    submitted_at: datetime.datetime | None
    version: int


class SelfScoreOut(Schema):
    node_id: int
    node_code: str = Field(..., alias="node.code")
    input: dict[str, Any]
    score: Decimal | None
    level: str
    veto: bool
    narrative: str
    version: int
    updated_at: datetime.datetime


class SelfScoreIn(Schema):
    input: dict[str, str] = Field(
        ...,
        description='the leaf\'s input as the self-evaluation form names it, e.g. {"value": "8"}',
        examples=[{"value": "8"}],
    )
    narrative: str = Field("", max_length=2000)
    version: int | None = Field(
        None, description="the version last read (null for a first save); a stale one is a 409"
    )


class ProblemItemOut(Schema):
    id: int
    unit_id: int
    source: str
    description: str
    severity: str
    required_measures: str
    responsible_person: str
    deadline: datetime.date
    state: str
    measures: str
    done_report: str
    version: int
    created_at: datetime.datetime


class TransitionIn(Schema):
    action: str = Field(..., examples=["submit_measures"])
    version: int | None = None
    measures: str = Field("", max_length=5000)
    report: str = Field("", max_length=5000)
    evidence_ids: list[int] = []
    reason: str = Field("", max_length=2000)


class ActivityRecordOut(Schema):
    id: int
    unit_id: int
    party_org_id: int
    kind_id: int
    held_on: datetime.date
    topic: str
    hours: Decimal | None
    political_theory: bool | None
    version: int


class ActivityRecordIn(Schema):
    party_org_id: int
    kind_id: int
    held_on: datetime.date
    topic: str = Field(..., max_length=200)
    hours: Decimal | None = Field(None, ge=0, le=200)
    political_theory: bool | None = None
    minutes: str = Field("", max_length=20000)
    present: list[int] = []
    absent: dict[int, str] = {}
    evidence: list[int] = []


class EvidenceOut(Schema):
    id: int
    unit_id: int
    original_name: str
    kind: str
    size: int
    sha256: str
    created: bool


class ResultRow(Schema):
    unit_id: int
    unit_name: str
    rank: int | None
    rank_band: str
    self_total: Decimal | None
    review_total: Decimal | None
    composite: Decimal | None
    grade: str
    veto: bool
    advanced: bool
    frozen: bool


class RosterRow(Schema):
    """One row of the roster sheet (the 组织部 system's columns)."""

    party_org: str = Field("", description="所在党组织名称（须已存在于该单位）")
    name: str = Field(..., description="姓名")
    gender: str = Field(..., description="性别：男 / 女")
    birth_date: str = Field("", description="出生日期 YYYY-MM-DD")
    political_status: str = Field("中共党员", description="政治面貌")
    post: str = Field("", description="职务")
    phone: str = Field("", description="联系电话")


class RosterIn(Schema):
    unit_id: int
    rows: list[RosterRow]


class RosterOut(Schema):
    created: int
    updated: int


class UnitRow(Schema):
    """One row of the committee's unit sheet."""

    name: str = Field(..., description="单位全称（按全称匹配已有单位）")
    short_name: str = Field("", description="简称")
    credit_code: str = Field("", description="统一社会信用代码")
    category: str = Field("政府部门", description="单位类别，如 党委部门、政府部门、事业单位")


class UnitsIn(Schema):
    rows: list[UnitRow]


class PartyOrgRow(Schema):
    """One row of a unit's party-organisation sheet (上级组织 above its children)."""

    name: str = Field(..., description="组织名称（按名称匹配已有组织）")
    kind: str = Field(..., description="组织类型：机关党委、党总支、党支部、党小组")
    parent: str = Field("", description="上级组织名称（已有的，或本表靠前的行）；空为顶层")
    elected_on: str = Field("", description="选举日期 YYYY-MM-DD")


class PartyOrgsIn(Schema):
    unit_id: int
    rows: list[PartyOrgRow]
