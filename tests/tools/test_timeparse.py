"""Times in the user's words and zone: absolute echoes, recurrence, DST, and questions, not
guesses, for ambiguous or past times."""

from datetime import UTC, datetime

import pytest

from graph.understanding.slots import split_reminder
from stores.recurrence import next_occurrence
from tools.timeparse import TimeQuestion, parse_when

# Wed Nov 25 2026, 15:00 UTC = 10:00 in New York, 16:00 in Paris, 00:00 (Thu) in Tokyo.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "zone", "echo", "utc"),
    [
        ("tomorrow at 5pm", "America/New_York", "Thu Nov 26, 5:00 PM (America/New_York)",
         datetime(2026, 11, 26, 22, 0, tzinfo=UTC)),
        ("tomorrow at 5pm", "Europe/Paris", "Thu Nov 26, 5:00 PM (Europe/Paris)",
         datetime(2026, 11, 26, 16, 0, tzinfo=UTC)),
        ("tomorrow at 5pm", "Asia/Tokyo", "Fri Nov 27, 5:00 PM (Asia/Tokyo)",
         datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),
        ("in 10 minutes", "America/New_York", "Wed Nov 25, 10:10 AM (America/New_York)",
         datetime(2026, 11, 25, 15, 10, tzinfo=UTC)),
        ("in an hour", "UTC", "Wed Nov 25, 4:00 PM (UTC)",
         datetime(2026, 11, 25, 16, 0, tzinfo=UTC)),
        ("Dec 3 at 14:00", "America/Chicago", "Thu Dec 3, 2:00 PM (America/Chicago)",
         datetime(2026, 12, 3, 20, 0, tzinfo=UTC)),
        ("next friday 3pm", "America/New_York", "Fri Nov 27, 3:00 PM (America/New_York)",
         datetime(2026, 11, 27, 20, 0, tzinfo=UTC)),
        ("tonight at 8", "America/New_York", "Wed Nov 25, 8:00 PM (America/New_York)",
         datetime(2026, 11, 26, 1, 0, tzinfo=UTC)),
        ("at noon tomorrow", "UTC", "Thu Nov 26, 12:00 PM (UTC)",
         datetime(2026, 11, 26, 12, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_one_off_times_are_read_in_the_users_zone_and_echoed_absolutely(when, zone, echo, utc):
    schedule = parse_when(when, timezone=zone, now=NOW)
    assert schedule.first == utc
    assert schedule.describe() == echo
    assert schedule.rrule is None


@pytest.mark.parametrize(
    ("when", "question"),
    [
        ("at 5", "5 AM or 5 PM"),  # a bare 1-6 is either
        ("tomorrow", "What time on Thu Nov 26"),  # a day without a time
        ("today at 9am", "has already passed"),  # explicitly in the past
        ("9am", "Did you mean tomorrow"),  # today's 9am is gone: ask, don't roll over
        ("every monday", "At what time"),
        ("", "When should I remind you"),
        ("someday", "couldn't read a date"),
        ("at 25:00", "isn't a time"),
    ],
)
def test_ambiguous_or_past_times_get_a_question_back(when, question):
    with pytest.raises(TimeQuestion) as raised:
        parse_when(when, timezone="America/New_York", now=NOW)
    assert question in raised.value.question


def test_every_monday_at_nine_repeats_weekly_at_nine_local_across_dst():
    march = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # Sun Mar 1; the US springs forward Mar 8
    schedule = parse_when("every Monday at 9", timezone="America/New_York", now=march)
    assert schedule.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert schedule.describe().startswith("Every Monday at 9:00 AM (America/New_York)")
    assert schedule.first == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # EST: UTC-5
    assert schedule.start_local is not None
    second = next_occurrence(
        schedule.rrule,
        start_local=schedule.start_local,
        timezone="America/New_York",
        after=schedule.first,
    )
    assert second == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # EDT: still 9:00 local


@pytest.mark.parametrize(
    ("when", "rrule"),
    [
        ("every day at 7am", "FREQ=DAILY"),
        ("every weekday at 8:30", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("every other tuesday at 6pm", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        ("every monday and thursday at 9am", "FREQ=WEEKLY;BYDAY=MO,TH"),
    ],
)
def test_recurrence_becomes_an_rrule(when, rrule):
    assert parse_when(when, timezone="UTC", now=NOW).rrule == rrule


def test_a_time_skipped_by_spring_forward_moves_past_the_gap_and_says_so():
    schedule = parse_when(
        "March 8 at 2:30am", timezone="America/New_York", now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert schedule.first == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 3:30 EDT
    assert "3:30 AM" in schedule.describe()
    assert "doesn't exist" in schedule.note


def test_a_time_repeated_by_fall_back_is_the_first_one_and_says_so():
    schedule = parse_when(
        "Nov 1 at 1:30am", timezone="America/New_York", now=datetime(2026, 10, 28, tzinfo=UTC)
    )
    assert schedule.first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 1:30 EDT, not EST
    assert "happens twice" in schedule.note


@pytest.mark.parametrize(
    ("request_text", "what", "when"),
    [
        ("to call mom tomorrow at 5pm", "call mom", "tomorrow at 5pm"),
        ("tomorrow at 5pm to call mom", "call mom", "tomorrow at 5pm"),
        ("to water the plants every monday at 9", "water the plants", "every monday at 9"),
        ("in 10 minutes to check the oven", "check the oven", "in 10 minutes"),
        ("to take the 5 train at 9am", "take the 5 train", "at 9am"),
        ("to call mom", "call mom", ""),
    ],
)
def test_split_reminder_finds_the_what_and_the_when_in_either_order(request_text, what, when):
    assert split_reminder(request_text) == (what, when)


@pytest.mark.parametrize(
    ("when", "utc"),
    [
        ("2026-11-26T17:00", datetime(2026, 11, 26, 22, 0, tzinfo=UTC)),  # local to the user
        ("2026-11-26T17:00:00Z", datetime(2026, 11, 26, 17, 0, tzinfo=UTC)),
        ("2026-11-26 17:00-05:00", datetime(2026, 11, 26, 22, 0, tzinfo=UTC)),
    ],
)
def test_an_iso_time_from_a_model_is_taken_as_given(when, utc):
    assert parse_when(when, timezone="America/New_York", now=NOW).first == utc


def test_an_iso_time_in_the_past_is_asked_about():
    with pytest.raises(TimeQuestion, match="has already passed"):
        parse_when("2026-11-24T17:00", timezone="America/New_York", now=NOW)
