from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

from agentserver.api.views import InfoView, OkView

handler404 = "agentserver.api.exceptions.json_404"
handler500 = "agentserver.api.exceptions.json_500"

urlpatterns = [
    path("", include("interop.urls")),  # custom routes (langgraph.json http.app) first, /metrics, /docs
    path("", OkView.as_view()),
    path("ok", OkView.as_view(), name="ok"),
    path("info", InfoView.as_view(), name="info"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("admin/", admin.site.urls),
    path("", include("assistants.urls")),
    path("", include("threads.urls")),
    path("", include("crons.urls")),
    path("", include("runs.urls")),
    path("", include("store.urls")),
]
