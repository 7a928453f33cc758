import xml.etree.ElementTree as ET

from twilio.base.exceptions import TwilioRestException

from api import twiml
from graph.errors import UserNotFound
from messaging import replies
from messaging.replies import friendly as _friendly


def test_each_failure_kind_maps_to_its_own_friendly_message():
    assert _friendly(UserNotFound("x")) == replies.USER_NOT_FOUND
    assert _friendly(TwilioRestException(500, "https://api", "boom")) == replies.TWILIO_ERROR
    assert _friendly(RuntimeError("x")) == replies.AGENT_ERROR
    texts = {
        replies.USER_NOT_FOUND,
        replies.TWILIO_ERROR,
        replies.AGENT_ERROR,
        replies.UNEXPECTED_ERROR,
    }
    assert len(texts) == 4
    assert all(len(t) <= 160 for t in texts)  # one SMS segment each


def test_no_reply_is_an_empty_response_element():
    response = twiml.render(None)
    root = ET.fromstring(response.body)
    assert root.tag == "Response" and list(root) == []


def test_replies_longer_than_twilios_limit_are_cut_at_a_word():
    text = "word " * 500
    clipped = twiml.clip(text)
    assert len(clipped) <= replies.MAX_SMS_CHARS
    assert clipped.endswith("word…")
    root = ET.fromstring(twiml.render(text).body)
    assert len(root.find("Message").text) <= replies.MAX_SMS_CHARS
