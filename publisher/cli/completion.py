"""``publisher completion SHELL``: the shell completion script."""

from __future__ import annotations

import click


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh"]))
@click.pass_context
def completion_cmd(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script: eval "$(publisher completion bash)" in ~/.bashrc (zsh: ~/.zshrc)."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    click.echo(cls(ctx.find_root().command, {}, "publisher", "_PUBLISHER_COMPLETE").source())
