"""GET /docs: the OpenAPI document (``/openapi.json``) in Swagger UI, from drf-spectacular-sidecar's
files, which this app serves itself (daphne and uvicorn serve no static files)."""
from django.contrib.staticfiles.views import serve
from drf_spectacular.views import SpectacularSwaggerView

SIDECAR = "drf_spectacular_sidecar/"


class DocsView(SpectacularSwaggerView):
    url_name = "openapi"
    title = "agentserver API Reference"
    # an HTML page: OPTIONS would render DRF's metadata through the page's template (a 500)
    http_method_names = ["get", "head"]


def sidecar_file(request, path):
    """Swagger UI's JS/CSS (found by Django's static finders, whatever ``DEBUG`` is)."""
    return serve(request, SIDECAR + path, insecure=True)
