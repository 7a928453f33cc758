"""SMS segment counting, GSM-7 normalisation, Markdown flattening, MORE pagination."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.segments import (
    MAX_MESSAGE_CHARS,
    MORE_SUFFIX,
    encoding_of,
    flatten_markdown,
    normalise,
    paginate,
    prepare,
    segments,
)


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("hello", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 153 * 3, "GSM-7", 3),
        ("a" * (153 * 3 + 1), "GSM-7", 4),
        ("€" * 80, "GSM-7", 1),  # escaped characters cost two septets each
        ("€" * 81, "GSM-7", 2),
        ("a" * 70, "GSM-7", 1),
        ("a" * 69 + "😀", "UCS-2", 2),  # one emoji: the whole text is UCS-2, emoji = 2 units
        ("ā" * 70, "UCS-2", 1),
        ("ā" * 71, "UCS-2", 2),
        ("ā" * 67 * 3, "UCS-2", 3),
        ("", "GSM-7", 0),
    ],
)
def test_segment_counting_vectors(text, encoding, count):
    result = encoding_of(text)
    assert (result.name, result.segments) == (encoding, count)


def test_typographic_punctuation_is_normalised_so_the_text_stays_gsm7():
    text = "\u201cIt\u2019s done\u201d \u2014 see you\u2026"
    assert encoding_of(text).name == "UCS-2"
    assert normalise(text) == '"It\'s done" - see you...'
    assert encoding_of(normalise(text)).name == "GSM-7"


def test_markdown_is_flattened_for_phones():
    text = "# Plan\n**Bold** and *soft* and `code`\n* one\n* two\nSee [docs](https://x.example)"
    assert flatten_markdown(text) == (
        "Plan\nBold and soft and code\n- one\n- two\nSee docs (https://x.example)"
    )


def test_a_short_reply_is_sent_whole():
    page = paginate("Saved note #1: milk", 3)
    assert (page.text, page.rest) == ("Saved note #1: milk", "")


def test_a_long_reply_is_cut_at_a_sentence_and_continues_on_more():
    sentences = [f"Sentence number {i} is here." for i in range(60)]
    page = paginate(" ".join(sentences), 3)
    assert page.text.endswith("." + MORE_SUFFIX)
    assert segments(page.text) <= 3
    rebuilt = page.text.removesuffix(MORE_SUFFIX) + " " + page.rest
    assert rebuilt == " ".join(sentences)


def test_no_message_is_ever_over_1600_characters():
    page = paginate("word " * 2000, 20)
    assert len(page.text) <= MAX_MESSAGE_CHARS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=1, max_value=10))
def test_paginating_any_text_never_fails_and_never_loses_words(text, budget):
    page = paginate(text, budget)
    assert segments(page.text) <= budget or len(prepare(text)) == 0
    assert len(page.text) <= MAX_MESSAGE_CHARS
    if page.rest:
        assert page.text.endswith(MORE_SUFFIX)
        kept = page.text.removesuffix(MORE_SUFFIX).split() + page.rest.split()
        assert "".join(kept) == "".join(prepare(text).split())


async def test_more_sends_the_next_part_then_says_there_is_nothing_more(harness):
    from tests.api.conftest import SMS_URL
    from tests.conftest import ANN_PHONE, AUTH_TOKEN
    from tests.helpers import add_user, post_signed, twilio_form

    await add_user(harness.database, harness.app.state.clock, ANN_PHONE)

    async def send(body):
        harness.app.state.clock.advance(timedelta(seconds=10))  # stay under the rate limit
        response = await post_signed(
            harness.client, twilio_form(body, ANN_PHONE), token=AUTH_TOKEN, signed_url=SMS_URL
        )
        return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]

    for i in range(12):
        await send(f"note: reminder number {i} about something long enough to matter")
    [first] = await send("notes")
    assert first.endswith(MORE_SUFFIX) and segments(first) <= 3
    [second] = await send("more")
    assert "#12" in second and not second.endswith(MORE_SUFFIX)
    [third] = await send("MORE")
    assert third == "That's all: there is nothing more to send."
