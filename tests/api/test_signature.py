"""Signature checking with the official RequestValidator, against Twilio's published vectors."""

import pytest
from starlette.datastructures import FormData
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from api.signature import is_valid_signature, sign, signed_url

VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
    ("Caller", "+14158675309"),
]


def test_twilios_published_vector():
    assert sign(VECTOR_URL, VECTOR_PARAMS, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilios_published_vector_with_explicit_port():
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert sign(with_port, VECTOR_PARAMS, "12345") == "kvajT1Ptam85bY51eRf/AJRuM3w="
    # Twilio may sign either form; the validator accepts both for the same request.
    validator = RequestValidator("12345")
    assert validator.validate(with_port, FormData(VECTOR_PARAMS), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert validator.validate(VECTOR_URL, FormData(VECTOR_PARAMS), "kvajT1Ptam85bY51eRf/AJRuM3w=")


def _request(path: bytes, query: bytes, host: str = "internal:8000", headers=()) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "headers": [(b"host", host.encode()), *headers],
        "server": ("internal", 8000),
    }
    return Request(scope)


def test_the_signed_url_is_the_public_base_plus_raw_path_and_query():
    request = _request(b"/twilio/sms", b"foo=1&bar=2")
    assert (
        signed_url(request, "https://mycompany.com")
        == "https://mycompany.com/twilio/sms?foo=1&bar=2"
    )
    # Without PUBLIC_BASE_URL the request's own host is used.
    assert signed_url(request, None) == "http://internal:8000/twilio/sms?foo=1&bar=2"


def test_percent_encoding_in_the_path_is_kept_as_twilio_sent_it():
    request = _request(b"/twilio/sms%20x", b"")
    assert signed_url(request, "https://a.example") == "https://a.example/twilio/sms%20x"


@pytest.mark.parametrize("repeat_order", [("a", "b"), ("b", "a")])
def test_repeated_parameters_all_count(repeat_order):
    params = [("MediaUrl", repeat_order[0]), ("MediaUrl", repeat_order[1]), ("From", "+1")]
    signature = sign("https://x.example/twilio/sms", params, "tok")
    request = _request(b"/twilio/sms", b"", headers=[(b"x-twilio-signature", signature.encode())])
    assert is_valid_signature(
        request, FormData(params), auth_token="tok", public_base_url="https://x.example"
    )
    dropped = FormData([("MediaUrl", "a"), ("From", "+1")])
    assert not is_valid_signature(
        request, dropped, auth_token="tok", public_base_url="https://x.example"
    )
