from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "store"
    label = "store"
    verbose_name = "Long-term memory store"
