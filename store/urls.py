from django.urls import path

from store import views

urlpatterns = [
    path("store/items", views.ItemsView.as_view(), name="store-items"),
    path("store/items/search", views.SearchItemsView.as_view(), name="store-search"),
    path("store/namespaces", views.NamespacesView.as_view(), name="store-namespaces"),
]
