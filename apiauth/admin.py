"""API keys in the Django admin: made here (the key is shown once), listed by prefix, revoked."""
from django.contrib import admin, messages

from apiauth.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "expires_at", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # a key never moves to another user: revoke it and make one for them
        return self.readonly_fields + (("user",) if obj is not None else ())

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = ApiKey.objects.issue(user=obj.user, name=obj.name, expires_at=obj.expires_at)
        obj.pk, obj.prefix, obj.digest, obj.created_at = key.pk, key.prefix, key.digest, key.created_at
        self.message_user(request, f"The new API key (copy it now: it is not shown again): {raw}", messages.WARNING)

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request, queryset):
        for key in queryset:
            key.revoke()
        self.message_user(request, f"{queryset.count()} key(s) revoked.")
