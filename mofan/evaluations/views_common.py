"""Small helpers the evaluation pages share."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from mofan.campaigns.models import Campaign
from mofan.indicators.models import IndicatorNode
from mofan.indicators.selectors import published_node


def posted_id(request: HttpRequest, name: str) -> int:
    """An id from a hidden form field; anything but a number is a 404, not a server error."""
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        raise Http404 from None


def campaign_node_or_404(campaign: Campaign, pk: int) -> IndicatorNode:
    """A node of the campaign's indicator tree (the cached tree of a published version), or a
    404 for an id outside it. `campaign` with its indicator version loaded."""
    node = published_node(campaign.indicator_version, pk)
    if node is None:
        raise Http404
    return node
