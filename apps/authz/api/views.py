"""Thin DRF views of the authz app: token refresh, API keys, the JWKS document."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.authz import selectors
from apps.authz.api import serializers as s
from apps.authz.models import ApiKey
from apps.authz.services import (
    ApiKeyData,
    DenyApiKeys,
    IsAuthenticatedPrincipal,
    PrincipalData,
    authz_service,
)
from gau.api.pagination import CursorPagination
from gau.api.schema import errors


def _api_key_out(key: ApiKeyData) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": sorted(key.scopes),
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "last_used_at": key.last_used_at,
    }


class JwksApi(APIView):
    """The public keys that verify access tokens (RFC 7517 JWK Set)."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(operation_id="authz_jwks", responses={200: s.JwksOutput}, tags=["authz"])
    def get(self, request: Request) -> Response:
        response = Response(authz_service.get_jwks())
        response["Cache-Control"] = "public, max-age=300"
        return response


class TokenRefreshApi(APIView):
    """Exchange a refresh token for a new pair; the presented token is rotated out."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        operation_id="authz_token_refresh",
        request=s.TokenRefreshInput,
        responses={200: s.TokenPairOutput, **errors(400, 401)},
        tags=["authz"],
        description="401 `authz.invalid_token` for an unknown, expired or revoked token; 401 `authz.token_reused` "
        "when an already-rotated token is presented (the whole session is then ended).",
    )
    def post(self, request: Request) -> Response:
        data = s.TokenRefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        pair = authz_service.refresh_tokens(refresh_token=data.validated_data["refresh_token"])
        response = Response(
            {
                "access_token": pair.access_token,
                "refresh_token": pair.refresh_token,
                "token_type": pair.token_type,
                "expires_in": pair.expires_in,
            }
        )
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyListCreateApi(ListModelMixin, GenericAPIView):  # type: ignore[type-arg]
    """The caller's API keys (cursor-paginated). Creating one needs a signed-in session, not an API key."""

    authz_app = "authz"
    serializer_class = s.ApiKeyOutput
    pagination_class = CursorPagination

    def get_queryset(self) -> QuerySet[ApiKey]:
        principal: PrincipalData = self.request.user  # type: ignore[assignment]
        return selectors.api_key_list(user_id=principal.user_id)

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticatedPrincipal(), DenyApiKeys()]
        return [IsAuthenticatedPrincipal()]

    @extend_schema(
        operation_id="authz_api_keys_list",
        responses={200: s.ApiKeyOutput(many=True), **errors(401, 403)},
        tags=["authz"],
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        operation_id="authz_api_keys_create",
        request=s.ApiKeyCreateInput,
        responses={201: s.ApiKeyCreatedOutput, **errors(400, 401, 403, 409)},
        tags=["authz"],
    )
    def post(self, request: Request) -> Response:
        principal: PrincipalData = request.user  # type: ignore[assignment]
        data = s.ApiKeyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = authz_service.create_api_key(
            user_id=principal.user_id,
            name=data.validated_data["name"],
            scopes=frozenset(data.validated_data["scopes"]),
            expires_at=data.validated_data.get("expires_at"),
        )
        response = Response({**_api_key_out(created.api_key), "key": created.key}, status=201)
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyDeleteApi(APIView):
    """Revoke one of the caller's API keys (404 for anyone else's)."""

    authz_app = "authz"
    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(operation_id="authz_api_keys_delete", responses={204: None, **errors(401, 403, 404)}, tags=["authz"])
    def delete(self, request: Request, key_id: uuid.UUID) -> HttpResponse:
        principal: PrincipalData = request.user  # type: ignore[assignment]
        authz_service.revoke_api_key(user_id=principal.user_id, api_key_id=key_id)
        return Response(status=204)
