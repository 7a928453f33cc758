"""Who may use the admin: ADMIN_TOKEN as a bearer token or a signed session cookie, plus CSRF.

Modes
- ADMIN_TOKEN set: API calls carry `Authorization: Bearer <token>`; a browser signs in once at
  /admin/login and gets an HttpOnly, SameSite=Strict session cookie signed with a key derived
  from the token (changing the token signs everyone out).
- ADMIN_TOKEN unset: the admin is disabled, except for local development: a request from the
  loopback interface, addressed to a loopback Host, with no proxy headers, while PUBLIC_BASE_URL
  is unset or itself loopback. A tunnel (cloudflared, ngrok) connects from 127.0.0.1 too, which
  is why the Host, the proxy headers and PUBLIC_BASE_URL are checked as well.

CSRF: a request that relies on the cookie (not on a bearer token, which browsers never attach
by themselves) must echo the session's CSRF token in `X-CSRF-Token` or a `csrf_token` form field
to change anything, and a cross-origin `Origin` is refused outright.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from fastapi import Request

from stores.settings import Settings

SESSION_COOKIE = "sms_admin_session"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PROXY_HEADERS = (
    "x-forwarded-for",
    "x-forwarded-host",
    "forwarded",
    "x-real-ip",
    "cf-connecting-ip",
)

_LOCAL_SESSION_KEY = secrets.token_bytes(32)
"""Signs local-development sessions (no token to derive a key from); valid for this process."""


class AdminDenied(Exception):
    """The request may not use the admin. `status`: 401 sign in, 403 refused, 503 disabled."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class AdminPrincipal:
    via: Literal["bearer", "session", "local"]
    csrf_token: str | None
    """The token this session's forms must echo (None for bearer calls, which need none)."""
    nonce: str | None = None
    """The session cookie's nonce (what logout revokes)."""


class SignInThrottle:
    """At most `limit` failed sign-ins (a wrong token, by form or bearer) per client in
    `window` seconds; then the client waits. Per process: enough to make guessing the token
    pointless, which is its only job."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, client: str, now: float | None = None) -> int:
        """Seconds this client must wait before trying again (0: it may try now)."""
        now = time.monotonic() if now is None else now
        failures = self._failures.get(client)
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
            return 0
        if len(failures) < self.limit:
            return 0
        return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, client: str, now: float | None = None) -> None:
        self._failures[client].append(time.monotonic() if now is None else now)
        if len(self._failures) > 10_000:  # bounded: forget the oldest clients
            for stale in list(self._failures)[:1000]:
                del self._failures[stale]

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


def throttle(request: Request) -> SignInThrottle:
    """This app's throttle (one per app, so tests and apps never share counts)."""
    state = request.app.state
    if not hasattr(state, "sign_in_throttle"):
        state.sign_in_throttle = SignInThrottle()
    found: SignInThrottle = state.sign_in_throttle
    return found


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_not_throttled(request: Request) -> None:
    wait = throttle(request).retry_after(client_key(request))
    if wait:
        raise AdminDenied(429, f"too many failed sign-ins: try again in {wait} s")


def token_configured(settings: Settings) -> bool:
    return settings.admin_token is not None


def _session_key(settings: Settings) -> bytes:
    if settings.admin_token is None:
        return _LOCAL_SESSION_KEY
    return hashlib.sha256(
        b"sms-admin-session:" + settings.admin_token.get_secret_value().encode()
    ).digest()


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def new_session_cookie(settings: Settings, *, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    payload = f"{issued}.{secrets.token_hex(16)}"
    return f"{payload}.{_sign(_session_key(settings), payload)}"


def session_nonce(
    settings: Settings, cookie: str | None, *, now: float | None = None
) -> str | None:
    """The session's nonce when the cookie is genuine and fresh, else None."""
    if not cookie or len(cookie) > 200:
        return None
    issued, _, rest = cookie.partition(".")
    nonce, _, signature = rest.partition(".")
    if not (issued.isdigit() and nonce and signature):
        return None
    expected = _sign(_session_key(settings), f"{issued}.{nonce}")
    if not hmac.compare_digest(signature, expected):
        return None
    age = (now if now is not None else time.time()) - int(issued)
    return nonce if 0 <= age <= SESSION_SECONDS else None


def csrf_token_for(settings: Settings, nonce: str) -> str:
    return _sign(_session_key(settings), "csrf:" + nonce)


def token_matches(settings: Settings, offered: str) -> bool:
    if settings.admin_token is None or not offered:
        return False
    return hmac.compare_digest(offered.encode(), settings.admin_token.get_secret_value().encode())


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_development(request: Request, settings: Settings) -> bool:
    """True only for a browser on this machine talking to a server nobody else can reach."""
    if settings.public_base_url and not _is_loopback(urlsplit(settings.public_base_url).hostname):
        return False
    if any(request.headers.get(name) for name in PROXY_HEADERS):
        return False
    host_header = urlsplit("//" + request.headers.get("host", "")).hostname
    client = request.client.host if request.client else None
    return _is_loopback(client) and _is_loopback(host_header)


def disabled_message() -> str:
    return (
        "The admin is disabled: set ADMIN_TOKEN in the environment or .env and restart "
        "(without it, the admin only opens to a browser on 127.0.0.1 in local development)."
    )


def authenticate(request: Request, settings: Settings) -> AdminPrincipal:
    """Who is calling, or AdminDenied. Checks CSRF for cookie-based requests that change state."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and token_configured(settings):
        check_not_throttled(request)
        if token_matches(settings, credentials.strip()):
            return AdminPrincipal(via="bearer", csrf_token=None)
        throttle(request).failed(client_key(request))
        raise AdminDenied(401, "the bearer token does not match ADMIN_TOKEN")

    local = not token_configured(settings) and is_local_development(request, settings)
    if not token_configured(settings) and not local:
        raise AdminDenied(503, disabled_message())

    nonce = session_nonce(settings, request.cookies.get(SESSION_COOKIE))
    if nonce is None and not local:
        raise AdminDenied(
            401, "sign in at /admin/login, or send Authorization: Bearer <ADMIN_TOKEN>"
        )
    principal = AdminPrincipal(
        via="session" if nonce else "local",
        csrf_token=csrf_token_for(settings, nonce) if nonce else None,
        nonce=nonce,
    )
    if request.method not in SAFE_METHODS:
        check_same_origin(request)
    return principal


def check_same_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        origin_host = urlsplit(origin).netloc
        if origin_host.lower() != request.headers.get("host", "").lower():
            raise AdminDenied(403, "cross-origin request refused")
    elif origin == "null":
        raise AdminDenied(403, "cross-origin request refused")


def check_csrf(principal: AdminPrincipal, offered: str | None) -> None:
    """Cookie-based changes must echo the session's CSRF token; bearer calls need none."""
    if principal.via == "bearer":
        return
    if principal.csrf_token is None:
        raise AdminDenied(403, "no admin session: open /admin in the browser first")
    if not offered or not hmac.compare_digest(offered, principal.csrf_token):
        raise AdminDenied(403, "missing or wrong CSRF token: reload the page and try again")
