"""The HTML of one leaf indicator's row on the self-evaluation page, and of the three blocks
other pages reuse (the input fields, the ledger figures, the evidence links), built in Python.

Issue 20 point 6: the page of a unit with 53 leaves and 200 evidence files took 53-55 ms,
almost all of it in Django's template engine (about 6,000 variable lookups, 169 included
templates and 296 URL reversals per request). Here each row is a few f-strings: every value
from the database goes through `conditional_escape` (`_e`; numbers through `_n`, localized
first, as `{{ }}` shows them), the texts are translated once per language (`_texts`), and the
URLs are reversed once per response (`EvidenceContext`). The templates that showed these
blocks call the tags of `templatetags/leaf_rows.py`, so each block has one source.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_


def _e(value: Any) -> str:
    """A text value, escaped as `{{ value }}` escapes it (Django's `escape` is `html.escape`
    of the text; safe strings pass unchanged)."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


def _n(value: Any) -> str:
    """A value that may be a number, as `{{ value }}` shows it: localized, then escaped.
    Without thousands grouping an integer shows as Python writes it, and so does a decimal
    where the language's decimal separator is "." (Django's `numberformat.format` gives the
    same text; each `localize` reads the active language several times)."""
    kind = type(value)
    if kind is str:
        return html.escape(value)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    if kind is Decimal and _plain_decimal(value):
        return f"{value:f}"
    return str(conditional_escape(localize(value)))


def _plain_decimal(value: Decimal) -> bool:
    if settings.USE_THOUSAND_SEPARATOR or not value.is_finite():
        return False
    _sign, digits, exponent = value.as_tuple()
    return abs(int(exponent)) + len(digits) <= 200 and _point_separator(get_language())


@lru_cache(maxsize=16)
def _point_separator(language: str | None) -> bool:
    return get_format("DECIMAL_SEPARATOR", language) == "."


# The fixed texts of the rows, by key; `_texts` translates and escapes them once per language.
TEXTS = {
    "filled": N_("已填"),
    "optional": N_("选填"),
    "unfilled": N_("未填"),
    "needs_file": N_("须附佐证"),
    "open_to_edit": N_("点开修改"),
    "criteria": N_("考核标准"),
    "rule": N_("佐证材料："),
    "required": N_("必附"),
    "override": N_("调整理由（与取数结果不同时必填）"),
    "narrative": N_("自评说明"),
    "save": N_("保存"),
    "evidence": N_("佐证材料"),
    "ledger": N_("台账取数"),
    "suggested": N_("建议"),
    "prefilled": N_("已按取数预填，核对后保存"),
    "manual": N_("手动调整"),
    "reason": N_("理由"),
    "short": N_("未达到"),
    "unmatched": N_("创建领导小组中以下人员不在成员名册，未计入"),
    "unlink": N_("取消关联"),
    "unlink_named": N_("取消关联 %(name)s"),
    "not_linked_required": N_("须附佐证，尚未关联"),
    "not_linked": N_("未关联（可不附）"),
    "cap": N_("本指标最多可关联 %(cap)s 份佐证材料，已达上限。"),
    "pick": N_("关联佐证材料…"),
    "choose": N_("选择要关联的佐证材料"),
    "link": N_("关联"),
    "all_linked": N_("材料库中的文件都已关联到本项；如需更多材料，请先到佐证材料库上传。"),
    "no_files": N_("材料库中没有可关联的文件，请先到佐证材料库上传。"),
    "points_part": N_("折合 %(s)s 分"),
}


@lru_cache(maxsize=8)
def _translated(language: str | None) -> Mapping[str, str]:
    return {key: str(_e(_(msgid))) for key, msgid in TEXTS.items()}


def _texts() -> Mapping[str, str]:
    return _translated(get_language())


def _counted(singular: str, plural: str, n: int) -> str:
    """`{% blocktranslate count n=... %}`: the translated text (trusted, as a template's is)
    with the number in it."""
    return ngettext(singular, plural, n) % {"n": _n(n)}


def _error(row: Mapping[str, Any]) -> str:
    if not row.get("error"):
        return ""
    return f'<p class="field-error" role="alert">{_n(row["error"])}</p>'


def _csrf_input(token: str) -> str:
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(token)}">'


# --- input fields (leaf_fields.html) ---------------------------------------------------------

_ERROR_ATTRS = ' aria-invalid="true" autofocus'


def _field(f: Mapping[str, Any]) -> str:
    error = _ERROR_ATTRS if f.get("error") else ""
    kind = f.get("type")
    label, name, value = _e(f.get("label", "")), _e(f.get("name", "")), f.get("value", "")
    if kind == "select":
        options = "".join(
            f'<option value="{_n(o)}"{" selected" if o == value else ""}>{_n(o)}</option>'
            for o in f.get("options", ())
        )
        return (
            f'<label>{label}<select name="{name}"{error}><option value="">—</option>{options}'
            "</select></label>"
        )
    if kind == "checkbox":
        checked = " checked" if value else ""
        return f'<label><input type="checkbox" name="{name}" value="1"{checked}> {label}</label>'
    if kind == "text":
        return f'<label>{label}<input type="text" name="{name}" value="{_n(value)}"{error}></label>'
    high = f.get("max")
    top = f' max="{_n(high)}"' if high is not None and high != "" else ""
    return (
        f'<label>{label}<input type="number" name="{name}" value="{_n(value)}" '
        f'step="{_n(f.get("step", ""))}" min="{_n(f.get("min", ""))}"{top}{error}></label>'
    )


def _fields(fields: Iterable[Mapping[str, Any]]) -> str:
    return "".join(f"\n  {_field(f)}" for f in fields)


def leaf_fields(fields: Iterable[Mapping[str, Any]]) -> SafeString:
    """The inputs of one leaf's scoring method (`inputs.input_fields`), one label each."""
    return SafeString(_fields(fields))


# --- the ledger figures (_leaf_ledger.html) --------------------------------------------------


def _figure(f: Mapping[str, Any], t: Mapping[str, str]) -> str:
    state = "is-met" if f.get("met") else ("is-short" if f.get("applies") else "")
    score = ""
    if f.get("score"):
        score = f" <small>（{t['points_part'] % {'s': _n(f['score'])}}）</small>"
    short = ""
    if f.get("short"):
        more = f.get("more_short")
        tail = _counted("等，另有 %(n)s 项", "等，另有 %(n)s 项", more) if more else ""
        short = f"<br><small>{t['short']}：{'、'.join(map(_n, f['short']))}{tail}</small>"
    unmatched = ""
    if f.get("unmatched"):
        names = "、".join(map(_n, f["unmatched"]))
        unmatched = f'<br><small class="field-error">{t["unmatched"]}：{names}</small>'
    return (
        f'\n    <li class="{state}"><span>{_n(f.get("label", ""))}：{_n(f.get("rule", ""))}</span> '
        f"<strong>{_n(f.get('result', ''))}</strong>{score}\n      {short}\n      {unmatched}"
        "\n    </li>"
    )


def _ledger(ledger: Mapping[str, Any], node_pk: int, enrollment_pk: int) -> str:
    if not ledger.get("figures"):
        return ""
    t = _texts()
    head = f"<strong>{t['ledger']}</strong>"
    if ledger.get("suggested_text"):
        head += f" · {t['suggested']}：{_n(ledger['suggested_text'])}"
    if ledger.get("prefilled"):
        head += f' <span class="badge">{t["prefilled"]}</span>'
    override = ""
    if ledger.get("override"):
        override = (
            f'<p class="ledger-override"><span class="badge badge-warning">{t["manual"]}</span> '
            f"{t['reason']}：{_n(ledger['override'])}</p>"
        )
    figures = "".join(_figure(f, t) for f in ledger["figures"])
    url = reverse("reviews:ledger_figure", args=[enrollment_pk, node_pk])
    records = _counted(
        "查看依据的台账记录（%(n)s 条）", "查看依据的台账记录（%(n)s 条）", ledger.get("records", 0)
    )
    return (
        f'\n<section class="ledger-figures" aria-label="{t["ledger"]}">\n'
        f'  <p class="ledger-head">{head}</p>\n  <ul>{figures}\n  </ul>\n  {override}\n'
        f'  <p><small><a href="{url}">{records}</a></small></p>\n</section>'
    )


def leaf_ledger(ledger: Mapping[str, Any], node_pk: int, enrollment_pk: int) -> SafeString:
    """What the activity ledger computed for one leaf (台账取数), or nothing."""
    return SafeString(_ledger(ledger, node_pk, enrollment_pk))


# --- the evidence links (_node_evidence.html) ------------------------------------------------


def _with_ids(name: str, count: int) -> Callable[..., str]:
    """The URL of the pattern `name` for given ids, reversed once: the URL of ids 1001, 1002,
    ... with the ids put in their places (the patterns' ids are plain `<int:...>` segments)."""
    marks = [str(1001 + i) for i in range(count)]
    url = reverse(name, args=marks)
    parts = url.split("/")
    places = [parts.index(mark) for mark in marks]

    def build(*ids: int) -> str:
        filled = list(parts)
        for place, pk in zip(places, ids, strict=True):
            filled[place] = str(int(pk))
        return "/".join(filled)

    return build


@dataclass(frozen=True)
class EvidenceContext:
    """What every evidence block of one response shares."""

    enrollment_pk: int
    can_edit: bool
    next_url: str
    cap: int | None
    csrf_token: str
    texts: Mapping[str, str]
    download: Callable[..., str]  # evidence id -> its download URL
    choose_url: str
    link_url: str
    unlink_url: str


def evidence_context(
    *, enrollment_pk: int, can_edit: bool, next_url: str, cap: int | None, csrf_token: str
) -> EvidenceContext:
    return EvidenceContext(
        enrollment_pk=int(enrollment_pk),
        can_edit=can_edit,
        next_url=next_url,
        cap=cap,
        csrf_token=csrf_token,
        texts=_texts(),
        download=_with_ids("evidence:download", 1),
        choose_url=reverse("evidence:choose"),
        link_url=reverse("evidence:link"),
        unlink_url=reverse("evidence:unlink"),
    )


def _hidden_ids(ctx: EvidenceContext, node_pk: int) -> str:
    return (
        f'<input type="hidden" name="enrollment" value="{ctx.enrollment_pk}">\n        '
        f'<input type="hidden" name="node" value="{int(node_pk)}">'
    )


def _link_item(link: Any, node_pk: int, ctx: EvidenceContext, csrf: str, nxt: str) -> str:
    name = link.name
    evidence_pk = int(link.evidence_id)
    form = ""
    if ctx.can_edit:
        t = ctx.texts
        label = t["unlink_named"] % {"name": _e(name)}  # the text is escaped once already
        form = (
            f'\n      <form method="post" action="{ctx.unlink_url}" class="inline-form" '
            f'hx-post="{ctx.unlink_url}" hx-target="closest .node-evidence" hx-swap="outerHTML">'
            f"{csrf}\n        {_hidden_ids(ctx, node_pk)}\n"
            f'        <input type="hidden" name="evidence" value="{evidence_pk}">\n        {nxt}\n'
            f'        <button type="submit" class="outline secondary small" aria-label="{label}">'
            f"{t['unlink']}</button>\n      </form>"
        )
    return (
        f'\n    <li>\n      <a href="{ctx.download(evidence_pk)}">{_e(name)}</a>{form}\n    </li>'
    )


def _picker(row: Mapping[str, Any], ctx: EvidenceContext, csrf: str, nxt: str) -> str:
    t = ctx.texts
    node_pk = int(row["node"].pk)
    if row.get("full"):
        return f'<small class="help">{t["cap"] % {"cap": _n(ctx.cap)}}</small>'
    choices = row.get("choices")
    if choices is None and row.get("can_pick"):
        href = _e(
            f"{ctx.choose_url}?enrollment={ctx.enrollment_pk}&node={node_pk}"
            f"&next={quote(ctx.next_url, safe='/')}"
        )
        return (
            f'<a href="{href}" hx-get="{href}" hx-target="closest .node-evidence" '
            f'hx-swap="outerHTML" class="small">{t["pick"]}</a>'
        )
    if choices:
        options = "".join(
            f'<option value="{int(f.pk)}">{_e(f.original_name)}</option>' for f in choices
        )
        return (
            f'<form method="post" action="{ctx.link_url}" hx-post="{ctx.link_url}" '
            f'hx-target="closest .node-evidence" hx-swap="outerHTML">{csrf}\n      '
            f"{_hidden_ids(ctx, node_pk)}\n      {nxt}\n"
            f'      <fieldset role="group">\n        <select name="evidence" '
            f'aria-label="{t["choose"]}">\n          {options}\n        </select>\n'
            f'        <button type="submit" class="small">{t["link"]}</button>\n      </fieldset>\n'
            "    </form>"
        )
    text = t["all_linked"] if row.get("links") else t["no_files"]
    return f'<small class="help">{text}</small>'


def _evidence(row: Mapping[str, Any], ctx: EvidenceContext) -> str:
    t = ctx.texts
    node = row["node"]
    csrf = _csrf_input(ctx.csrf_token)
    nxt = f'<input type="hidden" name="next" value="{_e(ctx.next_url)}">'
    links = row.get("links") or []
    if links:
        items = "".join(_link_item(link, node.pk, ctx, csrf, nxt) for link in links)
    elif node.evidence_required:
        items = (
            f'\n    <li class="help"><span class="badge badge-warning">'
            f"{t['not_linked_required']}</span></li>"
        )
    else:
        items = f'\n    <li class="help">{t["not_linked"]}</li>'
    error = (
        f'<p class="field-error" role="alert">{_n(row["error"])}</p>' if row.get("error") else ""
    )
    picker = _picker(row, ctx, csrf, nxt) if ctx.can_edit else ""
    return (
        f'<div class="node-evidence" id="evidence-{ctx.enrollment_pk}-{int(node.pk)}">\n'
        f"  {error}\n  <ul>{items}\n  </ul>\n  {picker}\n</div>"
    )


def node_evidence(row: Mapping[str, Any], ctx: EvidenceContext) -> SafeString:
    """One leaf's evidence block (`evidence_views.node_rows`): the linked files, each with its
    unlink form while the enrolment is open, and the way to link more."""
    return SafeString(_evidence(row, ctx))


# --- the self-evaluation row (self_evaluation.html, partial leaf-row) -------------------------


@dataclass(frozen=True)
class RowContext:
    """What every row of one self-evaluation response shares."""

    editable: bool  # the enrolment can be edited by this user
    filtered: bool  # the page shows only the unfilled leaves (?unfilled=1)
    just_saved: bool  # the row answers its own save (htmx)
    evidence: EvidenceContext
    save_url: Callable[..., str]  # (enrollment id, node id) -> the row's save URL


def row_context(
    *, editable: bool, filtered: bool, just_saved: bool, evidence: EvidenceContext
) -> RowContext:
    return RowContext(
        editable=editable,
        filtered=filtered,
        just_saved=just_saved,
        evidence=replace(evidence, can_edit=editable),
        save_url=_with_ids("reviews:self_save", 2),
    )


@lru_cache(maxsize=512)
def _shown(kind: str, text: str, language: str | None) -> str:
    """`{{ number|floatformat:"-2" }}` of a number given as its type and text: the same few
    points and scores recur on every row, and floatformat reads the locale each time."""
    return str(floatformat(_NUMBER_TYPES[kind](text), "-2"))


_NUMBER_TYPES: dict[str, Callable[[str], Any]] = {"Decimal": Decimal, "float": float, "int": int}


def _number(value: Any) -> str:
    kind = type(value).__name__
    if kind not in _NUMBER_TYPES:
        return str(floatformat(value, "-2"))
    return _shown(kind, str(value), get_language())


def _points(points: Any) -> str:
    if points is None:
        return ""
    return f" <small>（{_number(points)} 分）</small>"


def _badge(row: Mapping[str, Any], t: Mapping[str, str]) -> str:
    score = row.get("score")
    if score:
        number = score.score
        shown = f"{_number(number)} 分" if number is not None else _n(score.level or "—")
        return f'<span class="badge badge-ok saved">{t["filled"]}：{shown}</span>'
    if row.get("optional"):
        return f'<span class="badge">{t["optional"]}</span>'
    return f'<span class="badge badge-warning">{t["unfilled"]}</span>'


def _fold_hint(row: Mapping[str, Any], t: Mapping[str, str]) -> str:
    links = row["evidence"].get("links") or []
    required = row["node"].evidence_required
    if links:
        hint = _counted("佐证 %(n)s 份", "佐证 %(n)s 份", len(links))
    elif required:
        hint = f'<span class="badge badge-warning">{t["needs_file"]}</span>'
    else:
        hint = ""
    dot = " · " if links or required else ""
    return f' <small class="fold-hint">{hint}{dot}{t["open_to_edit"]}</small></summary>'


def _form(row: Mapping[str, Any], ctx: RowContext) -> str:
    t = ctx.evidence.texts
    save_url = ctx.save_url(ctx.evidence.enrollment_pk, row["node"].pk)
    override = ""
    if row["ledger"].get("suggested"):
        override = (
            f'<label>{t["override"]}<input type="text" name="override" maxlength="500" '
            f'value="{_n(row["ledger"].get("override", ""))}"></label>'
        )
    unfilled = '<input type="hidden" name="unfilled" value="1">' if ctx.filtered else ""
    return (
        f'\n    <form method="post" action="{save_url}" hx-post="{save_url}" '
        'hx-target="closest article.leaf" hx-swap="outerHTML" class="leaf-form">'
        f"{_csrf_input(ctx.evidence.csrf_token)}\n"
        f'      <input type="hidden" name="version" value="{_n(row.get("version") or "")}">'
        f'{unfilled}\n      <div class="grid">{_fields(row["fields"])}</div>\n      {override}\n'
        f'      <label>{t["narrative"]}<textarea name="narrative" rows="2">'
        f"{_n(row.get('narrative', ''))}</textarea></label>\n"
        f'      <button type="submit" class="small">{t["save"]}</button>\n    </form>'
    )


def _read_only(row: Mapping[str, Any]) -> str:
    score = row.get("score")
    if not score:
        return ""
    values = "".join(
        f"{_n(f.get('label', ''))}：{_n(f.get('value') or '—')}　" for f in row["fields"]
    )
    narrative = f"<p>{_n(score.narrative)}</p>" if score.narrative else ""
    return f"\n    <p>{values}</p>{narrative}"


def _row_head(row: Mapping[str, Any], t: Mapping[str, str], collapsed: bool) -> str:
    node = row["node"]
    opening = '<details class="leaf-fold"><summary>' if collapsed else "<header>"
    closing = _fold_hint(row, t) if collapsed else "</header>"
    return (
        f"{opening}<code>{_e(node.code)}</code> {_e(node.title)}{_points(node.points)}\n"
        f"      {_badge(row, t)}{closing}"
    )


def _row(row: Mapping[str, Any], ctx: RowContext) -> str:
    t = ctx.evidence.texts
    node = row["node"]
    classes = "leaf " + ("is-pending" if row.get("pending") else "is-done")
    if row.get("error"):
        classes += " has-error"
    if ctx.just_saved:
        classes += " just-saved"
    collapsed = bool(row.get("collapsed"))
    criteria = ""
    if node.criteria:
        criteria = (
            f"<details><summary>{t['criteria']}</summary><p>{_e(node.criteria)}</p></details>"
        )
    rule = ""
    if node.evidence:
        required = f"（{t['required']}）" if node.evidence_required else ""
        rule = f"<p><small>{t['rule']}{_e(node.evidence)}{required}</small></p>"
    error = (
        f'<p class="field-error" role="alert">{_n(row["error"])}</p>' if row.get("error") else ""
    )
    body = _form(row, ctx) if row.get("editable") and ctx.editable else _read_only(row)
    ledger = _ledger(row["ledger"], node.pk, ctx.evidence.enrollment_pk)
    return (
        f'<article class="{classes}" id="leaf-{_e(node.code)}">\n'
        f"    {_row_head(row, t, collapsed)}\n    {criteria}\n    {rule}\n    {ledger}\n"
        f'    {error}{body}\n    <div class="evidence-links"><small>{t["evidence"]}</small>\n'
        f"      {_evidence(row['evidence'], ctx.evidence)}</div>\n"
        f"    {'</details>' if collapsed else ''}\n</article>"
    )


def self_leaf_row(row: Mapping[str, Any], ctx: RowContext) -> SafeString:
    """One leaf of the self-evaluation page: its heading and state, the criteria and evidence
    rule, the ledger figures, the form (folded once saved) and the evidence links."""
    return SafeString(_row(row, ctx))


def _heading(node: Any, depth: int) -> str:
    return (
        f'\n  <h4 class="tree-depth-{int(depth)}" id="node-{_e(node.code)}"><code>{_e(node.code)}'
        f"</code> {_e(node.title)}{_points(node.points)}</h4>"
    )


def self_rows(rows: Iterable[Mapping[str, Any]], ctx: RowContext) -> SafeString:
    """The page's rows in tree order: a heading for each inner node, a row for each leaf."""
    return SafeString(
        "".join(
            _heading(row["node"], row["depth"]) if row.get("heading") else f"\n  {_row(row, ctx)}"
            for row in rows
        )
    )
