"""Forms for logging in, passwords, two-factor and account administration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from mofan.accounts.roles import Role
from mofan.core.choosers import ChooserField, ChooserMultipleField
from mofan.organizations.models import Unit


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("验证码或恢复码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: Any, *args: Any, ip: str | None = None, **kwargs: Any) -> None:
        self.user = user
        self.ip = ip
        # The outcome of the old-password check (under the login lock), once the form is bound.
        self.old_password_guess: Any = None
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        from mofan.accounts.services import Guess, old_password_check

        value = self.cleaned_data["old_password"]
        self.old_password_guess = old_password_check(user=self.user, password=value, ip=self.ip)
        if self.old_password_guess.locked:
            raise forms.ValidationError(_("当前密码连续输错，账号已锁定。"))
        if self.old_password_guess is not Guess.RIGHT:
            raise forms.ValidationError(_("当前密码不正确。"))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2:
            if new1 != new2:
                self.add_error("new_password2", _("两次输入的新密码不一致。"))
            elif data.get("old_password") == new1:
                self.add_error("new_password1", _("新密码不能与当前密码相同。"))
            else:
                try:
                    password_validation.validate_password(new1, self.user)
                except forms.ValidationError as exc:
                    self.add_error("new_password1", exc)
        return data


class ReauthForm(forms.Form):
    password = forms.CharField(label=_("当前密码"), strip=False, widget=forms.PasswordInput)


class BulkFromUnitsForm(forms.Form):
    all_units = forms.BooleanField(label=_("本工委全部在册单位"), required=False)
    units = ChooserMultipleField(
        kind="unit",
        scope="administered",
        label=_("或选择单位"),
        queryset=Unit.objects.none(),
        required=False,
    )
    roles = forms.MultipleChoiceField(
        label=_("为每个单位创建"),
        choices=[
            (Role.UNIT_ADMIN.value, Role.UNIT_ADMIN.label),
            (Role.UNIT_LEADER.value, Role.UNIT_LEADER.label),
        ],
        # a unit needs both: the 联络员 fills in, only the 单位领导 submits (DOMAIN.md)
        initial=[Role.UNIT_ADMIN.value, Role.UNIT_LEADER.value],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "默认两者都建：联络员填报自评，单位领导审核提交。姓名可在账号页面修改为真实姓名。"
        ),
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units  # type: ignore[attr-defined]
        self.all_of = units

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("all_units"):
            data["units"] = self.all_of
        elif "units" in data and not data["units"]:
            self.add_error("units", _("请选择单位，或勾选“本工委全部在册单位”。"))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    unit = ChooserField(
        kind="unit",
        scope="grants",
        label=_("单位"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("授予单位角色时填写。"),
    )

    def __init__(self, *args: Any, units: Any, roles: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["role"].choices = roles  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("令牌名称"), max_length=60, help_text=_("例如：组织部花名册同步")
    )
    scope = forms.ChoiceField(
        label=_("权限"),
        choices=[("read", _("只读")), ("read_write", _("读写"))],
        initial="read",
    )
    days = forms.IntegerField(label=_("有效期（天）"), min_value=1, max_value=365, initial=90)
