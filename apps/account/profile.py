"""Profile reads and writes: the "me" document, avatar, export and account deletion."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from apps.account import deletion, me_cache, mfa
from apps.account.models import AccountToken, ExternalIdentity, KnownDevice, RecoveryCode, TotpDevice, User
from apps.authz.services import authz_service
from apps.email.services import email_service
from apps.kanban.services import kanban_service
from apps.upload.services import upload_service
from gau.rpc import ServiceError

logger = logging.getLogger(__name__)

AVATAR_PURPOSE = "avatar"


def avatar_url(user: User) -> str | None:
    """The avatar's URL from the upload app, or ``None``."""
    if user.avatar_file_id is None:
        return None
    file = upload_service.get_file(file_id=user.avatar_file_id)
    return file.url if file is not None else None


def _mfa_enabled(user: User) -> bool:
    # The profile selector fetches the device's confirmation time with the user: no extra query.
    if hasattr(user, "mfa_confirmed_at"):
        return user.mfa_confirmed_at is not None
    try:
        device = user.totp
    except TotpDevice.DoesNotExist:
        return False
    return device.confirmed_at is not None


def me_data(user: User) -> dict[str, Any]:
    """The user's own view of their account."""
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "phone": user.phone,
        "display_name": user.display_name,
        "avatar_url": avatar_url(user),
        "locale": user.locale,
        "timezone": user.timezone,
        "time_zone": user.timezone,
        "date_of_birth": user.date_of_birth,
        "gender": user.gender,
        "profile_links": list(user.profile_links or []),
        "email_verified": user.email_verified,
        "mfa_enabled": _mfa_enabled(user),
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def set_avatar(*, user: User, filename: str, data: bytes) -> str:
    """Store a new avatar through the upload app, drop the previous one; returns its URL."""
    file = upload_service.create_file(owner_id=user.id, purpose=AVATAR_PURPOSE, filename=filename, data=data)
    previous = user.avatar_file_id
    with me_cache.invalidating([user.id]):
        User.objects.filter(id=user.id).update(avatar_file_id=file.id)
    if previous is not None and previous != file.id:
        try:
            upload_service.delete_file(file_id=previous, owner_id=user.id)
        except ServiceError:  # already gone: nothing to clean up
            logger.info("previous avatar %s of %s was already gone", previous, user.id)
    return str(file.url)


def delete_account(*, user: User) -> None:
    """Deactivate and anonymise the account, end its sessions, and have the other apps forget the user.

    Local rows are changed and, in the same transaction, the deletion is recorded in the outbox
    (``apps.account.deletion``): what the other apps must forget can no longer be lost. After the commit
    one pass calls them (never inside a transaction); a step that fails is retried by the
    ``account.finish_deletion`` task with backoff, the beat sweeper, or ``account_finish_deletions``.
    """
    user_id = user.id
    address = user.email
    with transaction.atomic():
        user.is_active = False
        user.email = f"deleted-{user_id}@deleted.invalid"
        user.username = None
        user.phone = None
        user.display_name = ""
        user.avatar_file_id = None
        user.date_of_birth = None
        user.gender = ""
        user.profile_links = []
        user.email_verified = False
        user.set_unusable_password()
        user.save()
        AccountToken.objects.filter(user_id=user_id).delete()
        TotpDevice.objects.filter(user_id=user_id).delete()
        RecoveryCode.objects.filter(user_id=user_id).delete()
        ExternalIdentity.objects.filter(user_id=user_id).delete()
        KnownDevice.objects.filter(user_id=user_id).delete()
        request = deletion.record(user_id=user_id, address=address)
        deletion.start_after_commit(request.id)


def export(*, user: User) -> dict[str, Any]:
    """Everything Gau holds for the user, gathered through each app's interface."""
    me = me_data(user)
    me["id"] = str(me["id"])
    for key in ("created_at", "updated_at", "date_of_birth"):
        me[key] = me[key].isoformat() if me[key] is not None else None
    identities = [
        {"provider": x.provider, "issuer": x.issuer, "subject": x.subject, "email": x.email}
        for x in ExternalIdentity.objects.filter(user=user)
    ]
    avatar: dict[str, Any] | None = None
    if user.avatar_file_id is not None:
        file = upload_service.get_file(file_id=user.avatar_file_id)
        avatar = file.model_dump(mode="json") if file is not None else None
    return {
        "format": "gau-export/1",
        "user_id": str(user.id),
        "account": {**me, "external_identities": identities, "recovery_codes_left": mfa.remaining_recovery_codes(user)},
        "authz": authz_service.export_user_data(user_id=user.id),
        "upload": {"avatar": avatar},
        "email": {
            "address": user.email,
            "messages": [m.model_dump(mode="json") for m in email_service.export_recipient_data(address=user.email)],
        },
        "kanban": kanban_service.export_user_data(user_id=user.id),
    }
