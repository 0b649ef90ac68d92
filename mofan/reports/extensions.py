"""What reports contributes to the registries (core/extensions.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.cases.models import CallState
from mofan.core.choosers import ChooserScope, register_scope
from mofan.core.exports import registry
from mofan.core.extensions import (
    MenuEntry,
    PageSection,
    audit_actions_register,
    audit_objects_register,
    menu,
    page_sections,
)
from mofan.core.files import MediaOwner, media_owners
from mofan.core.params import parse_id
from mofan.evaluations.selectors import campaigns_for
from mofan.honours.models import ProgrammeState
from mofan.organizations.models import Unit
from mofan.reports.exporters._scope import export_units

menu.register(MenuEntry(78, _("减负统计"), "reports:burden", shows=rules.exports_anything))
menu.register(MenuEntry(79, _("公文草稿"), "reports:drafts", shows=rules.is_committee_staff))
menu.register(
    MenuEntry(
        79,
        _("已印发公文"),
        "reports:issued",
        shows=lambda actor: rules.is_committee_staff(actor) or rules.reads_unit_work(actor),
    )
)
menu.register(MenuEntry(80, _("我的导出"), "reports:my_exports", shows=rules.exports_anything))

audit_actions_register(
    {
        "report.": _("报表与公文"),
        "report.export": _("导出报表"),
        "report.download": _("下载报表"),
        "report.cancel": _("取消导出"),
        "report.programme_document": _("下载评选公文"),
        "report.draft.create": _("起草公文"),
        "report.draft.update": _("修改公文草稿"),
        "report.register.update": _("设置机关代字"),
        "report.document.issue": _("印发公文"),
        "report.document.download": _("下载已印发公文"),
        "report.case_call_document": _("下载优秀案例汇编"),
    }
)
audit_objects_register(
    {
        "reports.exportjob": _("导出任务"),
        "reports.documentdraft": _("公文草稿"),
        "reports.documentregister": _("发文登记"),
        "reports.issueddocument": _("已印发公文"),
        "reports.documentserial": _("发文序号"),
    }
)


def _export_units(actor: Any, params: Any) -> Any:
    """The chooser of per-unit exports: the campaign's units the actor may see."""
    pk = parse_id(params.get("campaign"))
    campaign = None if pk is None else campaigns_for(actor).filter(pk=pk).first()
    return Unit.objects.none() if campaign is None else export_units(actor, campaign)


register_scope(ChooserScope(kind="unit", name="export", queryset=_export_units))


def _programme_documents(*, actor: Any, programme: Any, **_page: Any) -> dict[str, Any] | None:
    """The documents of a named honour programme (the naming decision) on its page, for the
    staff of its committee only (`views_documents.programme_document`)."""
    if programme.state != ProgrammeState.NAMED:
        return None
    if not rules.is_staff_of(actor, programme.committee_id):
        return None
    documents = [
        (cls.identifier, str(cls.label), list(cls.formats))
        for cls in registry.all_exports("programme")
    ]
    return {"programme": programme, "documents": documents} if documents else None


def _call_documents(*, actor: Any, call: Any, **_page: Any) -> dict[str, Any] | None:
    """The documents of a call whose 优秀案例 are published (the compilation, also as a zip
    of its docx and PDF) on its page, for the staff of its committee only."""
    if call.state != CallState.SELECTED or not rules.is_staff_of(actor, call.committee_id):
        return None
    documents = [
        (cls.identifier, str(cls.label), [*cls.formats, "zip"])
        for cls in registry.all_exports("case_call")
    ]
    return {"call": call, "documents": documents} if documents else None


page_sections.register(
    PageSection("cases.call", 10, "reports/sections/call_documents.html", _call_documents)
)
page_sections.register(
    PageSection(
        "honours.programme", 10, "reports/sections/programme_documents.html", _programme_documents
    )
)


def _issued_names() -> list[str]:
    from mofan.reports.models import IssuedDocument

    names: list[str] = []
    for docx, pdf in IssuedDocument.objects.values_list("docx_name", "pdf_name"):
        names += [f"issued/{docx}", f"issued/{pdf}"]
    return names


# The orphan sweep (core/files.py) deletes files under media/issued/ no issued document names.
media_owners.register(MediaOwner("issued", _issued_names))
