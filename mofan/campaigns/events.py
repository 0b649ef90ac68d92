"""What campaigns announces to the apps built on it, instead of importing them.

Receivers run synchronously inside the sender's transaction (see `evaluations/events.py`).
"""

from __future__ import annotations

from django.dispatch import Signal

#: Units were enrolled in a campaign (`services.campaign_create`). Arguments: campaign.
#: Evaluations gives every enrollment its (blank) stored figures, so the pages that read them
#: (approval table, ranking) never have to compute a unit from its rows.
units_enrolled = Signal()
