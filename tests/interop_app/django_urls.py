"""A user's Django URLconf mounted beside the API (http.app)."""
from django.http import JsonResponse
from django.urls import path


def ping(request):
    return JsonResponse({"pong": True, "method": request.method})


urlpatterns = [path("custom/ping", ping)]
