"""The ``me_peer`` baseline: ``GET me`` the way most DRF projects write it.

djangorestframework-simplejwt's ``JWTAuthentication`` (the user loaded from the database on every
request, as its docs configure it) and a ``ModelSerializer`` over the same user table and fields as
Gau's ``MeOut``. Configured per simplejwt's docs for production: HS256 signed with its own key (the
default ``SIGNING_KEY`` is ``SECRET_KEY``), ``USER_ID_FIELD = "id"``, 10-minute access tokens like
Gau's, no blacklist app (its check would add a query per request). It runs in the same server process
configuration and settings module as Gau (``bench.settings_peer_me``), at an API path, so both sides get
the same middleware.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from apps.account.models import User  # bench code: the peer reads the same table directly


class PeerMeSerializer(serializers.ModelSerializer[Any]):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "phone",
            "display_name",
            "locale",
            "timezone",
            "date_of_birth",
            "gender",
            "profile_links",
            "email_verified",
            "created_at",
            "updated_at",
        ]


class PeerMeApi(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(PeerMeSerializer(request.user).data)
