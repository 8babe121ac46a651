"""Crons API: /threads/{thread_id}/runs/crons, /runs/crons, /runs/crons/search|count|{cron_id}.

Authorized as ``("crons", "create"|"read"|"update"|"delete"|"search")`` (``agentserver.api.access``);
the filters apply to the cron's metadata in SQL (another user's cron is a 404). Creating one is also
``threads.create_run`` for its run payload (the runs it fires are the caller's runs: the thread must
be visible to the caller, the handler may stamp the runs' metadata) and the cron keeps the caller,
whom its runs carry in ``config.configurable`` (``langgraph_auth_user``...)."""
from rest_framework.response import Response
from rest_framework.views import APIView

from agentserver.api import access
from agentserver.api.fields import require_object, uuid_or_422
from agentserver.api.validation import validated
from crons import selectors, services
from crons import serializers as s


def _validated(serializer_class, data):
    return validated(serializer_class, require_object(data))


def _api(request):
    return getattr(request, "api", None)


def _authorize(request, action, value):
    return access.authorize(_api(request), "crons", action, value)


def create(request, *, thread_id=None):
    """Validate, authorize (``crons.create``, then ``threads.create_run`` on the payload), create."""
    fields, payload = s.validate_payload(require_object(request.data))
    api = _api(request)
    user = access.user_of(api)
    if not access.enabled() or user is None:
        return services.create_cron(fields=fields, payload=payload, thread_id=thread_id)
    value = {"payload": payload, "schedule": fields["schedule"], "cron_id": None, "thread_id": thread_id,
             "user_id": user.get("identity"), "end_time": fields.get("end_time"),
             "metadata": dict(fields.get("metadata") or {})}
    _authorize(request, "create", value)
    fields["metadata"] = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    payload = dict(value.get("payload") or payload)
    before = dict(payload.get("metadata") or {})
    stamped, thread_filters = access.authorize_run(api, payload, thread_id=thread_id)
    payload["metadata"] = stamped.get("metadata") or {}
    stamp = {key: item for key, item in payload["metadata"].items() if key not in before or before[key] != item}
    auth = {"user": access.stored_user(user), "run_metadata": stamp}
    return services.create_cron(fields=fields, payload=payload, thread_id=thread_id,
                                thread_filters=thread_filters, auth=auth)


class ThreadCronsView(APIView):
    def post(self, request, thread_id):
        return Response(s.cron_json(create(request, thread_id=uuid_or_422(thread_id, what="thread"))))


class CronsView(APIView):
    def post(self, request):
        return Response(s.cron_json(create(request)))


def _search_value(params):
    value = access.value_of(assistant_id=params.get("assistant_id"), thread_id=params.get("thread_id"),
                            limit=params.get("limit"), offset=params.get("offset"))
    value["metadata"] = dict(params.get("metadata") or {})
    return value


class CronSearchView(APIView):
    def post(self, request):
        params = _validated(s.CronSearchSerializer, request.data)
        select = params.pop("select", None)
        value = _search_value(params)
        params["filters"] = _authorize(request, "search", value)
        params["metadata"] = value.get("metadata") or None
        return Response([s.cron_json(cron, select=select) for cron in selectors.search_crons(**params)])


class CronCountView(APIView):
    def post(self, request):
        params = _validated(s.CronCountSerializer, request.data)
        value = _search_value(params)
        params["filters"] = _authorize(request, "search", value)
        params["metadata"] = value.get("metadata") or None
        return Response(selectors.count_crons(**params))


class CronDetailView(APIView):
    def get(self, request, cron_id):
        cron_id = uuid_or_422(cron_id, what="cron")
        filters = _authorize(request, "read", {"cron_id": cron_id})
        return Response(s.cron_json(selectors.get_cron(cron_id=cron_id, filters=filters)))

    def patch(self, request, cron_id):
        cron_id = uuid_or_422(cron_id, what="cron")
        fields, payload = s.validate_payload(require_object(request.data), partial=True)
        value = {"cron_id": cron_id, "payload": payload, "schedule": fields.get("schedule"),
                 "metadata": dict(fields.get("metadata") or {})}
        filters = _authorize(request, "update", value)
        if access.enabled():
            fields["metadata"] = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        cron = services.update_cron(cron_id=cron_id, fields=fields, payload=payload, filters=filters)
        return Response(s.cron_json(cron))

    def delete(self, request, cron_id):
        cron_id = uuid_or_422(cron_id, what="cron")
        services.delete_cron(cron_id=cron_id, filters=_authorize(request, "delete", {"cron_id": cron_id}))
        return Response(status=204)
