"""Data owned by the authz app. No ForeignKey to another app's models: store ids."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models


class SigningKey(models.Model):
    """An Ed25519 key pair that signs access tokens. The private half is stored encrypted, never shown."""

    kid = models.CharField(max_length=64, primary_key=True)
    algorithm = models.CharField(max_length=16, default="EdDSA")
    #: Fernet token (key derived from SECRET_KEY) wrapping the PKCS#8 private key.
    private_key_encrypted = models.BinaryField(editable=False)
    #: The public JWK (kty, crv, x, kid, alg, use) as published at /.well-known/jwks.json.
    public_jwk = models.JSONField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    #: When a newer key took over signing; the key stays published until its tokens have expired.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kid} ({'retired' if self.retired_at else 'active'})"


class Session(models.Model):
    """A signed-in device: the family of refresh tokens issued from one login."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(db_index=True)
    device_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001  # None: no device named
    user_agent = models.CharField(max_length=500, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoked_reason = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user_id", "device_id"], name="authz_session_device"),
            models.Index(fields=["expires_at"], name="authz_session_expiry"),
        ]

    def __str__(self) -> str:
        return f"session {self.id} of {self.user_id}"

    @property
    def is_live(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires_at > timezone.now()


class RefreshToken(models.Model):
    """One refresh token of a session, stored only as its SHA-256 digest; ``used_at`` marks rotation."""

    token_hash = models.CharField(max_length=64, unique=True)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="refresh_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token {self.token_hash[:8]}… ({'used' if self.used_at else 'current'})"


class Role(models.Model):
    """A global role holding permission strings ("app.action", "app.*" or "*")."""

    name = models.CharField(max_length=50, primary_key=True)
    description = models.CharField(max_length=200, blank=True, default="")
    permissions = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.name


class UserRole(models.Model):
    """A role granted to a user (every user implicitly has the "user" role)."""

    user_id = models.UUIDField(db_index=True)
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user_id", "role"], name="authz_userrole_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role_id}"


class ApiKey(models.Model):
    """A long-lived key acting for its owner within scopes; stored as a SHA-256 digest plus a visible prefix."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(db_index=True)
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
