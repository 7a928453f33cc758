"""The understanding layer on the phrasings that failed on main (issue 12, "What was measured"),
with the real local embedding model where meaning matters."""

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph.offline import understand
from graph.understanding import BY_NAME, Tier, answers, read
from messaging.keywords import OPT_OUT_NOTICE
from messaging.segments import segments
from tools import TOOLS_BY_NAME
from tools.help import HELP_TEXT
from tools.places import zone_for

MEASURED = [
    ("rmind me to call the dentist tomorrow 10am", "set_reminder",
     {"what": "call the dentist", "when": "tomorrow 10am"}),
    ("remidn me to call the dentist tomorrow at 10am", "set_reminder",
     {"what": "call the dentist", "when": "tomorrow at 10am"}),
    ("remind me 2moro at 9am to call bob", "set_reminder",
     {"what": "call bob", "when": "tomorrow at 9am"}),
    ("can u add oat milk to the list pls", "add_todo", {"item": "oat milk"}),
    ("what do u know abt me?", "list_memories", {}),
    ("whats the time in london", "time_in", {"place": "london"}),
    ("london rn", "time_in", {"place": "london"}),
    ("whats the time in NYC?", "time_in", {"place": "nyc"}),
    ("todo buy batteries", "add_todo", {"item": "batteries"}),
    ("whats my name", "whoami", {}),
    ("hey, pls call me Jess 🙂", "set_name", {"name": "Jess"}),
    ("nvm, cancel the dentist one", "cancel_reminder", {"which": "dentist"}),
    ("also add coffee beans", "add_todo", {"item": "coffee beans"}),
    ("actually remember my gym locker is now 31", "remember", {"fact": "my gym locker is now 31"}),
    ("remind me next tuesday at 2:30pm about the dentist", "set_reminder",
     {"what": "the dentist", "when": "next tuesday at 2:30pm"}),
    ("REMIND ME TO PAY RENT ON THE 1ST AT 9AM", "set_reminder",
     {"what": "PAY RENT", "when": "ON THE 1ST AT 9AM"}),
    ("remove call the plumber from my list", "remove_todo", {"item": "call the plumber"}),
    ("got the eggs", "complete_todo", {"item": "eggs"}),
    ("i need to buy batteries, can u add that to my list", "add_todo", {"item": "batteries"}),
    ("i'm in berlin this week", "set_timezone", {"place": "berlin"}),
    ("turn off quiet hours", "set_quiet_hours", {"start": "0", "end": "0"}),
    ("don't text me between 11pm and 8am", "set_quiet_hours", {"start": "11pm", "end": "8am"}),
    ("actually my name is Roberto", "set_name", {"name": "Roberto"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tool", "args"), MEASURED)
def test_phrasings_that_failed_on_main_become_the_right_tool_call(text, tool, args, minilm):
    [call] = understand(text, embeddings=minilm).tool_calls
    assert call["name"] == tool
    got = {k: v.lower() if isinstance(v, str) else v for k, v in call["args"].items()}
    assert got == {k: v.lower() if isinstance(v, str) else v for k, v in args.items()}
    TOOLS_BY_NAME[tool].tool_call_schema.model_validate(call["args"])


def test_a_reminder_at_the_end_of_a_long_text_is_found(minilm):
    text = "Long day at work, the printer broke again and nobody knew why. " * 14
    text += "Anyway. remind me to call the plumber tomorrow at 11am"
    assert len(text) > 900
    [call] = understand(text, embeddings=minilm).tool_calls
    assert call["args"] == {"what": "call the plumber", "when": "tomorrow at 11am"}


@pytest.mark.parametrize("text", ["call me tomorrow", "i'm in a meeting", "call me back"])
def test_guards_change_no_setting(text, minilm):
    names = {c["name"] for c in understand(text, embeddings=minilm).tool_calls}
    assert not names & {"set_name", "set_timezone"}


@pytest.mark.parametrize(
    ("place", "zone"),
    [("berlin", "Europe/Berlin"), ("NYC", "America/New_York"), ("london", "Europe/London"),
     ("Tokyo", "Asia/Tokyo"), ("mumbai", "Asia/Kolkata"), ("Europe/Paris", "Europe/Paris")],
)  # fmt: skip
def test_places_come_from_a_gazetteer_with_time_zones(place, zone):
    assert zone_for(place) == zone


def _asked(question: str, args: dict) -> list:
    """History: the reminder tool asked `question` about `args`, and the planner marked it."""
    call = {"name": "set_reminder", "args": args, "id": "call_1"}
    messages = [
        HumanMessage("remind me ..."),
        AIMessage("", tool_calls=[call]),
        ToolMessage(question, tool_call_id="call_1"),
    ]
    from graph.offline import respond

    return [*messages, respond(messages)]


@pytest.mark.parametrize(("answer", "when"), [("4pm", "tomorrow at 4pm"), ("pm", "tomorrow at 4pm"),
                                              ("4 AM", "tomorrow at 4am")])  # fmt: skip
def test_a_short_answer_completes_the_open_am_pm_question(answer, when, minilm):
    history = _asked(
        "Did you mean 4 AM or 4 PM? Text it again with am or pm, e.g. 'at 4pm'.",
        {"what": "call the vet", "when": "tomorrow at 4"},
    )
    [call] = understand(answer, history, embeddings=minilm).tool_calls
    assert call["args"] == {"what": "call the vet", "when": when}


def test_no_to_an_open_reminder_question_sets_nothing(minilm):
    history = _asked("Did you mean 4 AM or 4 PM?", {"what": "x", "when": "at 4"})
    message = understand("no", history, embeddings=minilm)
    assert message.tool_calls == [] and "didn't set" in message.content


def test_precedence_is_data_compliance_then_answers_then_commands():
    assert answers.compliance("stop.") == "opt_out"
    assert answers.compliance("note: stop at the bakery") is None
    assert answers.confirmation_code("YES 4821") == "4821"
    assert answers.denies("no") and answers.denies("nope, cancel that")
    assert answers.snooze_or_done("snooze 2 hrs").delay.total_seconds() == 7200
    assert answers.snooze_or_done("done").delay is None
    tiers = {intent.tier for intent in BY_NAME.values()}
    assert Tier.COMMAND in tiers and Tier.SMALL_TALK in tiers
    # "cancel my account" is both a cancel and an account deletion: the destructive, exact row
    # is ranked first, whatever the order of the table.
    assert read("cancel my account").intent == "delete_account"


def test_destructive_intents_are_exact_and_never_read_by_meaning(minilm):
    for text in ("erase every note i have", "wipe my data", "get rid of my account pls"):
        reading = read(text, embeddings=minilm)
        assert not (reading.row and reading.row.destructive)


def test_help_lists_every_capability_in_two_segments_with_the_notice():
    text = f"{HELP_TEXT}\n{OPT_OUT_NOTICE}"
    assert segments(text) <= 2
    for capability in ("note", "find", "remember", "forget", "remind", "snooze", "add", "list",
                       "call me", "I'm in", "quiet hours", "whoami"):  # fmt: skip
        assert capability in HELP_TEXT


def test_the_fallback_fits_one_segment_and_names_the_closest_commands(minilm):
    message = understand("book me a flight to rome", embeddings=minilm)
    assert segments(message.content) == 1
    assert "e.g." in message.content and "HELP" in message.content
    assert "OPENAI" not in message.content


LEASE = (
    b"Rent is due on the 1st of each month. A late fee of $50 applies if rent is paid after "
    b"the 5th. Pets: one cat or one small dog under 25 lbs is allowed with a $300 pet deposit. "
    b"The building superintendent, Mike Russo, can be reached at 555-0142 for repairs. Parking "
    b"is not included; spaces can be rented for $75 a month."
)


@pytest.mark.parametrize(
    ("question", "answer"),
    [("how much is the late fee", "$50"), ("what's the super's number", "555-0142"),
     ("can i have a dog", "small dog"), ("what's the wifi password?", None)],
)  # fmt: skip
async def test_document_answers_quote_the_sentence_that_answers_or_say_they_dont(
    question, answer, database, clock, minilm
):
    from stores import kb
    from tests.helpers import add_user, turn

    ann = await add_user(database, clock, "+14155550123")
    await kb.ingest(
        database, minilm, user_id=ann.id, source="lease.txt", location="/docs/lease.txt",
        data=LEASE, content_type="text/plain", clock=clock,
    )  # fmt: skip
    final = await turn(question, user_id=ann.id, database=database, clock=clock, embeddings=minilm)
    reply = final["reply"]
    if answer is None:
        assert "lease.txt" not in reply and "couldn't find" in reply
    else:
        assert "lease.txt" in reply and answer in reply
        assert segments(reply) <= 2


def test_facts_are_told_back_in_the_second_person():
    from tools.memory import second_person

    assert second_person("my address is 12 Elm St") == "your address is 12 Elm St"
    assert second_person("I'm vegetarian and I am allergic to nuts") == (
        "you're vegetarian and you are allergic to nuts"
    )
    assert second_person("Anna's birthday is June 3") == "Anna's birthday is June 3"
