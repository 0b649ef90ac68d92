"""Province-scale choosers: pick a unit, a party organisation, a person or a reviewer among
20,000 without a <select> of all of them.

A *kind* (`ChooserKind`: how to search, match exactly and label one model) and its *scopes*
(`ChooserScope`: a name and the selector giving what an actor may pick, the same selector the
form's field is limited to) are registered by the app owning them, in its `extensions.py`.
The form field (`ChooserField`) renders a text input and a hidden id:

* with JavaScript (static/js/chooser.js) and htmx, typing asks the kind's one search endpoint
  (`core.views_choosers.choose`, ``/choose/<kind>/?scope=...&q=...``) for at most
  `SEARCH_LIMIT` matches within the scope, as a partial; picking one fills the hidden id;
* without, the text field is a plain search field: the server takes the one exact match (name,
  short name or code) or answers with an error listing the candidates.

Either way the id posted is checked against the actor-scoped queryset: a forged id outside the
scope is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Model, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.core.params import parse_id

SEARCH_LIMIT = 20
CANDIDATES_SHOWN = 5

StrOrPromise = str | Promise


@dataclass(frozen=True)
class ChooserKind:
    """How one kind of thing is searched and shown. `search(qs, text)` narrows to the partial
    matches, best first; `exact(qs, text)` to the exact ones (full name, short name, code);
    `label(obj)` is what the text field shows once picked, `detail(obj)` a second line."""

    name: str
    noun: StrOrPromise
    search: Callable[[QuerySet[Any], str], QuerySet[Any]]
    exact: Callable[[QuerySet[Any], str], QuerySet[Any]]
    label: Callable[[Any], str]
    detail: Callable[[Any], str] = lambda obj: ""
    placeholder: StrOrPromise = ""


@dataclass(frozen=True)
class ChooserScope:
    """What an actor may pick in one place: `queryset(actor, params)`; `params` are the
    request's query parameters (e.g. the campaign whose reviewers are offered)."""

    kind: str
    name: str
    queryset: Callable[[Any, Mapping[str, str]], QuerySet[Any]]


kinds: dict[str, ChooserKind] = {}
scopes: dict[tuple[str, str], ChooserScope] = {}


def register_kind(kind: ChooserKind) -> ChooserKind:
    kinds[kind.name] = kind
    return kind


def register_scope(scope: ChooserScope) -> ChooserScope:
    scopes[(scope.kind, scope.name)] = scope
    return scope


def scoped(kind: str, scope: str, actor: Any, params: Mapping[str, str]) -> QuerySet[Any] | None:
    """What `actor` may pick of `kind` in `scope`; None when no such kind or scope."""
    entry = scopes.get((kind, scope))
    if entry is None or kind not in kinds:
        return None
    return entry.queryset(actor, params)


def search(kind: ChooserKind, queryset: QuerySet[Any], text: str) -> tuple[list[Any], bool]:
    """At most `SEARCH_LIMIT` matches of `text` (the first ones when empty) and whether there
    are more; one query whatever the number of rows."""
    text = text.strip()
    narrowed = kind.search(queryset, text) if text else queryset
    found = list(narrowed[: SEARCH_LIMIT + 1])
    return found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT


def resolve(kind: ChooserKind, queryset: QuerySet[Any], text: str) -> Any:
    """The one object `text` names exactly within `queryset`, else a ValidationError that lists
    the candidates (no search box needed to correct it)."""
    exact = list(kind.exact(queryset, text)[:2])
    if len(exact) == 1:
        return exact[0]
    candidates = exact or list(kind.search(queryset, text)[: CANDIDATES_SHOWN + 1])
    if not candidates:
        raise forms.ValidationError(
            _("没有找到“%(text)s”，请输入%(noun)s的全称或代码。")
            % {"text": text, "noun": kind.noun},
            code="not_found",
        )
    if len(candidates) == 1:
        raise forms.ValidationError(
            _("没有名为“%(text)s”的%(noun)s。您要找的是不是：%(names)s？请输入全称。")
            % {"text": text, "noun": kind.noun, "names": kind.label(candidates[0])},
            code="ambiguous",
        )
    names = "、".join(kind.label(obj) for obj in candidates[:CANDIDATES_SHOWN])
    more = _("等") if len(candidates) > CANDIDATES_SHOWN else ""
    raise forms.ValidationError(
        _("“%(text)s”对应多个%(noun)s：%(names)s%(more)s。请输入全称或代码。")
        % {"text": text, "noun": kind.noun, "names": names, "more": more},
        code="ambiguous",
    )


@dataclass(frozen=True)
class Posted:
    """What the chooser posts: the hidden id and the text typed (or the label shown)."""

    pk: str
    text: str


class ChooserInput(forms.Widget):
    """A text input that searches and a hidden input holding the id picked."""

    template_name = "core/widgets/chooser.html"

    def __init__(self, kind: str, scope: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.kind, self.scope = kind, scope
        self.params: dict[str, str] = {}

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        pk, text = data.get(name), data.get(f"{name}_text")
        if pk is None and text is None:
            return None
        return Posted(pk=str(pk or "").strip(), text=str(text or "").strip())

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}_text" not in data

    def _shown(self, value: Any) -> tuple[str, str]:
        if isinstance(value, Posted):
            return value.pk, value.text
        if value in (None, ""):
            return "", ""
        if isinstance(value, Model):
            obj: Any = value
        else:
            # the field sets `choices` with its queryset (the actor's scope), as for a <select>
            queryset = getattr(getattr(self, "choices", None), "queryset", None)
            pk = parse_id(value)
            found = queryset is not None and pk is not None
            obj = queryset.filter(pk=pk).first() if found else None  # type: ignore[union-attr]
        if obj is None:
            return "", ""
        return str(obj.pk), registered(self.kind).label(obj)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        pk, text = self._shown(value)
        kind = registered(self.kind)
        url = reverse("choosers:choose", args=[self.kind])
        query = urlencode({"scope": self.scope, **self.params})
        widget = context["widget"]
        widget.update(
            pk=pk,
            text=text,
            url=f"{url}?{query}",
            placeholder=kind.placeholder or _("输入名称搜索"),
            noun=kind.noun,
            list_id=f"{widget['attrs'].get('id', name)}_options",
        )
        return context

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        # The project's templates (the default form renderer reads only the apps' own); the
        # template escapes what it shows, render_to_string gives it back as safe.
        html = render_to_string(self.template_name, self.get_context(name, value, attrs))
        assert isinstance(html, SafeString)
        return html

    def id_for_label(self, id_: str) -> str:
        return id_


def registered(kind: str) -> ChooserKind:
    try:
        return kinds[kind]
    except KeyError:
        raise LookupError(f"no chooser kind {kind!r} registered") from None


class ChooserField(forms.ModelChoiceField):
    """A ModelChoiceField picked through a `ChooserInput`: the queryset is the actor's scope
    (set as for any ModelChoiceField), `scope` the registered scope the search endpoint uses,
    which must give the same rows. Call `with_params(...)` for a scope that takes parameters."""

    def __init__(self, *, kind: str, scope: str, queryset: QuerySet[Any], **kwargs: Any) -> None:
        self.kind_name = kind
        kwargs.setdefault("widget", ChooserInput(kind, scope))
        super().__init__(queryset=queryset, **kwargs)
        self.error_messages["invalid_choice"] = gettext_lazy(
            "所选对象不存在或不在您可以选择的范围内，请重新选择。"
        )

    def with_params(self, **params: Any) -> ChooserField:
        self.widget.params = {k: str(v) for k, v in params.items()}
        return self

    def label_from_instance(self, obj: Any) -> str:
        return registered(self.kind_name).label(obj)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Posted):
            pk, text = value.pk, value.text
        else:
            pk, text = ("" if value is None else str(value)), ""
        if pk:
            try:
                obj = super().to_python(pk)
            except forms.ValidationError:
                if not text:  # a forged or stale id alone is refused
                    raise
            else:
                if not text or text == self.label_from_instance(obj):
                    return obj
        # the text was typed after the id was picked (or without JS): it decides, in scope
        if not text or self.queryset is None:
            return None
        return resolve(registered(self.kind_name), self.queryset, text)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return True


# --- several at once ------------------------------------------------------------------------
SEPARATORS = re.compile(r"[、，,；;\n]+")


@dataclass(frozen=True)
class PostedMany:
    """What a multiple chooser posts: the ids picked (checked boxes) and the names typed."""

    pks: list[str]
    text: str


class ChooserMultipleInput(ChooserInput):
    """The ids picked as checked boxes (unchecking one drops it), and a search field that adds
    one per pick (with JavaScript) or takes several names separated by 、 or commas (without)."""

    template_name = "core/widgets/chooser_multiple.html"

    def value_from_datadict(self, data: Any, files: Any, name: str) -> PostedMany | None:
        pks = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
        if isinstance(pks, (str, int)):
            pks = [pks]
        text = data.get(f"{name}_text")
        if not pks and text is None:
            return None
        return PostedMany(pks=[str(p).strip() for p in pks if str(p).strip()], text=str(text or ""))

    def _chosen(self, value: Any) -> tuple[list[tuple[str, str]], str]:
        text = ""
        if isinstance(value, PostedMany):
            value, text = value.pks, value.text
        ids = [pk for pk in (parse_id(getattr(v, "pk", v)) for v in value or []) if pk is not None]
        queryset = getattr(getattr(self, "choices", None), "queryset", None)
        if not ids or queryset is None:
            return [], text
        label = registered(self.kind).label
        found = {o.pk: o for o in queryset.filter(pk__in=ids)}  # only what the actor may pick
        return [(str(pk), label(found[pk])) for pk in dict.fromkeys(ids) if pk in found], text

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, None, attrs)
        chosen, text = self._chosen(value)
        context["widget"].update(chosen=chosen, text=text)
        return context


class ChooserMultipleField(forms.ModelMultipleChoiceField):
    """Several picked through a `ChooserMultipleInput`; every id posted is checked against the
    queryset (the actor's scope) and every name typed resolved within it."""

    def __init__(self, *, kind: str, scope: str, queryset: QuerySet[Any], **kwargs: Any) -> None:
        self.kind_name = kind
        kwargs.setdefault("widget", ChooserMultipleInput(kind, scope))
        super().__init__(queryset=queryset, **kwargs)
        refused = gettext_lazy("所选对象不存在或不在您可以选择的范围内，请重新选择。")
        self.error_messages["invalid_choice"] = refused
        self.error_messages["invalid_pk_value"] = refused

    def with_params(self, **params: Any) -> ChooserMultipleField:
        self.widget.params = {k: str(v) for k, v in params.items()}
        return self

    def label_from_instance(self, obj: Any) -> str:
        return registered(self.kind_name).label(obj)

    def clean(self, value: Any) -> Any:
        if isinstance(value, PostedMany):
            pks, text = value.pks, value.text
        else:
            pks, text = [str(v) for v in value or []], ""
        queryset = self.queryset
        if queryset is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"])
        chosen = list(self._check_values(pks)) if pks else []  # type: ignore[attr-defined]
        errors = []
        for name in (part.strip() for part in SEPARATORS.split(text)):
            if not name:
                continue
            try:
                chosen.append(resolve(registered(self.kind_name), queryset, name))
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        if self.required and not chosen:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return queryset.filter(pk__in=[o.pk for o in chosen])

    def has_changed(self, initial: Any, data: Any) -> bool:
        return True
