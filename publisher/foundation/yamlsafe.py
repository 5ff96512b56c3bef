"""A bounded YAML reader: limits on bytes, nesting depth and values after alias expansion; duplicate keys refused."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, SequenceNode

from publisher.foundation.i18n import _

MAX_BYTES = 4_000_000  # a config is a few kilobytes; /dev/zero is not one
MAX_DEPTH = 50
MAX_NODES = 200_000


class YamlLimitError(ValueError):
    """The document is too large, too deep, has too many aliases or a duplicate key."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


def read_bounded(path: Path, limit: int = MAX_BYTES) -> bytes:
    """Read at most ``limit`` bytes of ``path``; YamlLimitError if there is more."""
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise YamlLimitError(_("larger than {limit:,} bytes: not a configuration file").format(limit=limit))
    return data


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts nodes and aliases before constructing anything and refuses duplicate keys."""

    def compose_document(self):
        node = super().compose_document()
        _check_tree(node)
        return node

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
            seen: dict[Any, int] = {}
            for key_node, _value_node in node.value:
                try:
                    key = self.construct_object(key_node, deep=True)
                    hash(key)
                except (TypeError, ConstructorError):
                    continue
                if key in seen:
                    raise YamlLimitError(_("duplicate key {key!r} (first on line {value})").format(
                                             key=key, value=seen[key] + 1),
                                         key_node.start_mark.line + 1)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _check_tree(root) -> None:
    """Walk the composed graph counting every visit (an alias is visited each time it is used)."""
    if root is None:
        return
    visits = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        visits += 1
        if depth > MAX_DEPTH:
            raise YamlLimitError(_("nested deeper than {max_depth} levels").format(
                                     max_depth=MAX_DEPTH), node.start_mark.line + 1)
        if visits > MAX_NODES:
            raise YamlLimitError(_("expands to more than {max_nodes:,} values (aliases expanded too often)").format(
                                     max_nodes=MAX_NODES))
        if isinstance(node, (MappingNode, SequenceNode)):
            children = ([c for pair in node.value for c in pair] if isinstance(node, MappingNode) else node.value)
            stack.extend((child, depth + 1) for child in children)


def load(text: str) -> Any:
    """Parse one YAML document with the bounds above; yaml.YAMLError or YamlLimitError on bad input."""
    if len(text) > MAX_REMEMBERED:
        return _parse(text)
    return copy.deepcopy(_remembered(text))  # a copy: the caller may change what it gets


MAX_REMEMBERED = 65_536  # a config is a few kilobytes: one read again (each command, each App) is not parsed again


@functools.lru_cache(maxsize=32)
def _remembered(text: str) -> Any:
    return _parse(text)


def _parse(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 (a SafeLoader subclass)
    except RecursionError:
        raise YamlLimitError(_("nested deeper than {max_depth} levels").format(max_depth=MAX_DEPTH)) from None
