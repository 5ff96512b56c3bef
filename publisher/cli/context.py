"""The object every command receives (``click.pass_obj``): the options of the root group and the App, opened once."""

from __future__ import annotations


class CliContext:
    """``--config``, ``--verbose``, ``--as`` and ``--office`` of the command line; opens the App on first use."""

    def __init__(self, config: str | None, verbose: bool, acting: str | None = None, office: str | None = None):
        self.config_path = config
        self.verbose = verbose
        self.acting = acting
        self.office = office
        self._app = None

    def app(self, schema: str | None = None):
        """The App; ``schema`` is a db.SchemaPolicy (default: create a new database, refuse an old one)."""
        if self._app is None:
            from publisher.runtime.app import App
            from publisher.db.engine import SchemaPolicy
            from publisher.accounts.users import resolve_actor

            app = App.load(self.config_path, schema=schema or SchemaPolicy.CREATE)
            try:
                actor = resolve_actor(app.store, self.acting, default_office=app.config.office.code, fallback=app.actor,
                                      office=self.office)
            except BaseException:
                app.close()
                raise
            app.user = actor  # the OS account too: --office may have moved it to another office
            self._app = app
        return self._app

    @property
    def opened_app(self):
        """The App when it has been opened, else None."""
        return self._app

    def actor(self):
        """The acting user (``--as``/``$PUBLISHER_USER``) or the operating-system account."""
        return self.app().current_actor()

    def config(self):
        """The configuration: the open App's, else loaded from ``--config``."""
        from publisher.config.load import load_config

        return self._app.config if self._app else load_config(self.config_path)

    def close(self) -> None:
        """Close the App if it was opened."""
        if self._app is not None:
            self._app.close()
