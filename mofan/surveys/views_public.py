"""The respondent's pages: no account, phone first, no script. A one-time link
(`/s/<token>/`) or a unit's open QR link (`/q/<code>/`) shows the form; a valid POST stores the
response and shows the thank-you page; a refused one shows the form again with every answer
kept and a Chinese message.

Every page here answers 200 (a refused form too): Django's request logger writes the path of
every 4xx response, and the path holds the one-time token. Nothing else here logs; the answers
never reach a log (tests/surveys/test_anonymity.py)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.surveys import responses
from mofan.surveys.responses import Opened, Refused
from mofan.surveys.rules import SCALE


def _form(
    request: HttpRequest,
    opened: Opened,
    *,
    errors: dict[str, str] | None = None,
    refusal: str = "",
) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    sections = [
        {
            "title": s["title"],
            "questions": [
                {
                    **q,
                    "choices": SCALE if q["kind"] == "scale" else q.get("options", []),
                    "chosen": data.getlist(q["key"]) if data is not None else [],
                    "error": (errors or {}).get(q["key"], ""),
                }
                for q in s["questions"]
            ],
        }
        for s in opened.survey.frozen["sections"]
    ]
    return render(
        request,
        "surveys/respond.html",
        {
            "survey": opened.survey,
            "unit_name": opened.unit_name,
            "sections": sections,
            "refusal": refusal,
            "has_errors": bool(errors),
        },
    )


def _respond(request: HttpRequest, opened: Opened | None) -> HttpResponse:
    if opened is None:
        raise Http404
    today = timezone.localdate()
    if not responses.is_open(opened.survey, today):
        return render(request, "surveys/closed.html", {"survey": opened.survey})
    if request.method != "POST":
        used = _("此链接已使用过，每个链接只能填写一次。") if opened.used else ""
        return _form(request, opened, refusal=used)
    if responses.rate_exceeded(getattr(request, "client_ip", None), today):
        refusal = _("提交过于频繁，请稍后再试。")
        return _form(request, opened, refusal=refusal)
    data = {key: request.POST.getlist(key) for key in request.POST}
    try:
        errors = responses.response_submit(
            opened=opened, version=request.POST.get("version", ""), data=data, today=today
        )
    except Refused as exc:
        return _form(request, opened, refusal=str(exc))
    if errors:
        return _form(request, opened, errors=errors)
    return redirect("survey_thanks")


def respond_token(request: HttpRequest, token: str) -> HttpResponse:
    return _respond(request, responses.opened_by_token(token))


def respond_code(request: HttpRequest, code: str) -> HttpResponse:
    return _respond(request, responses.opened_by_code(code))


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/thanks.html")
