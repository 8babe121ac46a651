"""A user's Django URLconf mounted beside the API (http.app)."""
from django.http import JsonResponse
from django.urls import path


def ping(request):
    return JsonResponse({"pong": True, "method": request.method})


def whoami(request):
    """The caller, when the route is authenticated (http.enable_custom_route_auth)."""
    user = getattr(getattr(request, "api", None), "user", None)
    return JsonResponse({"identity": user["identity"] if user else None})


urlpatterns = [path("custom/ping", ping), path("custom/whoami", whoami)]
