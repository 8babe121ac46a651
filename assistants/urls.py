from django.urls import path

from assistants import views

urlpatterns = [
    path("assistants", views.AssistantCreateView.as_view(), name="assistant-create"),
    path("assistants/search", views.AssistantSearchView.as_view(), name="assistant-search"),
    path("assistants/count", views.AssistantCountView.as_view(), name="assistant-count"),
    path("assistants/<str:assistant_id>", views.AssistantDetailView.as_view(), name="assistant-detail"),
    path("assistants/<str:assistant_id>/graph", views.AssistantGraphView.as_view(), name="assistant-graph"),
    path("assistants/<str:assistant_id>/schemas", views.AssistantSchemasView.as_view(), name="assistant-schemas"),
    path("assistants/<str:assistant_id>/subgraphs", views.AssistantSubgraphsView.as_view(),
         name="assistant-subgraphs"),
    path("assistants/<str:assistant_id>/subgraphs/<path:namespace>", views.AssistantSubgraphsView.as_view(),
         name="assistant-subgraphs-namespace"),
    path("assistants/<str:assistant_id>/versions", views.AssistantVersionsView.as_view(),
         name="assistant-versions"),
    path("assistants/<str:assistant_id>/latest", views.AssistantLatestView.as_view(), name="assistant-latest"),
]
