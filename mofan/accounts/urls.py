from django.urls import path

from mofan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.login_otp_view, name="login_otp"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("reauth/", views.reauth_view, name="reauth"),
    path("2fa/", views.totp_setup_view, name="totp_setup"),
]
