"""Find channel adapter classes through the ``publisher.channels`` entry-point group."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from publisher.adapter import Channel
from publisher.foundation.i18n import _

GROUP = "publisher.channels"


@lru_cache(maxsize=None)
def available_types() -> dict[str, object]:
    """Entry points by channel type name (not yet imported)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


@lru_cache(maxsize=None)
def adapter_class(type_name: str) -> type[Channel]:
    """The adapter class registered for ``type_name``; KeyError when none is."""
    ep = available_types()[type_name]
    cls = ep.load()
    if not (isinstance(cls, type) and issubclass(cls, Channel)):
        raise TypeError(_("entry point {type_name!r} ({value}) is not a publisher.adapter.Channel subclass").format(
                            type_name=type_name, value=ep.value))
    return cls
