"""manage.py apikey create|list|revoke: API keys of the built-in authenticator."""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apiauth.models import ApiKey


def _expiry(text):
    if not text:
        return None
    if text[-1] in "dh" and text[:-1].isdigit():
        amount = int(text[:-1])
        return timezone.now() + (timedelta(days=amount) if text[-1] == "d" else timedelta(hours=amount))
    moment = parse_datetime(text)
    if moment is None:
        raise CommandError(f"--expires: {text!r} is neither like 30d / 12h nor an ISO date-time")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Create, list and revoke API keys (AGENTSERVER_API_KEYS=1 turns them on)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a key for a user (printed once)")
        create.add_argument("--user", required=True, help="username of the key's owner")
        create.add_argument("--name", default="")
        create.add_argument("--expires", help="30d, 12h or an ISO date-time")
        create.add_argument("--create-user", action="store_true", help="create the user if missing")
        create.add_argument("--access-all", action="store_true",
                            help="grant the user apiauth.access_all_resources: it sees every user's resources")
        listing = sub.add_parser("list", help="list keys (prefix only)")
        listing.add_argument("--user")
        listing.add_argument("--all", action="store_true", help="include revoked keys")
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix or id")
        revoke.add_argument("key", help="the key's prefix (as listed), its id, or the key itself")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _create(self, *, user, name, expires, create_user, access_all, **_):
        User = get_user_model()
        owner = User.objects.filter(**{User.USERNAME_FIELD: user}).first()
        if owner is None:
            if not create_user:
                raise CommandError(f"no user {user!r} (add --create-user to make one)")
            owner = User.objects.create_user(**{User.USERNAME_FIELD: user})
        if access_all:
            from django.contrib.auth.models import Permission

            owner.user_permissions.add(Permission.objects.get(codename="access_all_resources", content_type__app_label="apiauth"))
        key, raw = ApiKey.objects.issue(user=owner, name=name, expires_at=_expiry(expires))
        self.stderr.write(f"API key {key.prefix}… for {owner}; copy it now, it is not shown again:")
        self.stdout.write(raw)

    def _list(self, *, user, all, **_):
        keys = ApiKey.objects.select_related("user")
        if user:
            keys = keys.filter(user__username=user)
        if not all:
            keys = keys.filter(revoked_at__isnull=True)
        for key in keys:
            state = "revoked" if key.revoked_at else ("expired" if not key.active else "active")
            self.stdout.write(f"{key.pk}\t{key.prefix}\t{key.user}\t{key.name}\t{state}\t"
                              f"expires={key.expires_at or '-'}\tlast_used={key.last_used_at or '-'}")

    def _revoke(self, *, key, **_):
        from apiauth.models import digest

        found = ApiKey.objects.filter(digest=digest(key)) | ApiKey.objects.filter(prefix=key)
        if key.isdigit():
            found = found | ApiKey.objects.filter(pk=int(key))
        found = list(found.distinct())
        if len(found) != 1:
            raise CommandError(f"{len(found)} keys match {key!r}: give one key's id")
        found[0].revoke()
        self.stdout.write(f"revoked {found[0].prefix}…")
