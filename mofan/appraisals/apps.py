from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    name = "mofan.appraisals"
    label = "appraisals"
    verbose_name = "述职评议"
