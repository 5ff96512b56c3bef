"""Operations commands: ``publisher backup FILE``, ``publisher restore FILE`` and ``publisher migrate``."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

from publisher.foundation.i18n import _


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_obj
def backup_cmd(obj, file: str) -> None:
    """Write the database and the attached files to one archive FILE, consistently, even while the daemon runs."""
    from publisher.ops.backup import backup

    from publisher.runtime.app import default_actor

    with _named_os_errors():
        click.echo(backup(obj.config(), Path(file), actor=obj.acting or default_actor()))


@contextmanager
def _named_os_errors():
    """A file the system refuses (permissions, a full disk) is named in a message, never a traceback."""
    from publisher.errors import InputError

    try:
        yield
    except OSError as exc:
        raise InputError(_("{path}: {reason}").format(path=exc.filename or "", reason=exc.strerror or exc),
                         field="FILE") from None


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--in-place", is_flag=True,
              help="the database was restored by other means (pg_restore, a snapshot): only mark it as restored")
@click.option("--yes", is_flag=True, help="replace the configured database without asking")
@click.pass_obj
def restore_cmd(obj, file: str | None, in_place: bool, yes: bool) -> None:
    """Replace the database with FILE (stop every daemon first); what it had not settled is looked up first."""
    from publisher.ops.backup import mark_restored_database, restore
    from publisher.errors import InputError

    config = obj.config()
    if in_place == bool(file):
        raise InputError(_("give a backup FILE, or --in-place for a database restored by other means"), field="FILE")
    if in_place:
        marked = mark_restored_database(config)
    else:
        if not yes:
            click.confirm(_("Replace the database of {config} with {file}? Stop every daemon first.").format(
                config=config.path, file=file), abort=True)
        with _named_os_errors():
            marked = restore(config, Path(file))
    click.echo(_("restored; {marked} unsettled deliveries will be looked up before anything is sent").format(
                   marked=marked))


@click.command("migrate")
@click.pass_obj
def migrate_cmd(obj) -> None:
    """Bring the database's schema up to date (a backup first is wise: `publisher backup FILE`)."""
    from publisher.config.load import load_config
    from publisher.db.engine import make_engine
    from publisher.db.migrations import head, migrate

    cfg = load_config(obj.config_path)
    engine = make_engine(cfg.database_url, migrate_schema=False)
    try:
        migrate(engine, office=cfg.office.code)
    finally:
        engine.dispose()
    click.echo(_("schema at revision {revision}").format(revision=head()))
