"""``publisher serve``: the console and the API in one process (uvicorn)."""

from __future__ import annotations

import click

from publisher.foundation.i18n import _


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8800, show_default=True, type=click.IntRange(1, 65535))
@click.option("--secure-cookies/--no-secure-cookies", default=None,
              help="mark cookies Secure (behind TLS); default: console.secure_cookies")
@click.option("--proxy-headers", is_flag=True, help="trust X-Forwarded-For/-Proto from a local reverse proxy")
@click.option("--log-file", metavar="FILE", help="also log to FILE (rotated at 10 MB, nine old files kept)")
@click.pass_obj
def serve(obj, host: str, port: int, secure_cookies: bool | None, proxy_headers: bool, log_file: str | None) -> None:
    """Serve the web console at / and the JSON API under /api/ until Ctrl-C."""
    import uvicorn

    from publisher.web.server import create_app

    from publisher.accounts.users import count_users

    if log_file:
        from publisher.ops.logfile import log_to_file

        log_to_file(log_file)
    app = obj.app()
    web = create_app(app, secure_cookies=secure_cookies)
    if not count_users(app.store):
        click.echo(_("no users yet: add one with `publisher user add NAME --role admin --password-stdin`"), err=True)
    sweeper = None
    if app.config.notify.webhooks or app.config.notify.smtp:
        from publisher.review.notify import SweepThread

        sweeper = SweepThread(app, app.config.notify.interval)
        sweeper.start()
    click.echo(_("console at http://{host}:{port}/ (API under /api/, OpenAPI at /api/openapi.json)").format(
                   host=host, port=port), err=True)
    try:
        uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=proxy_headers,
                    forwarded_allow_ips="127.0.0.1" if proxy_headers else None, server_header=False,
                    **({"log_config": None} if log_file else {}))  # uvicorn then logs through the root logger
    finally:
        if sweeper is not None:
            sweeper.stop()
