import pytest

from stores.phones import InvalidPhoneNumber, mask_phone, normalise_phone, parse_address
from stores.settings import ConfigurationError, load_settings


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+14155550123", "+14155550123"),
        ("(415) 555-0123", "+14155550123"),
        ("+44 7700 900123", "+447700900123"),
        (" +33 6 12 34 56 78 ", "+33612345678"),
    ],
)
def test_numbers_are_normalised_to_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "123", "hello", "+1 415", "+999 1234567"])
def test_non_numbers_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(raw)


def test_whatsapp_addresses_keep_their_channel():
    address = parse_address("whatsapp:+14155550123")
    assert (address.phone, address.channel) == ("+14155550123", "whatsapp")
    assert address.twilio_address == "whatsapp:+14155550123"
    assert parse_address("+14155550123").channel == "sms"


def test_masked_numbers_show_only_the_last_four_digits():
    assert mask_phone("+14155550123") == "***0123"
    assert "415" not in mask_phone("+14155550123")


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"TWILIO_ACCOUNT_SID": "bogus"}, "TWILIO_ACCOUNT_SID"),
        ({"DEFAULT_TIMEZONE": "Mars/Base"}, "DEFAULT_TIMEZONE"),
        ({"DEFAULT_TIMEZONE": "America"}, "DEFAULT_TIMEZONE"),
        ({"PUBLIC_BASE_URL": "example.com"}, "PUBLIC_BASE_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"MAX_PLAN_STEPS": "0"}, "MAX_PLAN_STEPS"),
    ],
)
def test_a_malformed_setting_is_one_line_naming_the_variable(monkeypatch, env, name):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError) as error:
        load_settings(_env_file=None)
    message = str(error.value)
    assert "\n" not in message
    assert name in message


def test_serving_requires_a_webhook_token_unless_checks_are_off(monkeypatch):
    monkeypatch.setenv("TWILIO_VALIDATE_SIGNATURE", "true")
    settings = load_settings(_env_file=None)
    with pytest.raises(ConfigurationError, match="TWILIO_AUTH_TOKEN"):
        settings.check_can_serve()
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x")
    load_settings(_env_file=None).check_can_serve()


def test_blank_values_mean_unset(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "")
    monkeypatch.setenv("PUBLIC_BASE_URL", " ")
    settings = load_settings(_env_file=None)
    assert settings.openai_api_key is None and settings.public_base_url is None
    assert not settings.llm_configured
