"""described(): a swallowed error is logged with where it happened, never what it said."""

from stores.redact import described


def _fail_deep(secret: str) -> None:
    try:
        int(secret)
    except ValueError as error:
        raise ConnectionError(f"provider echoed {secret}") from error


def test_the_type_and_frames_are_kept_and_the_messages_are_not():
    try:
        _fail_deep("call mom at 4155550123")
    except ConnectionError as error:
        text = described(error)
    assert text.startswith("ConnectionError at test_redact.py:")
    assert "in _fail_deep" in text
    assert "; from ValueError at test_redact.py:" in text  # the cause, the same way
    assert "mom" not in text and "4155550123" not in text and "provider" not in text
