"""Data owned by the account app: people and their credentials.

No ForeignKey to another app's models: the avatar is a file id owned by the upload app.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower


class UserManager(BaseUserManager["User"]):
    """Creates users with a normalised (lower-cased) email."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True, email_verified=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively; we store them lower-cased and stripped."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who uses Gau's apps. Signs in with email (or username / phone) and password or Google."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    username = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001  # unique when set
    phone = models.CharField(max_length=16, null=True, blank=True, help_text="E.164, e.g. +84901234567")  # noqa: DJ001
    display_name = models.CharField(max_length=150, blank=True)
    avatar_file_id = models.UUIDField(null=True, blank=True, help_text="A file id owned by the upload app.")
    locale = models.CharField(max_length=16, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=32, blank=True)
    profile_links = models.JSONField(default=list, blank=True)
    email_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="account_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="account_user_username_ci_unique"),
            models.UniqueConstraint(fields=["phone"], name="account_user_phone_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        if self.username == "":
            self.username = None
        if self.phone == "":
            self.phone = None
        super().save(*args, **kwargs)


class AccountToken(models.Model):
    """A single-use secret sent by email (verify, reset, email change, unlock) or handed out (MFA step).

    Only the SHA-256 of the secret is stored; the secret itself exists only in the message that
    carries it. ``consume`` marks it used in one conditional UPDATE, so two concurrent uses cannot
    both succeed.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email"
        PASSWORD_RESET = "password_reset"  # noqa: S105  # a purpose name, not a password
        EMAIL_CHANGE = "email_change"
        UNLOCK = "unlock"
        MFA_LOGIN = "mfa_login"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    data = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]

    def __str__(self) -> str:
        return f"{self.purpose} for {self.user_id}"


class TotpDevice(models.Model):
    """A user's TOTP authenticator (RFC 6238). ``confirmed_at`` is set once a code proved the setup.

    The shared secret is stored encrypted (``gau.crypto``, key derived from SECRET_KEY; fallbacks still
    decrypt): a database dump alone does not yield codes. Read and write it through ``apps.account.mfa``.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="totp")
    #: Fernet token (ASCII) of the base32 secret, see ``apps.account.mfa.seal_secret``.
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    #: The last accepted time step: a code (and any older one) is never accepted twice.
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"TOTP for {self.user_id}"


class KnownDevice(models.Model):
    """A device (``X-Device-ID``, else the user agent) the user has signed in from with a password.

    Only a SHA-256 fingerprint is kept. A password sign-in from a device not listed here sends the
    ``account/new_signin`` notice (not for the account's very first device).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_devices")
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "fingerprint"], name="account_known_device_unique")]

    def __str__(self) -> str:
        return f"device {self.fingerprint[:8]} of {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time MFA recovery code, stored as a hash."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code {self.pk} for {self.user_id}"


class ExternalIdentity(models.Model):
    """A sign-in identity at an OpenID provider (issuer + subject) linked to a user."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    provider = models.CharField(max_length=32)
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="account_extid_iss_sub_unique")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"


class DeletionRequest(models.Model):
    """The outbox of ``DELETE me``: the other apps still to be told to forget a deleted user.

    Written in the same transaction that anonymises the user (one per user: ``user_id`` is the
    deterministic key), with one :class:`DeletionStep` per app call. ``apps.account.deletion`` drives the
    steps until each has succeeded, then deletes the request (and with it the address it held).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(unique=True)
    #: The address the email app must forget (the user row no longer has it); gone with the request.
    address = models.EmailField(max_length=254, blank=True)
    #: A driver holds the request while ``leased_until`` is in the future (calls run outside transactions).
    lease_token = models.UUIDField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    #: When the pending steps are next due (retry with backoff); the sweeper picks requests past it.
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    #: The W3C trace context of the deletion request: passes the sweeper publishes join its trace.
    traceparent = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="account_deletion_due")]

    def __str__(self) -> str:
        return f"deletion of {self.user_id}"


class DeletionStep(models.Model):
    """One idempotent call to another app for a :class:`DeletionRequest` (``name`` as in ``deletion.STEPS``)."""

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey(DeletionRequest, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=32)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "name"], name="account_deletion_step_unique")]

    def __str__(self) -> str:
        return f"{self.name} for {self.request_id}"
