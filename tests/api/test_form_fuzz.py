"""Whatever Twilio (or anyone) posts, the webhook answers with a status, never a 500."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from api.forms import BadForm, inbound_from_form
from tests.api.conftest import SMS_URL
from tests.conftest import AUTH_TOKEN
from tests.helpers import post_signed

FIELDS = ["MessageSid", "SmsSid", "From", "To", "Body", "NumMedia", "OptOutType", "AccountSid"]
form_pairs = st.lists(st.tuples(st.sampled_from([*FIELDS, "X"]), st.text(max_size=80)), max_size=12)


@settings(max_examples=400, deadline=None)
@given(form_pairs)
def test_the_form_parser_accepts_or_rejects_with_a_reason(pairs):
    try:
        inbound = inbound_from_form(FormData(pairs), default_region="US")
    except BadForm as error:
        assert str(error) and error.status in (400, 413, 415)
    else:
        assert inbound.from_number.startswith("+")
        assert inbound.message_sid


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(form_pairs)
async def test_signed_arbitrary_forms_never_crash_the_webhook(harness, pairs):
    response = await post_signed(harness.client, pairs, token=AUTH_TOKEN, signed_url=SMS_URL)
    assert response.status_code in (200, 400, 413, 415)
