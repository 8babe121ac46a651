"""API keys of the built-in authenticator (``AGENTSERVER["API_KEYS"]``).

A key is shown once, when it is made (``ApiKey.objects.issue``); only its SHA-256 digest is stored,
with a short non-secret prefix to recognise it in lists. A key belongs to a Django user: what the
key creates belongs to that user. Revoked or expired keys authenticate no one."""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "as_"


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def issue(self, *, user, name="", expires_at=None):
        """A new key for ``user``: ``(ApiKey, raw)``; ``raw`` is never stored nor shown again."""
        raw = PREFIX + secrets.token_urlsafe(32)
        key = self.create(user=user, name=name, prefix=raw[:10], digest=digest(raw), expires_at=expires_at)
        return key, raw

    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))

    def find(self, raw: str):
        """The usable key ``raw`` is, with its user, or None."""
        if not raw:
            return None
        return self.usable().select_related("user").filter(digest=digest(raw)).first()


class ApiKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys",
                             help_text="What this key creates belongs to this user.")
    name = models.CharField(max_length=200, blank=True, default="")
    prefix = models.CharField(max_length=16, editable=False, help_text="The key's first characters (not secret).")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        permissions = [("access_all_resources", "Can see and change every user's resources through the API")]

    def __str__(self):
        return f"{self.prefix}… ({self.name or self.user})"

    @property
    def active(self):
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self, *, every_seconds=60):
        """Record a use (at most once a minute per key: no write per request)."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() >= every_seconds:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
