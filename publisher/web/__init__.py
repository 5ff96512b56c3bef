"""The web console (编辑、审核、发布一站式) and the JSON API, served by ``publisher serve``."""

from .server import create_app

__all__ = ["create_app"]
