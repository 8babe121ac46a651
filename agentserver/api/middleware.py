"""The request pipeline (``agentserver.api.pipeline``) as Django middleware, for every API view.

Non-API paths (``/admin``, ``/static``) pass through untouched. The stream consumers apply the same
pipeline in ``agentserver.api.consumers.StreamConsumer``.
"""
from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpResponse

from agentserver import serde
from agentserver.api import pipeline


def error_response(exc):
    rendered = pipeline.render_error(exc)
    if rendered is None:
        raise exc
    status, body, headers = rendered
    response = HttpResponse(serde.dumps(body), status=status, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    return response


class ApiPipelineMiddleware:
    async_capable = True
    sync_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        if not pipeline.is_api_path(request.path):
            return self.get_response(request)
        api_request, early = self._before(request)
        response = early if early is not None else self.get_response(request)
        return self._after(api_request, response)

    async def _acall(self, request):
        if not pipeline.is_api_path(request.path):
            return await self.get_response(request)
        if pipeline.policies():  # policies may do I/O (a database read): not on the event loop
            api_request, early = await sync_to_async(self._before, thread_sensitive=False)(request)
        else:
            api_request, early = self._before(request)
        response = early if early is not None else await self.get_response(request)
        return self._after(api_request, response)

    @staticmethod
    def _before(request):
        api_request = pipeline.ApiRequest.from_django(request)
        request.api = api_request
        answer = pipeline.preflight(api_request)
        if answer is not None:
            status, headers = answer
            response = HttpResponse("OK", status=status, content_type="text/plain; charset=utf-8")
            for name, value in headers:
                response[name] = value
            return api_request, response
        try:
            pipeline.admit(api_request)
        except Exception as exc:  # noqa: BLE001 - rendered, or re-raised when not an API error
            return api_request, error_response(exc)
        return api_request, None

    @staticmethod
    def _after(api_request, response):
        if api_request.method != "OPTIONS" or not api_request.header("access-control-request-method"):
            for name, value in pipeline.cors_headers(api_request):
                response[name] = value
        return response
