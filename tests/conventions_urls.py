"""A small DRF API used only by tests/test_api_conventions.py to exercise the shared conventions."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from apps.account.services import UserNotFoundError
from gau.rpc import ServiceUnavailableError


class EchoInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=20)
    count = serializers.IntegerField(min_value=0)


class EchoApi(APIView):
    def post(self, request: Request) -> Response:
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class FailingApi(APIView):
    def get(self, request: Request, kind: str) -> Response:
        if kind == "domain":
            raise UserNotFoundError()
        if kind == "unavailable":
            raise ServiceUnavailableError(app="authz")
        raise RuntimeError("a bug")


class OnePerMinute(AnonRateThrottle):
    rate = "1/min"
    scope = "conventions"


class ThrottledApi(APIView):
    throttle_classes = [OnePerMinute]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/v2/test/echo", EchoApi.as_view()),
    path("api/v2/test/fail/<str:kind>", FailingApi.as_view()),
    path("api/v2/test/throttled", ThrottledApi.as_view()),
    path("", include("gau.urls")),
]
