from django.urls import path

from interop.metrics import MetricsView

urlpatterns = [
    path("metrics", MetricsView.as_view(), name="metrics"),
]
