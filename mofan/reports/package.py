"""The upper-level report (上报材料包): at 总结巩固 a committee sends its work summary, the
ranking, the naming notice and the evidence index upward; one button produces them as one zip.

Each part is the registered export of its identifier, built with the same campaign and actor
and `check()`ed like on its own: the package never shows more than its parts do. A part that is
missing, cannot be produced yet, or fails while rendering stops the whole package with a Chinese
message; no partial zip is ever written (`render/zip_format.py` renders every part before it
writes the archive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts import rules
from mofan.core.exports import registry
from mofan.core.exports.base import Export


@dataclass(frozen=True)
class Part:
    name: str  # the file's name inside the archive
    export: Export
    fmt: str


class Package(Export):
    """An export made of other exports, rendered as one zip."""

    formats: ClassVar[tuple[str, ...]] = ("zip",)
    background_above_units: ClassVar[int] = 0  # several files: always in the background
    # (identifier, format, Chinese name used in messages when the export is missing)
    contents: ClassVar[tuple[tuple[str, str, Any], ...]] = ()

    def parts(self) -> list[Part]:
        parts = []
        for number, (identifier, fmt, name) in enumerate(self.contents, start=1):
            try:
                cls = registry.get(identifier)
            except LookupError:
                raise ValidationError(
                    _("%(package)s缺少「%(part)s」：系统中没有这项报表，无法生成。")
                    % {"package": self.label, "part": name}
                ) from None
            if fmt not in cls.formats:
                raise ValidationError(
                    _("%(package)s缺少「%(part)s」：该报表不能导出为 %(fmt)s 格式。")
                    % {"package": self.label, "part": name, "fmt": fmt}
                )
            if cls.per_unit:
                raise ValidationError(
                    _("「%(part)s」按单位生成，不能放入%(package)s。")
                    % {"package": self.label, "part": name}
                )
            export = cls(campaign=self.campaign, actor=self.actor, unit=None)
            filename = f"{number}-{export.title()}.{fmt}"
            parts.append(Part(name=_archive_name(filename), export=export, fmt=fmt))
        return parts

    def check_parts(self) -> list[Part]:
        parts = self.parts()
        for part, (_identifier, _fmt, name) in zip(parts, self.contents, strict=True):
            try:
                part.export.check()
            except PermissionDenied:
                raise PermissionDenied(
                    _("无权生成%(package)s：无权查看「%(part)s」。")
                    % {"package": self.label, "part": name}
                ) from None
            except ValidationError as exc:
                raise ValidationError(
                    _("%(package)s暂不能生成：「%(part)s」%(reason)s")
                    % {"package": self.label, "part": name, "reason": "；".join(exc.messages)}
                ) from None
            except (LookupError, ObjectDoesNotExist, Http404):
                raise ValidationError(
                    _("%(package)s暂不能生成：「%(part)s」所需的数据还没有。")
                    % {"package": self.label, "part": name}
                ) from None
        return parts


def _archive_name(name: str) -> str:
    from mofan.reports.jobs import safe_filename

    return safe_filename(name)


@registry.register
class UpperReport(Package):
    identifier = "upper_report"
    label = gettext_lazy("上报材料包")  # type: ignore[assignment]
    contents = (
        ("work_summary", "docx", gettext_lazy("工作总结")),
        ("ranking", "xlsx", gettext_lazy("考评排名表")),
        ("naming_notice", "docx", gettext_lazy("命名通报")),
        ("evidence_index", "xlsx", gettext_lazy("佐证材料索引")),
    )

    def check(self) -> None:
        # The committee sends it: its admin or leader, for the committee's own campaign.
        if not rules.is_staff_of(self.actor, self.campaign.committee_id):
            raise PermissionDenied
        self.check_parts()
