"""What notifications contributes to the registries: the daily 换届 reminder (the organisation
tree sits below this app and cannot send notices itself) and its kind of notice."""

from django.utils.translation import gettext_lazy as _

from mofan.core.extensions import NoticeKind, ReminderJob, notice_kinds, reminders
from mofan.notifications.elections import send_election_reminders

reminders.register(ReminderJob(30, "party-org-elections", send_election_reminders))
notice_kinds.register(NoticeKind("election.", _("换届提醒"), owner="notifications"))
