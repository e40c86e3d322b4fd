"""The account service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc
import uuid

from apps.account.services.dto import UserData
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
