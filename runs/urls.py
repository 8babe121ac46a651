from django.urls import path

from runs import views

urlpatterns = [
    path("threads/<str:thread_id>/runs", views.ThreadRunsView.as_view()),
    path("threads/<str:thread_id>/runs/<str:run_id>", views.RunDetailView.as_view()),
    path("threads/<str:thread_id>/runs/<str:run_id>/cancel", views.CancelRunView.as_view()),
    path("threads/<str:thread_id>/commands", views.ThreadCommandsView.as_view()),
    path("runs/cancel", views.BulkCancelView.as_view()),
    path("runs/batch", views.BatchRunsView.as_view()),
    path("runs", views.StatelessRunsView.as_view()),
    path("runs/<str:run_id>", views.StatelessRunDetailView.as_view()),
]
