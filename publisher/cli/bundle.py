"""``publisher bundle DIR``: an offline release (wheels for each platform, install script, config template)."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.helpers import echo_json
from publisher.foundation.i18n import _


@click.command("bundle")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--platform", "platforms", multiple=True, type=click.Choice(["x86_64", "aarch64"]),
              help="target architecture, repeatable (default: this machine's); aarch64 for 鲲鹏/飞腾 servers")
@click.option("--wheel", type=click.Path(dir_okay=False, exists=True),
              help="publisher's own wheel (default: built from the source folder)")
@click.option("--find-links", "find_links", multiple=True, metavar="DIR",
              help="take wheels from DIR as well (with --no-index: only from there)")
@click.option("--no-index", is_flag=True, help="use no package index, only --find-links")
@click.option("--json", "as_json", is_flag=True)
def bundle_cmd(folder: str, platforms: tuple[str, ...], wheel: str | None, find_links: tuple[str, ...],
               no_index: bool, as_json: bool) -> None:
    """Make DIR and DIR.tar.gz: every wheel for the platforms and this Python, install.sh, the config template."""
    from publisher.ops.bundle import make_bundle, native_arch

    pip_args = [*(["--no-index"] if no_index else []), *(f"--find-links={d}" for d in find_links)]
    done = make_bundle(Path(folder), archs=list(platforms) or [native_arch()], wheel=Path(wheel) if wheel else None,
                       pip_args=pip_args)
    if as_json:
        echo_json(done)
        return
    click.echo(_("offline bundle {archive}: {files} files ({wheels} wheels), {size:.1f} MB, for Python {python} on "
                 "{platforms}").format(archive=done["archive"], files=done["files"], wheels=done["wheels"],
                                       size=done["bytes"] / 1e6, python=done["python"],
                                       platforms=", ".join(done["platforms"])))
    click.echo(_("on the server: tar xzf {name} && sh {folder}/install.sh /srv/publisher").format(
        name=Path(done["archive"]).name, folder=Path(done["folder"]).name))
