"""What surveys contributes to the registries: its page in the navigation and the labels of its
audit entries."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, audit_actions_register, audit_objects_register, menu


def _reads_surveys(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.reads_unit_work(actor)


menu.register(MenuEntry(67, _("满意度测评"), "surveys:survey_list", shows=_reads_surveys))

audit_actions_register(
    {
        "survey.questionnaire.create": _("新建测评问卷"),
        "survey.questionnaire.edit": _("修改测评问卷"),
        "survey.questionnaire.publish": _("发布测评问卷"),
        "survey.open": _("开展满意度测评"),
        "survey.tokens": _("生成测评一次性链接"),
        "survey.": _("满意度测评"),
    }
)
audit_objects_register(
    {
        "surveys.questionnaire": _("测评问卷"),
        "surveys.survey": _("满意度测评"),
    }
)
