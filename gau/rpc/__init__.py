"""Gau's service-interface kernel: one interface, served in-process or over signed HTTP.

Apps import from here to declare their interface (:class:`Service`, :func:`rpc_method`) and their
errors (subclasses of the categories in :mod:`gau.rpc.errors`). DTOs are frozen pydantic models
(:class:`DataModel`).
"""

from gau.rpc.dto import DataModel
from gau.rpc.errors import (
    ConflictError,
    ContractError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RemoteCallInAtomicError,
    RpcAuthenticationError,
    RpcProtocolError,
    ServiceError,
    ServiceUnavailableError,
    UnauthenticatedError,
)
from gau.rpc.service import Service, rpc_method

__all__ = [
    "ConflictError",
    "ContractError",
    "DataModel",
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RemoteCallInAtomicError",
    "RpcAuthenticationError",
    "RpcProtocolError",
    "Service",
    "ServiceError",
    "ServiceUnavailableError",
    "UnauthenticatedError",
    "rpc_method",
]
