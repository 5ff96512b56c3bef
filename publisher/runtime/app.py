"""Wire a configuration to a store, a clock and channel adapters: what every command starts from."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.config import channel_types
from publisher.adapter import Channel, ChannelServices
from publisher.foundation.clock import Clock, SystemClock
from publisher.config.load import Config, load_config
from publisher.db.engine import SchemaPolicy
from publisher.runtime.channel_state_db import DbChannelState
from publisher.errors import ConfigError
from publisher.ledger.store import Store

if TYPE_CHECKING:
    from publisher.accounts.users import Actor

log = logging.getLogger("publisher")
ACTOR_MAX = 80  # deliveries.lease_owner is 100 characters: actor + "/" + 8 hex digits


@dataclass
class App:
    """A loaded configuration with its open store and adapters (built lazily)."""

    config: Config
    store: Store
    clock: Clock
    actor: str = field(default_factory=lambda: default_actor())
    user: "Actor | None" = None  # the publisher user acting (``--as``), when one is given
    _channels: dict[str, Channel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_config(cls, config: Config, clock: Clock | None = None, schema: str = SchemaPolicy.CREATE) -> "App":
        """Open the configured database and build an App (a new database is created; an old one refused)."""
        clock = clock or SystemClock()
        from publisher.ledger import audit
        from publisher.foundation.workdays import use_holidays
        from publisher.ledger.audit_checkpoints import audit_key

        store = Store.open(config.database_url, clock, config.attachments_dir, schema=schema)
        audit.use_key(store.engine, audit_key(config))
        use_holidays(config.holidays)
        app = cls(config=config, store=store, clock=clock)
        app.disable_closed_channels()
        return app

    @classmethod
    def load(cls, path: str | Path | None = None, clock: Clock | None = None,
             schema: str = SchemaPolicy.CREATE) -> "App":
        """Load the config at ``path`` (see :func:`publisher.config.config_path`) and open it."""
        return cls.from_config(load_config(path), clock, schema)

    def disable_closed_channels(self) -> list[str]:
        """Mark the channels whose closure (停更) is complete as disabled in this App's config; returns them."""
        from publisher.db.engine import reading
        from publisher.ledger.closure_state import ClosureState, closure_states

        with reading(self.store.engine) as conn:
            closed = [name for name, state in closure_states(conn).items() if state == ClosureState.CLOSED]
        for name in closed:
            if name in self.config.channels and self.config.channels[name].enabled:
                self.config.channels[name] = self.config.channels[name].model_copy(update={"enabled": False})
        return closed

    def current_actor(self) -> "Actor":
        """Who acts: the ``--as`` user, else the operating-system account in the configured office."""
        from publisher.accounts.users import Actor

        return self.user or Actor(name=self.actor, office=self.config.office.code)

    def channel(self, name: str, *, offline: bool = False) -> Channel:
        """The adapter instance for a configured channel (one per App, built on first use).

        A channel whose ``${VAR}`` secrets are unset is refused (ConfigError naming them) unless ``offline``:
        only checking an item against its rules, which sends nothing.
        """
        if not offline:
            self.require_secrets([name])
        with self._lock:
            return self._channels.get(name) or self._build(name)

    def require_secrets(self, names: list[str] | None = None) -> None:
        """ConfigError naming the unset secrets of the channels ``names`` (default: every enabled channel)."""
        names = self.config.enabled_channels() if names is None else names
        problems = [p for name in names for p in self.config.missing_secrets.get(name, [])]
        if problems:
            raise ConfigError(problems, str(self.config.path))

    def _build(self, name: str) -> Channel:
        settings = self.config.channels[name]
        cls = channel_types.adapter_class(settings.type)
        services = ChannelServices(
            clock=self.clock,
            state=DbChannelState(self.store.engine, name, self.clock),
            timezone=self.config.tz,
            office_name=self.config.office.name,
            log=logging.getLogger("publisher.channel"),
        )
        self._channels[name] = cls(name, settings, services)
        return self._channels[name]

    def close(self) -> None:
        """Close adapters and the database."""
        for channel in self._channels.values():
            try:
                channel.close()
            except Exception:  # closing must not mask the real outcome
                log.exception("closing channel %s", channel.name)
        self._channels.clear()
        self.store.engine.dispose()


def default_actor() -> str:
    """Who is acting, for the event log: ``user@host`` (cut to fit the lease-owner column with a worker suffix)."""
    user = os.environ.get("PUBLISHER_ACTOR") or os.environ.get("USER") or "unknown"
    return f"{user}@{socket.gethostname()}"[:ACTOR_MAX]
