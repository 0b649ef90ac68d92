"""The supervision ledger, 约谈, yellow cards, spot checks and bulletins, under /supervision/."""

from mofan.supervision import urls_bulletins, urls_ledger, urls_spotcheck

app_name = "supervision"
urlpatterns = [
    *urls_ledger.urlpatterns,
    *urls_spotcheck.urlpatterns,
    *urls_bulletins.urlpatterns,
]
