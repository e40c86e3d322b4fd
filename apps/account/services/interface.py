"""The account service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc
import uuid

from apps.account.services.dto import PasswordCheckData, UserData
from gau.rpc import Service, rpc_method


class AccountService(Service):
    """Users, registration, email verification, login, profile and avatar, password reset, Google sign-in."""

    app = "account"
    #: The most ids one :meth:`get_users` call takes (keeps internal payloads bounded).
    MAX_BATCH = 1000
    local_implementation = "apps.account.services.local.LocalAccountService"

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def get_user(self, *, user_id: uuid.UUID) -> UserData | None:
        """The user with ``user_id``, or ``None``. Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def get_users(self, *, user_ids: list[uuid.UUID]) -> list[UserData]:
        """The users among ``user_ids`` that exist, in no particular order (one call for a whole page).

        At most ``MAX_BATCH`` ids; more raise ``InvalidInputError``. Idempotent.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def get_user_by_email(self, *, email: str) -> UserData | None:
        """The user whose email matches ``email`` case-insensitively, or ``None``. Idempotent."""

    @rpc_method
    @abc.abstractmethod
    def create_user(self, *, email: str, password: str, display_name: str = "") -> UserData:
        """Create an active, unverified user.

        Raises ``EmailTakenError`` if the address is in use, ``InvalidPasswordError`` (``extra.messages``)
        if Django's password validators refuse ``password``. Not idempotent.
        """

    @rpc_method
    @abc.abstractmethod
    def authenticate_password(
        self, *, identifier: str, password: str, ip: str, user_agent: str = ""
    ) -> PasswordCheckData:
        """Check a password for a one-off action on a hosted page (nothing is issued), under the sign-in
        rules: throttled per account + IP and per IP (``LoginThrottledError``, with the unlock email),
        ``InvalidCredentialsError`` for a wrong password or an unknown or deactivated account alike,
        ``EmailNotVerifiedError`` (only after a correct password) when verified addresses are required.
        With a second factor the answer carries ``mfa_token`` instead of the user. Not idempotent.
        """

    @rpc_method
    @abc.abstractmethod
    def authenticate_mfa(self, *, mfa_token: str, code: str, ip: str) -> UserData:
        """Finish :meth:`authenticate_password` with a TOTP or recovery code (each works once).

        Raises ``InvalidMfaCodeError``, ``LoginThrottledError``, or ``InvalidTokenError`` when the
        pending step is unknown, expired or used. Not idempotent.
        """
