"""Bulletins (通报): a draft assembled from the data, edited by the committee, then published to
its units.

`compose` is pure: `compose_bulletin` and `compose_monthly` turn plain facts (see
`selectors_bulletins`) into a Chinese draft text. `services` holds the writes:
`bulletin_create_draft`, `bulletin_monthly_draft` (周督查月通报), `bulletin_update` (optimistic
`version`) and the one state transition `bulletin_transition` (publish), each audited. This
package is the workflow's public face: callers use `bulletins.<function>`.
"""

from mofan.supervision.bulletins.compose import (
    cn_date,
    cn_number,
    compose_bulletin,
    compose_monthly,
)
from mofan.supervision.bulletins.services import (
    bulletin_create_draft,
    bulletin_monthly_draft,
    bulletin_transition,
    bulletin_update,
)

__all__ = [
    "bulletin_create_draft",
    "bulletin_monthly_draft",
    "bulletin_transition",
    "bulletin_update",
    "cn_date",
    "cn_number",
    "compose_bulletin",
    "compose_monthly",
]
