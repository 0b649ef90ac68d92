"""Problem lists and re-reviews, under /rectification/."""

from mofan.rectification import urls_items, urls_rereview

app_name = "rectification"
urlpatterns = [*urls_items.urlpatterns, *urls_rereview.urlpatterns]
