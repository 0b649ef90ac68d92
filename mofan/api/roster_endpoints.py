"""The roster sync operations: a sheet is checked in the request (400 with every fault by row)
and written by a worker (202 with the sync's address); the caller reads the sync until it is
done (`roster_tasks.py`)."""

# No `from __future__ import annotations`: django-ninja reads the signatures at run time.
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Status

from mofan.accounts.access import Actor
from mofan.api import endpoints_read
from mofan.api.auth import actor, read_auth, write_auth
from mofan.api.models import RosterSync, SyncKind
from mofan.api.roster import RosterRefused
from mofan.api.roster_tasks import refused_text, roster_sync_request, sync_read
from mofan.api.schemas import (
    Error,
    ImportErrors,
    PartyOrgsIn,
    RosterIn,
    RosterSyncOut,
    UnitsIn,
)
from mofan.organizations import selectors as org_selectors
from mofan.organizations.models import Committee, Unit

router = endpoints_read.router
ANSWERS = {202: RosterSyncOut, 400: ImportErrors, 401: Error, 403: Error, 404: Error, 429: Error}
HOW = (
    "先检查全部行，任何一行有误则整批不写入，返回每个错误的行号（表头为第 1 行）；检查通过则"
    "交由后台任务写入，立即返回 202 及本次同步的查询地址（Location），读取该地址直到状态为"
    " done（已完成，附新增、更新、未改动的行数）或 failed（失败，附原因；写入前复核发现的"
    "行错误同样按行列出，整批未写入）。"
)


def sync_out(sync: RosterSync) -> dict[str, Any]:
    return {
        "id": sync.pk,
        "kind": sync.kind,
        "state": sync.state,
        "total": sync.total,
        "created": sync.created,
        "updated": sync.updated,
        "unchanged": sync.unchanged,
        "detail": sync.error,
        "errors": sync.errors or [],
        "created_at": sync.created_at,
        "finished_at": sync.finished_at,
        "url": reverse("api:roster_sync", args=[sync.pk]),
    }


def _handed(
    response: HttpResponse,
    who: Actor,
    *,
    kind: str,
    committee: Committee,
    unit: Unit | None,
    rows: list[Any],
) -> Any:
    try:
        sync = roster_sync_request(kind=kind, committee=committee, unit=unit, rows=rows, actor=who)
    except RosterRefused as refused:
        return Status(400, {"detail": refused_text(), "errors": refused.errors})
    body = sync_out(sync)
    response["Location"] = body["url"]
    return Status(202, body)


def _unit_sheet(
    request: Any, response: HttpResponse, kind: str, unit_id: int, rows: list[Any]
) -> Any:
    """A unit's sheet (members, party organisations), from its roster's editor only (404)."""
    who = actor(request)
    editable = org_selectors.units_whose_roster_editable_by(who).select_related("committee")
    unit = get_object_or_404(editable, pk=unit_id)
    return _handed(response, who, kind=kind, committee=unit.committee, unit=unit, rows=rows)


@router.post(
    "/roster/members",
    auth=write_auth,
    tags=["写入"],
    response=ANSWERS,
    summary="同步单位党员花名册",
    description="按行（与 xlsx 花名册相同的列）导入："
    + HOW
    + "按姓名匹配已有成员则更新，否则新增；与已存信息完全相同的行不改动（计入 unchanged）。",
)
def roster_members(request: Any, response: HttpResponse, body: RosterIn) -> Any:
    return _unit_sheet(request, response, SyncKind.MEMBERS, body.unit_id, body.rows)


@router.post(
    "/roster/units",
    auth=write_auth,
    tags=["写入"],
    response=ANSWERS,
    summary="同步工委的单位名册",
    description="工委管理员按行导入本工委的单位："
    + HOW
    + "按单位全称匹配已有单位则更新，否则新增；与已存信息完全相同的行不改动（计入 unchanged）。",
)
def roster_units(request: Any, response: HttpResponse, body: UnitsIn) -> Any:
    who = actor(request)
    committee = org_selectors.committee_administered_by(who)
    return _handed(
        response, who, kind=SyncKind.UNITS, committee=committee, unit=None, rows=body.rows
    )


@router.post(
    "/roster/party-organisations",
    auth=write_auth,
    tags=["写入"],
    response=ANSWERS,
    summary="同步单位的党组织",
    description="按行导入单位的党组织（上级组织写在下级之前）："
    + HOW
    + "按名称匹配已有组织则更新，否则新增。",
)
def roster_party_organisations(request: Any, response: HttpResponse, body: PartyOrgsIn) -> Any:
    return _unit_sheet(request, response, SyncKind.PARTY_ORGS, body.unit_id, body.rows)


@router.get(
    "/roster/syncs/{sync_id}",
    auth=read_auth,
    tags=["写入"],
    url_name="roster_sync",
    response={200: RosterSyncOut, 401: Error, 403: Error, 404: Error, 429: Error},
    summary="查询名册同步的进度与结果",
    description="只能查询本账号提交的同步。排队或进行中超过一小时的同步视为中断，标记为失败。",
)
def roster_sync(request: Any, sync_id: int) -> Any:
    try:
        return sync_out(sync_read(actor(request), sync_id))
    except RosterSync.DoesNotExist:
        raise Http404 from None
