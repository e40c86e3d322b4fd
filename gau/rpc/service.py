"""The service-interface kernel: declare an interface once, call it in-process or over signed HTTP.

An app declares ``class AuthzService(Service)`` with ``app = "authz"``, the dotted path of its local
implementation, and abstract, keyword-only, fully typed methods marked :func:`rpc_method`. Callers use
``AuthzService.resolve()``: a handle that forwards each call to the local implementation, or, when
``GAU_SERVICE_URLS`` names the app, to a remote proxy generated from the same interface.

With ``GAU_RPC_VALIDATE_LOCAL`` on (DEBUG, the test suite) the in-process path is held to the same
contract as the wire: arguments and results must validate against the interface and come out of a JSON
round trip unchanged, or :class:`~gau.rpc.errors.ContractError` is raised. Off, a call is a plain method
call on the local implementation (no wrapper).
"""

from __future__ import annotations

import abc
import importlib
import inspect
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self, cast, overload

import orjson
import pydantic
import pydantic_core
from django.conf import settings
from django.core.signals import setting_changed

from gau.rpc.dto import DataModel
from gau.rpc.errors import ContractError, ServiceError

_SERVICES: dict[str, type[Service]] = {}


@dataclass(frozen=True)
class MethodSpec:
    """What the kernel knows about one interface method: its argument model and return adapter."""

    name: str
    signature: inspect.Signature
    args_model: type[pydantic.BaseModel]
    returns: pydantic.TypeAdapter[Any]
    idempotent: bool

    def dump_args(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Validate call arguments and turn them into JSON-ready data (raises TypeError like a call would)."""
        self.signature.bind(None, **kwargs)  # unknown / missing keyword arguments: TypeError, as locally
        try:
            model = self.args_model.model_validate(kwargs)
        except pydantic.ValidationError as exc:
            raise TypeError(f"{self.name}(): {exc}") from None
        return model.model_dump(mode="json")

    def load_args(self, data: Any) -> dict[str, Any]:
        """Validate JSON arguments received over the wire (raises pydantic.ValidationError)."""
        model = self.args_model.model_validate(data)
        return {name: getattr(model, name) for name in type(model).model_fields}

    def check_local_args(self, app: str, kwargs: dict[str, Any]) -> None:
        """Raise unless ``kwargs`` are valid and would reach a remote implementation unchanged.

        Invalid arguments raise ``TypeError`` like the remote client does; valid ones that the wire would
        turn into something else (a ``str`` for a ``UUID``, a tuple for a list) raise :class:`ContractError`.
        """
        received = self.load_args(orjson.loads(orjson.dumps(self.dump_args(kwargs))))
        for name, value in kwargs.items():
            if received[name] != value:
                raise ContractError(
                    f"{app}.{self.name}(): argument {name!r} would arrive remotely as {received[name]!r}, "
                    f"not {value!r}: pass the declared type"
                )

    def check_local_result(self, app: str, result: Any) -> None:
        """Raise :class:`ContractError` unless ``result`` has the declared type and survives the wire unchanged."""
        where = f"{app}.{self.name}()"
        try:
            wire = orjson.dumps(self.returns.dump_python(result, mode="json", warnings="error"))
        except (pydantic_core.PydanticSerializationError, TypeError) as exc:
            raise ContractError(f"{where} returned {type(result).__name__}, not its declared type: {exc}") from None
        try:
            back = self.returns.validate_python(orjson.loads(wire))
        except pydantic.ValidationError as exc:
            raise ContractError(f"{where} returned a value its remote caller could not read: {exc}") from None
        if back != result:
            raise ContractError(f"{where} returned {result!r}, which a remote caller would receive as {back!r}")


class ServiceStatusData(DataModel):
    """What :meth:`Service.ping` returns."""

    app: str
    pid: int


@overload
def rpc_method[F: Callable[..., Any]](func: F, /) -> F: ...
@overload
def rpc_method[F: Callable[..., Any]](*, idempotent: bool = False) -> Callable[[F], F]: ...
def rpc_method[F: Callable[..., Any]](func: F | None = None, /, *, idempotent: bool = False) -> F | Callable[[F], F]:
    """Mark an interface method as callable across the boundary.

    ``idempotent=True`` lets the remote client retry it once after a connection failure.
    """

    def mark(f: F) -> F:
        f.__gau_rpc__ = {"idempotent": idempotent}  # type: ignore[attr-defined]
        return f

    return mark(func) if func is not None else mark


_WIRE_CONFIG = pydantic.ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")


def _return_adapter(annotation: Any) -> pydantic.TypeAdapter[Any]:
    try:
        return pydantic.TypeAdapter(annotation, config=_WIRE_CONFIG)
    except pydantic.PydanticUserError:  # models carry their own config (DataModel does)
        return pydantic.TypeAdapter(annotation)


def _build_spec(cls: type, name: str, func: Callable[..., Any]) -> MethodSpec:
    sig = inspect.signature(func)
    hints = typing.get_type_hints(func, include_extras=True)
    fields: dict[str, Any] = {}
    for index, param in enumerate(sig.parameters.values()):
        if index == 0:
            continue  # self
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{cls.__name__}.{name}: parameter {param.name!r} must be keyword-only (use *)")
        if param.name not in hints:
            raise TypeError(f"{cls.__name__}.{name}: parameter {param.name!r} has no type hint")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints[param.name], default)
    if "return" not in hints:
        raise TypeError(f"{cls.__name__}.{name}: missing return type hint")
    args_model = pydantic.create_model(
        f"{cls.__name__}_{name}_args",
        __config__=_WIRE_CONFIG,
        **fields,
    )
    return MethodSpec(
        name=name,
        signature=sig,
        args_model=args_model,
        returns=_return_adapter(hints["return"]),
        idempotent=func.__gau_rpc__["idempotent"],  # type: ignore[attr-defined]
    )


class Service(abc.ABC):
    """Base of every app's service interface.

    Subclasses that declare ``app`` are interfaces; subclasses of an interface are implementations
    (the local one, or the generated remote proxy).
    """

    app: ClassVar[str]
    #: Dotted path of the in-process implementation, imported lazily on first use.
    local_implementation: ClassVar[str]
    #: Filled for interfaces: method name -> spec.
    _spec_cache: ClassVar[dict[str, MethodSpec] | None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "app" not in cls.__dict__:
            return  # an implementation of an interface, not an interface
        if cls.app in _SERVICES and _SERVICES[cls.app].__qualname__ != cls.__qualname__:
            raise TypeError(f"two interfaces claim app {cls.app!r}")
        cls._spec_cache = None
        _SERVICES[cls.app] = cls

    @rpc_method(idempotent=True)
    def ping(self) -> ServiceStatusData:
        """Answer that the service is reachable: its app name and the serving process id. Idempotent."""
        return ServiceStatusData(app=self.interface().app, pid=os.getpid())

    @classmethod
    def interface(cls) -> type[Service]:
        """The interface class this class declares or implements."""
        for klass in cls.__mro__:
            if "app" in klass.__dict__:
                return cast(type[Service], klass)
        raise TypeError(f"{cls.__name__} is not a service interface")

    @classmethod
    def specs(cls) -> dict[str, MethodSpec]:
        """Method specs of the interface, built once from its type hints."""
        iface = cls.interface()
        cached: dict[str, MethodSpec] | None = iface.__dict__.get("_spec_cache")
        if cached is None:
            cached = {
                name: _build_spec(iface, name, func)
                for name, func in inspect.getmembers(iface, inspect.isfunction)
                if hasattr(func, "__gau_rpc__")
            }
            iface._spec_cache = cached
        return cached

    @classmethod
    def resolve(cls) -> Self:
        """A handle for callers: local implementation or remote proxy, decided by settings at call time."""
        return cast(Self, ServiceHandle(cls.interface()))

    @classmethod
    def local(cls) -> Self:
        """The in-process implementation (what the internal RPC endpoint dispatches to)."""
        iface = cls.interface()
        impl: Service | None = iface.__dict__.get("_local_instance")
        if impl is None:
            module_name, _, class_name = iface.local_implementation.rpartition(".")
            impl_cls = getattr(importlib.import_module(module_name), class_name)
            if not issubclass(impl_cls, iface):
                raise TypeError(f"{iface.local_implementation} does not implement {iface.__name__}")
            impl = cast(Service, impl_cls())
            iface._local_instance = impl  # type: ignore[attr-defined]
        return cast(Self, impl)


def _checked_local(iface: type[Service], spec: MethodSpec, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` (the local implementation's) held to the interface's contract, as ``GAU_RPC_VALIDATE_LOCAL`` asks."""

    def call(**kwargs: Any) -> Any:
        spec.check_local_args(iface.app, kwargs)
        try:
            result = method(**kwargs)
        except ServiceError as exc:
            try:
                orjson.dumps(exc.to_dict())
            except TypeError as bad:
                raise ContractError(f"{iface.app}.{spec.name}(): {exc.code} carries data JSON cannot: {bad}") from exc
            raise
        spec.check_local_result(iface.app, result)
        return result

    call.__name__ = spec.name
    call.__qualname__ = f"{iface.__name__}.{spec.name}"
    call.__doc__ = method.__doc__
    return call


class _Routing:
    """``GAU_SERVICE_URLS`` and ``GAU_RPC_VALIDATE_LOCAL``, read once and re-read when a test or a
    reload changes them (Django's ``setting_changed``): the local path's only per-call cost is a dict
    lookup, not two trips through the lazy settings object."""

    urls: dict[str, str] | None = None
    validate: bool = False

    @classmethod
    def load(cls) -> dict[str, str]:
        cls.validate = bool(getattr(settings, "GAU_RPC_VALIDATE_LOCAL", False))
        cls.urls = settings.GAU_SERVICE_URLS
        return cls.urls

    @classmethod
    def reset(cls, *, setting: str, **kwargs: Any) -> None:
        if setting in {"GAU_SERVICE_URLS", "GAU_RPC_VALIDATE_LOCAL"}:
            cls.urls = None


setting_changed.connect(_Routing.reset, dispatch_uid="gau.rpc.routing")


class ServiceHandle:
    """Forwards attribute access to the implementation chosen by ``GAU_SERVICE_URLS``.

    The choice is re-read on each access (a dict lookup), so tests and reloads can switch transports;
    the implementation objects themselves are built once. With ``GAU_RPC_VALIDATE_LOCAL`` on, interface
    methods of the local implementation come wrapped in the contract checks.
    """

    __slots__ = ("_iface", "_local", "_remote")

    def __init__(self, iface: type[Service]) -> None:
        self._iface = iface
        self._local: Service | None = None
        self._remote: tuple[str, Service] | None = None

    def target(self) -> Service:
        urls = _Routing.urls
        url = (urls if urls is not None else _Routing.load()).get(self._iface.app)
        if url is None:
            return self._local or self._load_local()
        if self._remote is None or self._remote[0] != url:
            from gau.rpc.client import remote_proxy

            self._remote = (url, remote_proxy(self._iface, url))
        return self._remote[1]

    def _load_local(self) -> Service:
        self._local = self._iface.local()
        return self._local

    def __getattr__(self, name: str) -> Any:
        urls = _Routing.urls
        if urls is None:
            urls = _Routing.load()
        if self._iface.app in urls:
            return getattr(self.target(), name)
        attr = getattr(self._local or self._load_local(), name)
        if _Routing.validate:
            spec = self._iface.specs().get(name)
            if spec is not None:
                return _checked_local(self._iface, spec, attr)
        return attr

    def __repr__(self) -> str:
        return f"<{self._iface.__name__} handle -> {type(self.target()).__name__}>"


def registered_services() -> dict[str, type[Service]]:
    """Interfaces imported so far, by app name."""
    return dict(_SERVICES)


def service_for_app(app: str) -> type[Service]:
    """The interface of ``app``, importing its public ``apps.<app>.services`` package if needed."""
    if app not in _SERVICES:
        importlib.import_module(f"apps.{app}.services")
    return _SERVICES[app]
