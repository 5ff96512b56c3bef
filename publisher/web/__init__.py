"""The web console (编辑、审核、发布一站式) and the JSON API, served by ``publisher serve``."""

__all__ = ["create_app"]


def __getattr__(name: str):
    # FastAPI is imported when the console is wanted, not by every command line (``publisher tally`` included)
    if name == "create_app":
        from publisher.web.server import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
