"""Initial passwords: shown once and downloadable once.

They are kept in the creator's server-side session only between creation and the first
download; displaying the page marks them as shown, downloading removes them. (A background
batch keeps them encrypted on its row until its requester collects them into the session:
`accounts/batches.py`.)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.accounts.sheets import one_sheet_workbook

SESSION_KEY = "mofan_initial_credentials"


def row(*, unit: object, full_name: str, username: str, role: str, initial: str) -> dict[str, str]:
    """One account's line of the credentials table."""
    return {
        "unit": str(unit) if unit else "",
        "full_name": full_name,
        "username": username,
        "role": str(Role(role).label) if role else "",
        "initial": initial,
    }


def stash(request: HttpRequest, created: list[tuple[User, str]]) -> None:
    rows = []
    for user, password in created:
        assignment = user.role_assignments.select_related("unit").first()
        rows.append(
            row(
                unit=assignment.unit if assignment else None,
                full_name=user.full_name,
                username=user.username,
                role=assignment.role if assignment else "",
                initial=password,
            )
        )
    stash_rows(request, rows)


def stash_rows(request: HttpRequest, rows: list[dict[str, str]]) -> None:
    """Keep `rows` (see `row`) to be shown once and downloaded once."""
    request.session[SESSION_KEY] = {"rows": rows, "shown": False}


def take_for_display(request: HttpRequest) -> list[dict[str, Any]] | None:
    """The rows with their passwords the first time, None afterwards."""
    batch = request.session.get(SESSION_KEY)
    if not batch or batch["shown"]:
        return None
    batch["shown"] = True
    request.session[SESSION_KEY] = batch
    return list(batch["rows"])


def pending_download(request: HttpRequest) -> bool:
    return bool(request.session.get(SESSION_KEY))


def take_for_download(request: HttpRequest) -> bytes | None:
    batch = request.session.pop(SESSION_KEY, None)
    if not batch:
        return None
    header = ["单位", "姓名", "用户名", "角色", "初始密码"]
    rows = [
        [row["unit"], row["full_name"], row["username"], row["role"], row["initial"]]
        for row in batch["rows"]
    ]
    # every value a literal string (a password may start with = or +)
    return one_sheet_workbook(
        title="初始密码", rows=[header, *rows], widths=(28, 12, 18, 14, 20), keep_text=True
    )
