from django.urls import path

from mofan.accounts import views, views_tokens

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.login_otp_view, name="login_otp"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("reauth/", views.reauth_view, name="reauth"),
    path("2fa/", views.totp_setup_view, name="totp_setup"),
    path("tokens/", views_tokens.tokens_view, name="tokens"),
    path("tokens/new/", views_tokens.token_create_view, name="token_create"),
    path("tokens/<int:pk>/revoke/", views_tokens.token_revoke_view, name="token_revoke"),
]
