"""Crons API: /threads/{thread_id}/runs/crons, /runs/crons, /runs/crons/search|count|{cron_id}."""
from rest_framework.response import Response
from rest_framework.views import APIView

from agentserver.api.fields import require_object, uuid_or_422
from crons import selectors, services
from crons import serializers as s


def _validated(serializer_class, data):
    serializer = serializer_class(data=require_object(data))
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ThreadCronsView(APIView):
    def post(self, request, thread_id):
        thread_id = uuid_or_422(thread_id, what="thread")
        fields, payload = s.validate_payload(require_object(request.data))
        cron = services.create_cron(fields=fields, payload=payload, thread_id=thread_id)
        return Response(s.cron_json(cron))


class CronsView(APIView):
    def post(self, request):
        fields, payload = s.validate_payload(require_object(request.data))
        cron = services.create_cron(fields=fields, payload=payload)
        return Response(s.cron_json(cron))


class CronSearchView(APIView):
    def post(self, request):
        params = _validated(s.CronSearchSerializer, request.data)
        select = params.pop("select", None)
        return Response([s.cron_json(cron, select=select) for cron in selectors.search_crons(**params)])


class CronCountView(APIView):
    def post(self, request):
        return Response(selectors.count_crons(**_validated(s.CronCountSerializer, request.data)))


class CronDetailView(APIView):
    def get(self, request, cron_id):
        return Response(s.cron_json(selectors.get_cron(cron_id=uuid_or_422(cron_id, what="cron"))))

    def patch(self, request, cron_id):
        cron_id = uuid_or_422(cron_id, what="cron")
        fields, payload = s.validate_payload(require_object(request.data), partial=True)
        return Response(s.cron_json(services.update_cron(cron_id=cron_id, fields=fields, payload=payload)))

    def delete(self, request, cron_id):
        services.delete_cron(cron_id=uuid_or_422(cron_id, what="cron"))
        return Response(status=204)
