"""What evidence contributes to the registries (core/extensions.py): the labels of the
evidence store's actions in the auditor's trail."""

from django.utils.translation import gettext_lazy as _

from mofan.core.extensions import audit_actions_register, audit_objects_register
from mofan.core.files import MediaOwner, media_owners

audit_actions_register(
    {
        "evidence.upload": _("上传佐证材料"),
        "evidence.upload.duplicate": _("重复上传（未另存）"),
        "evidence.delete": _("删除佐证材料"),
        "evidence.": _("佐证材料"),
    }
)
audit_objects_register(
    {
        "evidence.evidence": _("佐证材料"),
    }
)


def _stored_names() -> list[str]:
    from mofan.evidence.models import Evidence

    return list(Evidence.objects.values_list("stored_name", flat=True))


# The orphan sweep deletes files under media/evidence/ that no Evidence row names.
media_owners.register(MediaOwner("evidence", _stored_names))
