"""`manage.py export CAMPAIGN_ID EXPORTER [--unit UNIT_ID] --format FMT -o FILE [--user USERNAME]`
runs any registered export (tables and official documents) without the browser, e.g. from a
scheduled job; `manage.py export --list` names every export with its formats.

The export reads through the same scoped selectors as the pages: with `--user` it sees what
that account sees (and is refused what the account may not export); without it, it acts as the
system for the campaign's committee, an actor holding the committee-admin role of that
committee only (`reports.actors.system_actor`). Every run is audited as `report.export` (actor
"system" without --user), refusals too. The file is written to a temporary file beside the
target and renamed into place, so a failure never leaves a partial file. Errors (unknown
export, format, campaign, unit or user; no permission) are reported in Chinese with exit
status 1 and nothing written.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mofan.accounts.access import Actor, actor_for
from mofan.accounts.models import User
from mofan.audit.models import AuditResult
from mofan.audit.services import audit_record
from mofan.campaigns.models import Campaign, Enrollment
from mofan.core.exports import registry
from mofan.core.exports.base import Export, Exporter
from mofan.organizations.models import Unit
from mofan.reports.actors import audit_identity, system_actor
from mofan.reports.render import UnsupportedFormat, render


def _one_line(exc: ValidationError) -> str:
    """A document's refusal (raised while it is checked or built) as one line of Chinese."""
    return "；".join(str(message) for message in exc.messages)


def _id(raw: str | None, what: str) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise CommandError(f"{what}编号应为整数：{raw}") from None
    if value <= 0:
        raise CommandError(f"{what}编号应为正整数：{raw}")
    return value


class Command(BaseCommand):
    help = (
        "Export a campaign's report or official document to a file (xlsx, csv, docx, pdf, "
        "zip) without the browser; --list names every export and its formats. Without --user "
        "the export runs as the system for the campaign's committee (the committee "
        "administrator's view) and is audited as report.export with actor 'system'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign", nargs="?", help="the campaign's id")
        parser.add_argument("exporter", nargs="?", help="the export's identifier (see --list)")
        parser.add_argument("--list", action="store_true", help="list the exports and formats")
        parser.add_argument("--unit", help="the unit's id (needed by per-unit exports)")
        parser.add_argument("--format", dest="fmt", help="xlsx, csv, docx, pdf or zip")
        parser.add_argument("-o", "--output", help="the file to write")
        parser.add_argument(
            "--user",
            help="export as this account, with its permissions (default: the system, acting "
            "as the committee administrator of the campaign's committee)",
        )
        parser.add_argument("--today", help="YYYY-MM-DD: the day overdue flags are computed for")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        if options["list"]:
            self._list()
            return
        if not options["campaign"] or not options["exporter"]:
            raise CommandError("请指定创建活动编号和报表标识；用 --list 查看可导出的报表。")
        identifier = options["exporter"]
        try:
            cls = registry.get(identifier)
        except LookupError:
            known = "、".join(e.identifier for e in registry.all_exports())
            raise CommandError(f"没有标识为“{identifier}”的报表。可用：{known}。") from None
        fmt = options["fmt"]
        formats = "、".join(cls.formats)
        if not fmt:
            raise CommandError(f"请用 --format 指定格式（{formats}）。")
        if fmt not in cls.formats:
            raise CommandError(f"“{cls.label}”不支持 {fmt} 格式，可用：{formats}。")
        if not options["output"]:
            raise CommandError("请用 -o 指定输出文件。")
        target = Path(options["output"])
        if not target.parent.is_dir():
            raise CommandError(f"输出目录不存在：{target.parent}")
        if target.is_dir():
            raise CommandError(f"输出路径是一个目录：{target}")

        campaign_id = _id(options["campaign"], "创建活动") or 0
        campaign = Campaign.objects.select_related("committee").filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"没有编号为 {campaign_id} 的创建活动。")
        unit = self._unit(campaign, _id(options["unit"], "单位"))
        if cls.per_unit and unit is None:
            raise CommandError(f"“{cls.label}”按单位导出，请用 --unit 指定单位。")
        actor = self._actor(campaign, options["user"])

        export = cls(campaign=campaign, actor=actor, unit=unit)
        if options["today"]:
            try:
                export.today = dt.date.fromisoformat(options["today"])  # type: ignore[attr-defined]
            except ValueError:
                raise CommandError("--today 的格式应为 YYYY-MM-DD。") from None
        try:
            export.check()
        except PermissionDenied as exc:
            self._audit(export, fmt, result=AuditResult.DENIED, reason=str(exc))
            raise CommandError(f"无权导出：{exc}") from None
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(_one_line(exc)) from None
        rows = self._write(export, fmt, target)
        size = f"{rows} 行" if isinstance(export, Exporter) else f"{target.stat().st_size} 字节"
        self.stdout.write(f"已导出“{export.title()}”（{fmt}，{size}）到 {target}")

    def _list(self) -> None:
        for cls in registry.all_exports():
            note = "\t按单位导出（--unit）" if cls.per_unit else ""
            self.stdout.write(f"{cls.identifier}\t{cls.label}\t{','.join(cls.formats)}{note}")

    def _unit(self, campaign: Campaign, unit_id: int | None) -> Unit | None:
        if unit_id is None:
            return None
        enrolled = Enrollment.objects.filter(campaign=campaign, unit_id=unit_id).select_related(
            "unit"
        )
        enrollment = enrolled.first()
        if enrollment is None:
            raise CommandError(f"创建活动“{campaign.name}”中没有编号为 {unit_id} 的单位。")
        return enrollment.unit

    def _actor(self, campaign: Campaign, username: str | None) -> Actor:
        if not username:
            return system_actor(campaign.committee_id)
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为 {username} 的账号。")
        if not user.is_active:
            raise CommandError(f"账号 {username} 已停用。")
        return actor_for(user)

    def _write(self, export: Export, fmt: str, target: Path) -> int:
        done = [0]

        def progress(count: int, total: int) -> None:
            done[0] = count
            if self.verbosity >= 2:
                self.stderr.write(f"{count}/{total}")

        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                try:
                    render(export, fmt, stream, progress)
                except UnsupportedFormat as exc:
                    raise CommandError(f"“{export.label}”不支持 {fmt} 格式。") from exc
                except ValidationError as exc:
                    raise CommandError(_one_line(exc)) from None
                except ModuleNotFoundError as exc:
                    if exc.name != f"mofan.reports.render.{fmt}_format":
                        raise
                    raise CommandError(f"本系统尚未安装 {fmt} 格式的生成程序。") from exc
                stream.flush()
                os.fsync(stream.fileno())
            with transaction.atomic():
                self._audit(export, fmt, rows=done[0], file=target.name)
                os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return done[0]

    def _audit(
        self,
        export: Export,
        fmt: str,
        *,
        result: str = AuditResult.SUCCESS,
        **extra: Any,
    ) -> None:
        audit_record(
            action="report.export",
            result=result,
            target=export.campaign,
            committee_id=export.campaign.committee_id,
            extra={
                "export": export.identifier,
                "format": fmt,
                "unit": export.unit.pk if export.unit is not None else None,
                "via": "command",
                **extra,
            },
            **audit_identity(export.actor),
        )
