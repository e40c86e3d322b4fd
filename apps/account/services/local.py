"""The in-process implementation of :class:`AccountService`."""

from __future__ import annotations

import uuid

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.account import flows, selectors
from apps.account.models import User
from apps.account.services.dto import PasswordCheckData, UserData
from apps.account.services.errors import EmailTakenError, InvalidPasswordError
from apps.account.services.interface import AccountService
from gau.rpc import InvalidInputError


def user_data(user: User) -> UserData:
    """The DTO for a user row."""
    return UserData(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        locale=user.locale,
        timezone=user.timezone,
        email_verified=user.email_verified,
        is_active=user.is_active,
        avatar_file_id=user.avatar_file_id,
        created_at=user.created_at,
        username=user.username,
    )


class LocalAccountService(AccountService):
    """Implements the account interface on this process's database."""

    def get_user(self, *, user_id: uuid.UUID) -> UserData | None:
        user = selectors.user_get(user_id=user_id)
        return user_data(user) if user else None

    def get_users(self, *, user_ids: list[uuid.UUID]) -> list[UserData]:
        if len(user_ids) > self.MAX_BATCH:
            raise InvalidInputError(f"At most {self.MAX_BATCH} user ids per call.", limit=self.MAX_BATCH)
        return [user_data(user) for user in selectors.user_list(user_ids=set(user_ids))] if user_ids else []

    def get_user_by_email(self, *, email: str) -> UserData | None:
        user = selectors.user_get_by_email(email=email)
        return user_data(user) if user else None

    def create_user(self, *, email: str, password: str, display_name: str = "") -> UserData:
        candidate = User(email=email, display_name=display_name)
        try:
            password_validation.validate_password(password, user=candidate)
        except ValidationError as exc:
            raise InvalidPasswordError(messages=list(exc.messages)) from None
        if selectors.user_get_by_email(email=email):
            raise EmailTakenError()
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, display_name=display_name)
        except IntegrityError:  # a concurrent registration won the race
            raise EmailTakenError() from None
        return user_data(user)

    def authenticate_password(
        self, *, identifier: str, password: str, ip: str, user_agent: str = ""
    ) -> PasswordCheckData:
        step = flows.page_sign_in(identifier=identifier, password=password, ip=ip, user_agent=user_agent)
        if step.mfa_token is not None:
            return PasswordCheckData(mfa_token=step.mfa_token)
        assert step.user is not None
        return PasswordCheckData(user=user_data(step.user))

    def authenticate_mfa(self, *, mfa_token: str, code: str, ip: str) -> UserData:
        return user_data(flows.page_sign_in_mfa(mfa_token=mfa_token, code=code, ip=ip))
