"""What campaigns announces to the apps built on it, instead of importing them.

Receivers run synchronously inside the sender's transaction (see `evaluations/events.py`).
"""

from __future__ import annotations

from django.dispatch import Signal

#: Units were enrolled in a campaign (`services.campaign_create`). Arguments: campaign.
#: Evaluations gives every enrollment its (blank) stored figures, so the pages that read them
#: (approval table, ranking) never have to compute a unit from its rows.
units_enrolled = Signal()

#: The campaign's scoring settings changed or a unit left it (`administration`). Arguments:
#: campaign. Evaluations recomputes the stored figures (composites, grades, ranks, 先进).
campaign_changed = Signal()

#: A unit's 创建领导小组 for a campaign changed (`services.leadership_add`, `leadership_remove`).
#: Arguments: enrollment. Evaluations recomputes the figures it judges per leader.
leadership_changed = Signal()
