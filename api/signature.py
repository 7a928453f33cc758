"""Twilio request signatures: rebuild the URL Twilio signed and check it with RequestValidator."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from starlette.datastructures import FormData
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)


def signed_url(request: Request, public_base_url: str | None) -> str:
    """PUBLIC_BASE_URL (or what the request says its host is) + raw path + raw query.

    Behind a proxy or tunnel the app sees its own host, not the public one Twilio used, so
    the public base must come from configuration. The raw path keeps Twilio's percent-encoding.
    """
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    base = public_base_url or f"{request.url.scheme}://{request.headers.get('host', '')}"
    url = base.rstrip("/") + raw_path.decode("latin-1")
    query = request.scope.get("query_string", b"")
    if query:
        url += "?" + query.decode("latin-1")
    return url


def is_valid_signature(
    request: Request, form: FormData, *, auth_token: str, public_base_url: str | None
) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    validator = RequestValidator(auth_token)
    return bool(
        validator.validate(signed_url(request, public_base_url), form, signature, algorithm)
    )


def sign(url: str, params: Sequence[tuple[str, str]], auth_token: str) -> str:
    """The X-Twilio-Signature Twilio would send for this POST (for `simulate` and tests)."""
    form = FormData([(name, value) for name, value in params])
    return str(RequestValidator(auth_token).compute_signature(url, form))
