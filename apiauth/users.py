"""The authenticated user, as every authenticator returns it (``agentserver.api.access.AuthUser``)."""
from agentserver.api.access import AuthUser


def anonymous() -> AuthUser:
    return AuthUser(identity="", display_name="", permissions=[], is_authenticated=False)


def normalize(result) -> AuthUser:
    """An authenticate handler's return value as the reference accepts it: a string (the identity),
    a dict with ``identity`` (``MinimalUserDict``, extra keys kept), or an object with ``identity``
    (and optionally ``display_name``, ``permissions``)."""
    if isinstance(result, str):
        return AuthUser(identity=result, display_name=result, permissions=[], is_authenticated=True)
    if isinstance(result, dict):
        if not isinstance(result.get("identity"), str) or not result["identity"]:
            raise TypeError("the authenticate handler returned a dict without a string 'identity'")
        user = AuthUser(result)
        user.setdefault("display_name", user["identity"])
        user["permissions"] = list(user.get("permissions") or [])
        user.setdefault("is_authenticated", True)
        return user
    identity = getattr(result, "identity", None)
    if isinstance(identity, str) and identity:
        permissions = getattr(result, "permissions", None) or []
        return AuthUser(identity=identity, display_name=getattr(result, "display_name", identity) or identity,
                        permissions=list(permissions), is_authenticated=getattr(result, "is_authenticated", True))
    raise TypeError(f"the authenticate handler returned {type(result).__name__}: expected a str, a dict with "
                    "'identity' or an object with an 'identity' attribute")
