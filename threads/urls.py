from django.urls import path

from threads import views

urlpatterns = [
    path("threads", views.ThreadCreateView.as_view(), name="thread-create"),
    path("threads/search", views.ThreadSearchView.as_view(), name="thread-search"),
    path("threads/count", views.ThreadCountView.as_view(), name="thread-count"),
    path("threads/prune", views.ThreadPruneView.as_view(), name="thread-prune"),
    path("threads/<str:thread_id>", views.ThreadDetailView.as_view(), name="thread-detail"),
    path("threads/<str:thread_id>/copy", views.ThreadCopyView.as_view(), name="thread-copy"),
    path("threads/<str:thread_id>/state", views.ThreadStateView.as_view(), name="thread-state"),
    path("threads/<str:thread_id>/state/checkpoint", views.ThreadStateCheckpointView.as_view(),
         name="thread-state-checkpoint"),
    path("threads/<str:thread_id>/state/<str:checkpoint_id>", views.ThreadStateAtView.as_view(),
         name="thread-state-at"),
    path("threads/<str:thread_id>/history", views.ThreadHistoryView.as_view(), name="thread-history"),
]
