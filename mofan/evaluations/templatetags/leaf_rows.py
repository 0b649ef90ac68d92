"""Template tags for the leaf blocks built in Python (`mofan.evaluations.leaf_html`): the input
fields, the ledger figures, the evidence links and the whole self-evaluation row, so the pages
that show them share one source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString

from mofan.evaluations import leaf_html

register = template.Library()
_EVIDENCE = "mofan.leaf_rows.evidence"  # the EvidenceContext of one render


@register.simple_tag
def leaf_fields(fields: Iterable[Mapping[str, Any]]) -> SafeString:
    return leaf_html.leaf_fields(fields)


@register.simple_tag(takes_context=True)
def leaf_ledger(context: template.Context, ledger: Mapping[str, Any], node: Any) -> SafeString:
    return leaf_html.leaf_ledger(ledger, node.pk, context["enrollment"].pk)


@register.simple_tag(takes_context=True)
def node_evidence(context: template.Context, row: Mapping[str, Any]) -> SafeString:
    """The evidence block of `row`, with the template's `enrollment`, `can_edit`, `next` and
    `cap`."""
    ctx = context.render_context.get(_EVIDENCE)
    if ctx is None:
        ctx = leaf_html.evidence_context(
            enrollment_pk=context["enrollment"].pk,
            can_edit=bool(context.get("can_edit")),
            next_url=str(context.get("next") or ""),
            cap=context.get("cap"),
            csrf_token=str(context.get("csrf_token") or ""),
        )
        context.render_context[_EVIDENCE] = ctx
    return leaf_html.node_evidence(row, ctx)


@register.simple_tag(takes_context=True)
def self_leaf_row(context: template.Context, row: Mapping[str, Any]) -> SafeString:
    """One row of the self-evaluation page; the view puts the shared `leaf_context` in."""
    return leaf_html.self_leaf_row(row, context["leaf_context"])


@register.simple_tag(takes_context=True)
def self_rows(context: template.Context, rows: Iterable[Mapping[str, Any]]) -> SafeString:
    """All rows of the self-evaluation page (headings and leaves)."""
    return leaf_html.self_rows(rows, context["leaf_context"])
