"""What audit contributes to the registries (core/extensions.py): the labels of the audit
trail's own upkeep in the auditor's trail."""

from django.utils.translation import gettext_lazy as _

from mofan.core.extensions import audit_actions_register, audit_objects_register

audit_actions_register(
    {
        "audit.anchor.created": _("建立校验锚点"),
        "audit.anchor.reset": _("重置校验锚点"),
        "audit.purge": _("清理过期审计记录"),
        "audit.": _("审计日志维护"),
    }
)
audit_objects_register(
    {
        "audit.auditentry": _("审计记录"),
        "audit.auditcheckpoint": _("审计检查点"),
        "audit.deniedthrottle": _("拒绝记录限流"),
    }
)
