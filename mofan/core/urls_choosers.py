from django.urls import path

from mofan.core.views_choosers import choose

app_name = "choosers"
urlpatterns = [path("<slug:kind>/", choose, name="choose")]
