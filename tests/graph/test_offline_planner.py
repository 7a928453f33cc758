"""The offline planner turns common texts into the tool calls an LLM would make."""

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph import prompts
from graph.offline import OfflinePlanner, normalise_command, understand
from messaging.segments import segments
from tools import TOOLS_BY_NAME


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        ("help", "show_help", {}),
        ("HELP", "show_help", {}),
        ("Help!", "show_help", {}),
        ("what can you do?", "show_help", {}),
        ("note: gate code 4412", "save_note", {"text": "gate code 4412"}),
        ("Note gate code 4412", "save_note", {"text": "gate code 4412"}),
        ("save note - Wifi is Hunter2!", "save_note", {"text": "Wifi is Hunter2"}),
        ("pls note buy milk 🥛", "save_note", {"text": "buy milk"}),
        ("jot down: call the plumber", "save_note", {"text": "call the plumber"}),
        ("notes", "list_notes", {}),
        ("My notes", "list_notes", {}),
        ("list my notes please", "list_notes", {}),
        ("show notes", "list_notes", {}),
        ("what are my notes?", "list_notes", {}),
        ("find gate", "find_notes", {"query": "gate"}),
        ("search notes for gate code", "find_notes", {"query": "gate code"}),
        ("Find in my notes wifi", "find_notes", {"query": "wifi"}),
        ("notes about wifi", "find_notes", {"query": "wifi"}),
        ("delete note 3", "delete_note", {"number": 3}),
        ("Delete note #12.", "delete_note", {"number": 12}),
        ("remove my note number 2", "delete_note", {"number": 2}),
        (
            "remember that Anna's birthday is June 3",
            "remember",
            {"fact": "Anna's birthday is June 3"},
        ),
        ("Remember: gate code is 4412", "remember", {"fact": "gate code is 4412"}),
        ("don't forget I'm vegetarian", "remember", {"fact": "I'm vegetarian"}),
        ("what do you know about me?", "list_memories", {}),
        ("my memories", "list_memories", {}),
        ("forget my address", "forget", {"what": "my address"}),
        ("please forget about Anna's birthday", "forget", {"what": "Anna's birthday"}),
    ],
)
def test_intents_become_tool_calls_with_registry_names(text, tool, args):
    message = understand(text)
    assert len(message.tool_calls) == 1
    call = message.tool_calls[0]
    assert call["name"] == tool
    assert call["args"] == args
    assert call["name"] in TOOLS_BY_NAME
    # The arguments validate against the tool's schema, as an LLM's would have to.
    TOOLS_BY_NAME[tool].tool_call_schema.model_validate(args)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("hi", prompts.OFFLINE_GREETING),
        ("Hello!", prompts.OFFLINE_GREETING),
        ("thanks!", prompts.OFFLINE_THANKS),
        ("thank you so much", prompts.OFFLINE_THANKS),
    ],
)
def test_small_talk_is_answered_directly(text, reply):
    message = understand(text)
    assert message.tool_calls == []
    assert message.content == reply


@pytest.mark.parametrize("text", ["book me a flight", "notebook", "", "forget", "weather"])
def test_unrecognised_text_gets_a_one_segment_reply_with_commands_and_no_operator_advice(
    text, minilm
):
    """Nothing close: the closest commands and HELP. Something close: a short question naming
    the two likeliest readings. Never the whole command list, never the operator's business."""
    message = understand(text, embeddings=minilm)
    assert message.tool_calls == []
    assert ("HELP" in message.content and "e.g." in message.content) or message.content.endswith(
        "Reply 1 or 2."
    )
    assert "OPENAI" not in message.content and "operator" not in message.content
    assert segments(message.content) == 1


def test_note_text_keeps_the_users_case_and_inner_punctuation():
    call = understand("note: Door code is 12-34, ask Sam.").tool_calls[0]
    assert call["args"] == {"text": "Door code is 12-34, ask Sam"}


def test_normalise_command_strips_decoration_only():
    assert normalise_command("  ✨ list   my notes!! 🙏 ") == "list my notes"


async def test_words_the_reply_from_all_tool_results_of_the_step():
    planner = OfflinePlanner()
    reply = await planner.ainvoke(
        [
            HumanMessage("x"),
            AIMessage(
                "",
                tool_calls=[
                    {"name": "a", "args": {}, "id": "1"},
                    {"name": "b", "args": {}, "id": "2"},
                ],
            ),
            ToolMessage("first", tool_call_id="1"),
            ToolMessage("second", tool_call_id="2"),
        ]
    )
    assert reply.content == "first\nsecond"
    assert reply.tool_calls == []


def test_bind_tools_keeps_it_a_chat_model():
    planner = OfflinePlanner()
    assert (
        planner.bind_tools(list(TOOLS_BY_NAME.values())).invoke("help").tool_calls[0]["name"]
        == "show_help"
    )


def test_emoji_inside_a_note_are_kept():
    call = understand("note: party 🎉 at 8 🙏").tool_calls[0]
    assert call["args"] == {"text": "party 🎉 at 8"}


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("when is Anna's birthday?", "when is Anna's birthday"),
        ("where does Bob live", "where does Bob live"),
        ("How long is the lease?", "How long is the lease"),
    ],
)
def test_other_questions_look_in_memories_notes_and_documents(text, query):
    calls = understand(text).tool_calls
    assert [(c["name"], c["args"]) for c in calls] == [
        ("recall", {"query": query}),
        ("search_notes", {"query": query}),
        ("search_documents", {"query": query}),
    ]
    for call in calls:
        TOOLS_BY_NAME[call["name"]].tool_call_schema.model_validate(call["args"])


async def test_a_lookup_that_finds_nothing_still_gets_the_honest_offline_reply():
    """Questions are looked up; when no lookup finds anything, the reply says so plainly (a
    question is never answered with silence or a bare "no")."""
    planner = OfflinePlanner()
    call = understand("what's the weather?").tool_calls[0]
    assert call["name"] == "recall"
    reply = await planner.ainvoke(
        [
            HumanMessage("what's the weather?"),
            AIMessage("", tool_calls=[call]),
            ToolMessage("nothing", tool_call_id=call["id"], artifact={"found": 0}),
        ]
    )
    assert reply.content == prompts.OFFLINE_NOT_FOUND
    assert "couldn't find" in reply.content and "OPENAI" not in reply.content


async def test_a_lookup_that_found_something_is_the_reply():
    planner = OfflinePlanner()
    reply = await planner.ainvoke(
        [
            HumanMessage("when is Anna's birthday?"),
            AIMessage("", tool_calls=[{"name": "recall", "args": {}, "id": "1"}]),
            ToolMessage(
                "You told me: Anna's birthday is June 3", tool_call_id="1", artifact={"found": 1}
            ),
        ]
    )
    assert reply.content == "You told me: Anna's birthday is June 3"
