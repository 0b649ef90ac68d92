"""The API's typed shapes (pydantic through django-ninja): what each endpoint returns and takes.
The OpenAPI document is generated from these and the endpoints' signatures."""

# No `from __future__ import annotations`: django-ninja reads the signatures at run time.
import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


def example(**values: Any) -> ConfigDict:
    """A schema-level example: Swagger UI on the docs page shows it and pre-fills "Try it out"
    with it (OpenAPI 3.1 `examples`)."""
    return ConfigDict(json_schema_extra={"examples": [values]})


class Error(Schema):
    detail: str = Field(..., examples=["您无权进行此操作。"])


class RowError(Schema):
    model_config = example(row=3, message="第 3 行：性别只能是“男”或“女”。")

    row: int = Field(..., description="行号，与 xlsx 表格一致（表头为第 1 行）")
    message: str


class ImportErrors(Schema):
    model_config = example(
        detail="导入未执行：有 1 行数据有误，整批未写入。",
        errors=[{"row": 3, "message": "第 3 行：性别只能是“男”或“女”。"}],
    )

    detail: str
    errors: list[RowError]


class UnitOut(Schema):
    model_config = example(
        id=12,
        committee_id=1,
        name="中共某市发展和改革委员会",
        short_name="市发改委",
        credit_code="11110000000000000X",
        category="government",
        is_active=True,
    )

    id: int
    committee_id: int
    name: str
    short_name: str
    credit_code: str
    category: str
    is_active: bool


class PartyOrgOut(Schema):
    model_config = example(
        id=31,
        unit_id=12,
        parent_id=30,
        kind="branch",
        name="综合处党支部",
        secretary_id=204,
        elected_on="2024-06-18",
        election_due_on="2027-06-18",
    )

    id: int
    unit_id: int
    parent_id: int | None
    kind: str
    name: str
    secretary_id: int | None
    elected_on: datetime.date | None
    election_due_on: datetime.date | None


class MemberOut(Schema):
    model_config = example(
        id=204,
        unit_id=12,
        party_org_id=31,
        name="张三",
        gender="1",
        birth_date="1985-03-02",
        political_status="01",
        post="处长",
        phone="010-12345678",
    )

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
    model_config = example(
        id=3,
        committee_id=1,
        name="2026 年度模范机关创建",
        year=2026,
        status="open",
        cadence="annual",
        submission_deadline="2026-11-30T17:00:00+08:00",
        results_published=False,
        ranking_published=False,
    )

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
    model_config = example(
        id=45, campaign_id=3, unit_id=12, state="in_progress", submitted_at=None, version=2
    )

    id: int
    campaign_id: int
    unit_id: int
    state: str
    submitted_at: datetime.datetime | None
    version: int


class SelfScoreOut(Schema):
    model_config = example(
        node_id=345,
        node_code="1.2.3",
        input={"value": "8"},
        score="8.00",
        level="",
        veto=False,
        narrative="全年开展理论学习 12 次。",
        version=3,
        updated_at="2026-10-09T10:30:00+08:00",
    )

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
    model_config = example(input={"value": "8"}, narrative="全年开展理论学习 12 次。", version=3)

    input: dict[str, str] = Field(
        ...,
        description='末级指标的填报内容，字段名与自评表单相同，如 {"value": "8"}',
        examples=[{"value": "8"}],
    )
    narrative: str = Field("", max_length=2000)
    version: int | None = Field(
        None, description="上次读取到的版本号（首次填报为 null）；已被他人修改时返回 409"
    )


class ProblemItemOut(Schema):
    model_config = example(
        id=7,
        unit_id=12,
        source="committee_check",
        description="三会一课记录不完整",
        severity="general",
        required_measures="补齐会议记录并建立台账",
        responsible_person="李四",
        deadline="2026-12-31",
        state="open",
        measures="",
        done_report="",
        version=1,
        created_at="2026-09-01T09:00:00+08:00",
    )

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
    model_config = example(
        action="submit_measures",
        version=1,
        measures="逐月核对会议记录，由支部书记签字确认。",
        report="",
        evidence_ids=[],
        reason="",
    )

    action: str = Field(..., examples=["submit_measures"])
    version: int | None = None
    measures: str = Field("", max_length=5000)
    report: str = Field("", max_length=5000)
    evidence_ids: list[int] = []
    reason: str = Field("", max_length=2000)


class ActivityRecordOut(Schema):
    model_config = example(
        id=88,
        unit_id=12,
        party_org_id=31,
        kind_id=2,
        held_on="2026-10-15",
        topic="学习贯彻党的二十届四中全会精神",
        hours="2.0",
        political_theory=True,
        version=1,
    )

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
    model_config = example(
        party_org_id=31,
        kind_id=2,
        held_on="2026-10-15",
        topic="学习贯彻党的二十届四中全会精神",
        hours="2.0",
        political_theory=True,
        minutes="支部书记领学，全体党员交流发言。",
        present=[204, 205],
        absent={"206": "出差"},
        evidence=[],
    )

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
    model_config = example(
        id=501,
        unit_id=12,
        original_name="支部学习记录.pdf",
        kind="pdf",
        size=182044,
        sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        created=True,
    )

    id: int
    unit_id: int
    original_name: str
    kind: str
    size: int
    sha256: str
    created: bool


class ResultRow(Schema):
    model_config = example(
        unit_id=12,
        unit_name="中共某市发展和改革委员会",
        rank=1,
        rank_band="前 10%",
        self_total="95.50",
        review_total="93.00",
        composite="93.75",
        grade="优秀",
        veto=False,
        advanced=True,
        frozen=True,
    )

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
    model_config = example(
        unit_id=12,
        rows=[
            {
                "party_org": "综合处党支部",
                "name": "张三",
                "gender": "男",
                "birth_date": "1985-03-02",
                "political_status": "中共党员",
                "post": "处长",
                "phone": "010-12345678",
            }
        ],
    )

    unit_id: int
    rows: list[RosterRow]


class RosterSyncOut(Schema):
    """A roster sheet handed to a worker: where it stands and, when done, what it wrote."""

    model_config = example(
        id=17,
        kind="members",
        state="done",
        total=3,
        created=1,
        updated=1,
        unchanged=1,
        detail="",
        errors=[],
        created_at="2026-12-07T09:30:00+08:00",
        finished_at="2026-12-07T09:30:02+08:00",
        url="/api/v1/roster/syncs/17",
    )

    id: int
    kind: str = Field(..., description="members 党员花名册 / units 单位名册 / party_orgs 党组织")
    state: str = Field(
        ..., description="queued 排队中 / running 进行中 / done 已完成 / failed 失败"
    )
    total: int = Field(..., description="表中的数据行数")
    created: int = Field(..., description="新增的行数（完成后）")
    updated: int = Field(..., description="更新的行数（完成后）")
    unchanged: int = Field(
        ..., description="与已存信息完全相同、未改动的行数（完成后；党组织为 0）"
    )
    detail: str = Field(..., description="失败的原因（中文）；未失败时为空")
    errors: list[RowError] = Field(
        ..., description="失败时：复核发现的各行错误（行号同 xlsx，表头为第 1 行）"
    )
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    url: str = Field(..., description="本次同步的查询地址，完成前请每隔数秒读取一次")


class UnitRow(Schema):
    """One row of the committee's unit sheet."""

    name: str = Field(..., description="单位全称（按全称匹配已有单位）")
    short_name: str = Field("", description="简称")
    credit_code: str = Field("", description="统一社会信用代码")
    category: str = Field("政府部门", description="单位类别，如 党委部门、政府部门、事业单位")


class UnitsIn(Schema):
    model_config = example(
        rows=[
            {
                "name": "中共某市发展和改革委员会",
                "short_name": "市发改委",
                "credit_code": "11110000000000000X",
                "category": "政府部门",
            }
        ]
    )

    rows: list[UnitRow]


class PartyOrgRow(Schema):
    """One row of a unit's party-organisation sheet (上级组织 above its children)."""

    name: str = Field(..., description="组织名称（按名称匹配已有组织）")
    kind: str = Field(..., description="组织类型：机关党委、党总支、党支部、党小组")
    parent: str = Field("", description="上级组织名称（已有的，或本表靠前的行）；空为顶层")
    elected_on: str = Field("", description="选举日期 YYYY-MM-DD")


class PartyOrgsIn(Schema):
    model_config = example(
        unit_id=12,
        rows=[
            {"name": "机关党委", "kind": "机关党委", "parent": "", "elected_on": "2024-06-18"},
            {
                "name": "综合处党支部",
                "kind": "党支部",
                "parent": "机关党委",
                "elected_on": "2024-06-18",
            },
        ],
    )

    unit_id: int
    rows: list[PartyOrgRow]
