"""What rectification announces to itself (connected in apps.py), so the re-review module does
not reach up to the automatic lists that import it."""

from __future__ import annotations

from django.dispatch import Signal

# The committee approved or rejected a submitted re-review (kwargs: rereview, actor). Sent inside
# the transition's transaction; `receivers.on_rereview_decided` starts a new round when the unit
# still fails.
rereview_decided = Signal()
