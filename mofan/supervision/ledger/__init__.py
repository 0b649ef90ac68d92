"""Writes of the supervision ledger (挂账督办), its escalation, 约谈 records and yellow cards.

- Ledger items (`items`): the committee admin puts a key task on a unit's ledger
  (`ledger_item_create`), adjusts deadline, cadence or leader (`ledger_item_update`), and ends it
  through the one transition function (`ledger_item_transition`: 督办中 → 已办结 / 已撤销). The
  unit's admin or leader reports progress at the chosen cadence (`progress_report_add`) — weekly
  at most often.
- Escalation (`escalation`): `escalation_decide` is pure (plain facts and a date in, a decision
  out); `ledger_escalate(today=...)` applies it to every open item: reminders 7 and 1 days before
  the deadline, then 已提醒 (overdue) → 已预警 (+7 days, shown on the unit's home page) → 需约谈
  (+14 days), and one reminder when a progress report is a cadence (+3 days) late. Running it
  twice the same day changes nothing: levels only rise and every notice carries a dedupe key.
- 约谈 (`interviews.interview_create`) and yellow cards (`yellow_cards.yellow_card_issue`,
  `yellow_card_lift`) put items on the unit's problem list through
  `rectification.services.problem_item_create`.

Every write is audited in its own transaction; notices never ask anyone to check in, take photos
or report daily. This package is the workflow's public face: callers use `ledger.<function>`.
"""

from mofan.supervision.common import problem_lines
from mofan.supervision.ledger.common import INTERVIEW_ORIGIN, YELLOW_CARD_ORIGIN
from mofan.supervision.ledger.escalation import (
    LedgerFacts,
    escalation_decide,
    ledger_escalate,
    level_on,
)
from mofan.supervision.ledger.interviews import interview_create
from mofan.supervision.ledger.items import (
    ledger_item_create,
    ledger_item_transition,
    ledger_item_update,
    progress_report_add,
)
from mofan.supervision.ledger.yellow_cards import (
    yellow_card_issue,
    yellow_card_items,
    yellow_card_lift,
)

__all__ = [
    "INTERVIEW_ORIGIN",
    "YELLOW_CARD_ORIGIN",
    "LedgerFacts",
    "escalation_decide",
    "interview_create",
    "ledger_escalate",
    "ledger_item_create",
    "ledger_item_transition",
    "ledger_item_update",
    "level_on",
    "problem_lines",
    "progress_report_add",
    "yellow_card_issue",
    "yellow_card_items",
    "yellow_card_lift",
]
