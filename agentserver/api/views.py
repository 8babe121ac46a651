"""System endpoints: /ok, /info."""
from rest_framework.response import Response
from rest_framework.views import APIView

import agentserver
from agentserver import health


class OkView(APIView):
    def get(self, request):
        services = health.check_services()
        ok = all(item["ok"] for item in services.values())
        body = {"ok": ok, "services": services}
        if ok:
            body.update(health.notes())
        if not ok:
            body["detail"] = "; ".join(f"{name}: {item['error']}" for name, item in services.items() if not item["ok"])
        return Response(body, status=200 if ok else 500)


class InfoView(APIView):
    def get(self, request):
        import langgraph.version

        return Response(
            {
                "version": agentserver.__version__,
                "langgraph_py_version": getattr(langgraph.version, "__version__", None),
                "flags": {"assistants": True, "crons": True, "langsmith": False},
                "host": {"kind": "self-hosted", "project_id": None, "host_revision_id": None,
                         "revision_id": None, "tenant_id": None},
            }
        )
