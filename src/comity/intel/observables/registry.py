"""The registry of normalizers: exactly one per observable type in the whole code base.

A normalizer is a function ``(cleaned, country) -> (value, reason)`` registered under its type
name; ``reason`` is ``None`` when the value is valid. Registering a second normalizer under a
name that has one raises :class:`~comity.intel.errors.DuplicateNormalizer`, so two modules can
never disagree on the canonical form of a type::

    from comity.intel.observables.registry import REGISTRY

    @REGISTRY.register("shoe-size")
    def _shoe_size(text: str, country: str | None) -> tuple[str, str | None]:
        return text.strip(), None

    REGISTRY.get("shoe-size").func("42", None)     # ('42', None)
    REGISTRY.names()                               # [..., 'shoe-size', ...]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from comity.intel.errors import DuplicateNormalizer, UnknownObservableType

NormalizeFunc = Callable[[str, "str | None"], tuple[str, "str | None"]]
"""``(text, country) -> (value, reason)``; ``reason`` is ``None`` for a valid value."""


@dataclass(frozen=True, slots=True)
class Normalizer:
    """A registered normalizer: its type name, function, and whether the country matters."""

    name: str
    func: NormalizeFunc
    uses_country: bool
    summary: str


class Registry:
    """Normalizers by observable type name; refuses duplicates.

    ::

        registry = Registry()
        registry.register("x")(lambda text, country: (text, None))
        registry.register("x")(...)      # raises DuplicateNormalizer
        registry.get("y")                # raises UnknownObservableType
    """

    def __init__(self) -> None:
        self._by_name: dict[str, Normalizer] = {}

    def register(
        self, name: str, *, uses_country: bool = False
    ) -> Callable[[NormalizeFunc], NormalizeFunc]:
        """A decorator registering a normalizer under ``name``.

        ``uses_country`` says the result depends on the reporting country (phone numbers);
        for the other types the country is ignored, which lets one cache entry serve all
        countries.
        """

        def decorator(func: NormalizeFunc) -> NormalizeFunc:
            if name in self._by_name:
                existing = self._by_name[name].func
                raise DuplicateNormalizer(
                    f"a normalizer for {name!r} is registered already",
                    type=name,
                    existing=f"{existing.__module__}.{existing.__qualname__}",
                    new=f"{func.__module__}.{func.__qualname__}",
                )
            summary = (func.__doc__ or "").strip().split("\n", 1)[0]
            self._by_name[name] = Normalizer(name, func, uses_country, summary)
            return func

        return decorator

    def get(self, name: str) -> Normalizer:
        """The normalizer registered under ``name`` (raises ``UnknownObservableType``)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownObservableType(
                f"unknown observable type {name!r}", type=name, known=self.names()
            ) from None

    def names(self) -> list[str]:
        """The registered type names, sorted."""
        return sorted(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)


REGISTRY = Registry()
"""The one registry every normalizer of Comity registers in."""
