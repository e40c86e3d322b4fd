"""Errors that cross service boundaries.

A :class:`ServiceError` travels over the wire as ``{code, message, extra}`` and is raised again as the
same class on the caller's side: every subclass registers itself by its stable ``code``. Apps define
their own errors by subclassing one of the categories below, with a code ``"<app>.<snake_case>"``.
"""

from __future__ import annotations

from typing import Any, ClassVar

_REGISTRY: dict[str, type[ServiceError]] = {}


class ServiceError(Exception):
    """Base of every error a service method may raise to its caller."""

    code: ClassVar[str] = "service_error"
    http_status: ClassVar[int] = 400
    default_message: ClassVar[str] = "The request could not be completed."

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        existing = _REGISTRY.get(cls.code)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"error code {cls.code!r} is used by both {existing.__qualname__} and {cls.__qualname__}")
        _REGISTRY[cls.code] = cls

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra: dict[str, Any] = extra
        super().__init__(self.message)

    def __eq__(self, other: object) -> bool:
        return (
            type(self) is type(other)
            and isinstance(other, ServiceError)
            and (self.message, self.extra) == (other.message, other.extra)
        )

    def __hash__(self) -> int:
        return hash((type(self), self.message))

    def to_dict(self) -> dict[str, Any]:
        """The wire form: ``{"code", "message", "extra"}``."""
        return {"code": self.code, "message": self.message, "extra": self.extra}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ServiceError:
        """Rebuild the error a remote service raised, as the same class when it is known here."""
        code = str(data.get("code", "service_error"))
        cls = _REGISTRY.get(code)
        extra = data.get("extra") or {}
        if cls is None:
            err = ServiceError(str(data.get("message", "")), **extra)
            err.code = code  # type: ignore[misc]  # an error this process does not know by class
            return err
        return cls(str(data.get("message", "")) or None, **extra)


def error_class(code: str) -> type[ServiceError] | None:
    """The registered error class for ``code``, if any."""
    return _REGISTRY.get(code)


class InvalidInputError(ServiceError):
    code = "invalid_input"
    http_status = 400
    default_message = "The input is not valid."


class UnauthenticatedError(ServiceError):
    code = "not_authenticated"
    http_status = 401
    default_message = "Authentication credentials were not provided or are not valid."


class PermissionDeniedError(ServiceError):
    code = "permission_denied"
    http_status = 403
    default_message = "You do not have permission to perform this action."


class NotFoundError(ServiceError):
    code = "not_found"
    http_status = 404
    default_message = "Not found."


class ConflictError(ServiceError):
    code = "conflict"
    http_status = 409
    default_message = "The request conflicts with the current state."


class RateLimitedError(ServiceError):
    code = "rate_limited"
    http_status = 429
    default_message = "Too many requests; try again later."


class ServiceUnavailableError(ServiceError):
    """The remote service could not be reached, timed out, or failed (5xx)."""

    code = "service_unavailable"
    http_status = 503
    default_message = "A service Gau depends on is unavailable; try again shortly."


class RpcAuthenticationError(ServiceUnavailableError):
    """The remote service refused our signature: GAU_INTERNAL_KEYS differ between processes."""

    code = "rpc.signature_refused"
    default_message = "An internal service refused this process's signature (check GAU_INTERNAL_KEYS)."


class RpcProtocolError(ServiceUnavailableError):
    """The internal call itself failed, not the service's work: a deployment or version mistake.

    Misrouted (``GAU_SERVICE_URLS`` names a process that does not serve the app), a method or arguments
    the serving version does not know, a body over ``GAU_RPC_MAX_BODY``, or an answer that did not come
    from an RPC endpoint. Never a domain error: callers see a 503 and the client logs it at ERROR.
    """

    code = "rpc.protocol_error"
    default_message = "An internal service call failed (deployment or version mismatch)."


class RpcAppNotServedError(RpcProtocolError):
    code = "rpc.app_not_served"
    default_message = "An internal service call reached a process that does not serve the app."


class RpcUnknownMethodError(RpcProtocolError):
    code = "rpc.unknown_method"
    default_message = "An internal service call named a method the serving process does not have."


class RpcBadArgumentsError(RpcProtocolError):
    code = "rpc.bad_arguments"
    default_message = "An internal service call's arguments do not match the serving process's interface."


class RpcMalformedBodyError(RpcProtocolError):
    code = "rpc.malformed_body"
    default_message = "An internal service call's body is not valid JSON."


class RpcBodyTooLargeError(RpcProtocolError):
    code = "rpc.body_too_large"
    default_message = "An internal service call's body is larger than GAU_RPC_MAX_BODY."


class RpcBadResponseError(RpcProtocolError):
    code = "rpc.bad_response"
    default_message = "An internal service call got an answer that did not come from an RPC endpoint."


class ContractError(TypeError):
    """A call or result that does not match its interface as the wire would carry it (a programming error).

    Raised on the in-process path when ``GAU_RPC_VALIDATE_LOCAL`` is on, so a contract mistake shows in
    tests instead of only once the apps run apart.
    """


class RemoteCallInAtomicError(RuntimeError):
    """A call to a remote service was made inside ``transaction.atomic()`` (``GAU_RPC_REMOTE_IN_ATOMIC``).

    The remote side cannot take part in this transaction: its effects stay if this one rolls back, and the
    open transaction holds its locks for the whole network round trip. Call after commit instead
    (``transaction.on_commit``), or record the intent in an outbox.
    """
