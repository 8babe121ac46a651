from django.urls import path

from interop.custom_routes import user_urlpatterns
from interop.docs import DocsView, sidecar_file
from interop.metrics import MetricsView

# The user's Django routes (langgraph.json http.app) come first: they may override the API's.
urlpatterns = [
    *user_urlpatterns(),
    path("metrics", MetricsView.as_view(), name="metrics"),
    path("docs", DocsView.as_view(), name="docs"),
    path("static/drf_spectacular_sidecar/<path:path>", sidecar_file),
]
