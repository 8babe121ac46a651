from django.urls import path

from crons import views

# Included before runs.urls: "runs/<run_id>" and "threads/<id>/runs/<run_id>" would match otherwise.
urlpatterns = [
    path("threads/<str:thread_id>/runs/crons", views.ThreadCronsView.as_view(), name="thread-crons"),
    path("runs/crons", views.CronsView.as_view(), name="crons"),
    path("runs/crons/search", views.CronSearchView.as_view(), name="crons-search"),
    path("runs/crons/count", views.CronCountView.as_view(), name="crons-count"),
    path("runs/crons/<str:cron_id>", views.CronDetailView.as_view(), name="cron-detail"),
]
