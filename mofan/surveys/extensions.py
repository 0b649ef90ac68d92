"""What surveys contributes to the registries: its page in the navigation, the labels of its
audit entries and the source of the composite's survey slot (`evaluations.external`: the
satisfaction share of the campaign's latest survey, counted when the campaign weighs it)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from mofan.accounts import rules
from mofan.core.extensions import MenuEntry, audit_actions_register, audit_objects_register, menu
from mofan.evaluations import external
from mofan.surveys.selectors import campaign_shares


def _reads_surveys(actor: Any) -> bool:
    return rules.is_committee_staff(actor) or rules.reads_unit_work(actor)


external.register("survey", campaign_shares)

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
        "surveys.section": _("问卷部分"),
        "surveys.question": _("问卷题目"),
        "surveys.surveyunit": _("测评单位"),
        "surveys.token": _("一次性答卷链接"),
        "surveys.response": _("答卷"),
        "surveys.answer": _("答卷答案"),
    }
)
