"""The WeChat Official Account HTTP API: one shared access token, errcodes mapped to the error tree.

The token lives in the channel state (shared by every worker and daemon on the database), is
refreshed five minutes before it expires, and is refreshed once when the platform rejects it.
It never appears in a log line or an error message: only paths are ever reported.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from publisher.adapter import ChannelServices
from publisher.errors import ChannelError, ChannelPaused, OutcomeUnknown, PermanentError, RetryableError
from publisher.http import ThreadSessions, raise_for_transient_status, send
from publisher.foundation.i18n import N_

if TYPE_CHECKING:  # loaded where used: read-only commands parse the settings without it
    import requests

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
RETRY_ERRORS = {-1: 5.0, 45011: 60.0, 53501: 60.0}  # errcode -> seconds to wait
QUOTA_ERRORS = frozenset({45009})
CREDENTIAL_ERRORS = frozenset({40002, 40013, 40125, 41002, 41004})
CONTENT_ERRORS = frozenset(
    {40005, 40007, 40009, 40033, 40039, 44003, 45002, 45003, 45004, 45110, 47001, 53500, 53502, 53503, 53504, 53505, 53600}
)




class WechatApi:
    """A thread-safe client for ``api_base``: ``call(path, ...)`` returns the decoded JSON answer."""

    def __init__(
        self,
        *,
        api_base: str,
        appid: str,
        secret: str,
        services: ChannelServices,
        channel: str,
        timeout: float = 30.0,
        use_stable_token: bool = False,
    ):
        self.api_base = api_base.rstrip("/")
        self.appid = appid
        self._secret = secret
        self.services = services
        self.channel = channel
        self.timeout = timeout
        self.use_stable_token = use_stable_token
        self.token_key = f"{'stable_token' if use_stable_token else 'access_token'}:{appid}"
        self.log = services.log.getChild(channel)
        self._sessions = ThreadSessions()

    # ------------------------------------------------------------------ sessions and tokens

    def session(self) -> requests.Session:
        """This thread's HTTP session (sessions are not shared between threads)."""
        return self._sessions.get()

    def close(self) -> None:
        """Close every thread's session (workers' sessions too, not only the caller's)."""
        self._sessions.close()

    def token(self, *, force: bool = False, stale: str | None = None) -> str:
        """The shared access token, fetched only when missing, about to expire, or rejected (``stale``)."""
        return self.services.state.get_or_create(
            self.token_key, self._fetch_token, refresh_before=TOKEN_REFRESH_MARGIN, force=force, stale=stale
        )

    def _fetch_token(self) -> tuple[str, datetime]:
        path = "/cgi-bin/stable_token" if self.use_stable_token else "/cgi-bin/token"
        if self.use_stable_token:
            body = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret, "force_refresh": False}
            response = self._send("POST", path, None, json_body=body, idempotent=True)
        else:
            params = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
            response = self._send("GET", path, params, idempotent=True)
        data = self._decode(response, path)
        if data.get("errcode"):
            raise self.error_for(int(data["errcode"]), str(data.get("errmsg", "")), path)
        if not data.get("access_token"):
            raise RetryableError(N_("WeChat {path} answered without an access_token").format(path=path))
        self.log.info("fetched a new WeChat access token (expires in %ss)", data.get("expires_in"))
        expires_in = int(data.get("expires_in") or 7200)
        return data["access_token"], cache_expiry(self.services.clock.now(), expires_in)

    # ------------------------------------------------------------------ calls

    def call(
        self,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """POST to ``path`` with the access token; errcodes become errors (token errors retried once).

        ``idempotent=False`` keeps "sent but no answer" as OutcomeUnknown; otherwise it is retryable.
        """
        rejected: str | None = None
        for attempt in range(2):
            token = self.token(force=attempt > 0, stale=rejected)
            response = self._send("POST", path, {**(params or {}), "access_token": token}, json_body=json_body, files=files, idempotent=idempotent)
            data = self._decode(response, path, idempotent=idempotent)
            errcode = int(data.get("errcode") or 0)
            if errcode in TOKEN_ERRORS and attempt == 0:
                self.log.info("WeChat rejected the access token on %s (%s); refreshing it once", path, errcode)
                rejected = token
                continue
            if errcode:
                raise self.error_for(errcode, str(data.get("errmsg", "")), path)
            return data
        raise AssertionError("unreachable")

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        *,
        json_body: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        idempotent: bool,
    ) -> requests.Response:
        kwargs: dict[str, Any] = {"params": params}
        if json_body is not None:
            # WeChat rejects \uXXXX escapes (40033): send Chinese as UTF-8 bytes.
            kwargs["data"] = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json; charset=utf-8"}
        if files is not None:
            kwargs["files"] = files
        import requests

        url = self.api_base + path
        try:
            try:
                response = send(self.session(), method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:  # anything send() does not classify
                raise OutcomeUnknown(N_("WeChat {path}: {kind} while waiting for the answer").format(
                                         path=path, kind=exc.__class__.__name__)) from exc
            if not idempotent and response.status_code >= 500 and response.status_code != 503:
                # a gateway error once the request went through: the platform may have applied it
                raise OutcomeUnknown(N_("WeChat {path}: HTTP {status_code} after sending; it may have been "
                                        "applied").format(
                                         path=path, status_code=response.status_code))
            if response.status_code != 501:  # "not implemented" is no passing trouble: see the 200 check below
                raise_for_transient_status(response)
        except OutcomeUnknown as exc:
            if idempotent:
                raise _scrubbed(RetryableError(str(exc))) from None
            raise _scrubbed(exc) from None
        except ChannelError as exc:
            raise _scrubbed(exc) from None
        if response.status_code != 200:
            paused = ChannelPaused(
                N_("WeChat API at {api_base} answered HTTP {status_code} for {path}: check "
                   "channels.{channel}.api_base").format(
                    api_base=self.api_base, status_code=response.status_code, path=path, channel=self.channel)
            )
            paused.http_status = response.status_code  # type: ignore[attr-defined]
            raise paused
        return response

    @staticmethod
    def _decode(response: requests.Response, path: str, *, idempotent: bool = True) -> dict[str, Any]:
        # an unreadable answer to a non-idempotent call does not say whether it was applied
        error = RetryableError if idempotent else OutcomeUnknown
        try:
            data = json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise error(f"WeChat {path} answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise error(f"WeChat {path} answered unexpected JSON")
        return data

    # ------------------------------------------------------------------ errcodes

    def error_for(self, errcode: int, errmsg: str, path: str) -> ChannelError:
        """The error-tree exception for a WeChat errcode on ``path``; its ``errcode`` attribute keeps the code."""
        error = self._error_for(errcode, errmsg, path)
        error.errcode = errcode  # type: ignore[attr-defined]
        return error

    def _error_for(self, errcode: int, errmsg: str, path: str) -> ChannelError:
        what = f"WeChat {path}: errcode {errcode} ({errmsg})" if errmsg else f"WeChat {path}: errcode {errcode}"
        if errcode in RETRY_ERRORS:
            return RetryableError(N_("{what}; will retry").format(what=what), retry_after=RETRY_ERRORS[errcode])
        if errcode in TOKEN_ERRORS:
            return RetryableError(N_("{what}: a freshly issued access token was rejected too; will retry").format(
                                      what=what))
        if errcode in QUOTA_ERRORS:
            until = next_midnight(self.services.clock.now(), self.services)
            return ChannelPaused(N_("{what}: the account's daily API quota is used up; publishing resumes after "
                                    "midnight").format(what=what), until=until)
        if errcode == 40164:
            return ChannelPaused(
                N_("{what}: this server's IP address is not on the account's IP whitelist; add it in the WeChat "
                   "admin (设置与开发 → 基本配置 → IP白名单), then resume the channel").format(what=what)
            )
        if errcode in CREDENTIAL_ERRORS:
            return ChannelPaused(
                N_("{what}: WeChat rejected the account credentials; check channels.{channel}.appid and the "
                   "AppSecret given in the environment, then resume the channel").format(
                    what=what, channel=self.channel)
            )
        if errcode == 48001:
            return ChannelPaused(
                N_("{what}: the account is not authorised for this API; publishing through the API needs a "
                   "verified (微信认证) account with the publishing permission").format(what=what)
            )
        if errcode in CONTENT_ERRORS:
            return PermanentError(what)
        return RetryableError(N_("{what}; unexpected errcode, will retry").format(what=what))


def cache_expiry(now: datetime, expires_in: int) -> datetime:
    """The expiry to cache a token under, so it is refreshed ``TOKEN_REFRESH_MARGIN`` early but never per call.

    A token handed out with no more than the margin left (stable_token returns the current token with its
    remaining lifetime) is kept for half of what it has left instead of being fetched again on every call.
    """
    lifetime = timedelta(seconds=max(expires_in, 1))
    refresh_at = now + max(lifetime - TOKEN_REFRESH_MARGIN, lifetime / 2)
    return refresh_at + TOKEN_REFRESH_MARGIN


def next_midnight(now: datetime, services: ChannelServices) -> datetime:
    """The next local midnight (in the office's time zone), as UTC."""
    local = now.astimezone(services.timezone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=services.timezone)
    return midnight.astimezone(timezone.utc)


def _scrubbed(exc: ChannelError) -> ChannelError:
    """Detach the transport exception, whose text names the full URL with the access token."""
    exc.__cause__ = None
    exc.__context__ = None
    exc.__suppress_context__ = True
    return exc
