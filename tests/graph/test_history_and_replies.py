"""The history every server accepts, and the words a texter gets from whatever a model wrote."""

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph.history import NOT_RUN, repair_history, with_unique_call_ids
from graph.reply_text import readable, tool_calls_in_text, unescape
from tools import TOOLS_BY_NAME


def _call(call_id: str, name: str = "list_notes") -> dict:
    return {"name": name, "args": {}, "id": call_id}


def test_an_unanswered_call_gets_a_not_run_message_and_a_stray_result_is_dropped():
    history = [
        HumanMessage("notes"),
        AIMessage(content="", tool_calls=[_call("a"), _call("b")]),
        ToolMessage("You have no notes yet.", tool_call_id="a"),
        HumanMessage("hello"),
        ToolMessage("stray", tool_call_id="zzz"),
    ]
    repaired = repair_history(history)
    assert [type(m).__name__ for m in repaired] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
        "HumanMessage",
    ]
    assert (repaired[3].tool_call_id, repaired[3].content) == ("b", NOT_RUN)


def test_a_malformed_call_counts_as_a_call_to_answer():
    bad = AIMessage(
        content="",
        invalid_tool_calls=[{"name": "save_note", "args": "{", "id": "x", "error": "bad"}],
    )
    repaired = repair_history([HumanMessage("n"), bad])
    assert isinstance(repaired[-1], ToolMessage) and repaired[-1].tool_call_id == "x"


def test_a_repeated_or_missing_call_id_is_replaced():
    earlier = AIMessage(content="", tool_calls=[_call("call_0")])
    again = AIMessage(content="", tool_calls=[_call("call_0"), _call("")])
    fixed = with_unique_call_ids(again, [earlier])
    ids = [c["id"] for c in fixed.tool_calls]
    assert "call_0" not in ids and "" not in ids and len(set(ids)) == 2


def test_tool_calls_written_as_text_are_recognised_only_for_known_tools():
    text = '<tool_call>\n{"name": "save_note", "arguments": {"text": "milk"}}\n</tool_call>'
    [call] = tool_calls_in_text(text, TOOLS_BY_NAME)
    assert (call["name"], call["args"]) == ("save_note", {"text": "milk"})
    assert tool_calls_in_text('{"name": "rm_rf", "arguments": {}}', TOOLS_BY_NAME) == []
    assert tool_calls_in_text("Your note is saved.", TOOLS_BY_NAME) == []


def test_only_words_for_a_person_remain():
    assert readable("functions.list_notes:") == ""
    assert readable('functions.save_note: {"text": "x"} Done!') == "Done!"
    assert readable('{"reply": "hi"}') == ""
    assert readable("<|im_end|>") == ""
    assert readable("Sure.\n- milk\n* eggs") == "Sure.\nmilk\neggs"
    assert readable("| a | b |\n|---|---|\n| 1 | 2 |") == "a, b\n1, 2"
    assert readable("Tom & Jerry at 5") == "Tom & Jerry at 5"
    assert unescape("say &#34;hi&#34; &amp; bye") == 'say "hi" & bye'


def test_a_small_model_is_offered_only_the_tools_the_text_is_about():
    from graph.prompt_layout import offered_tools

    text = [HumanMessage("remind me to call mom tomorrow at 5pm")]
    names = [t.name for t in offered_tools(text, only_relevant=True)]
    assert "set_reminder" in names and "add_todo" not in names and len(names) <= 8
    called = [*text, AIMessage(content="", tool_calls=[_call("c", "whoami")])]
    assert "whoami" in [t.name for t in offered_tools(called, only_relevant=True)]
    assert len(offered_tools(text, only_relevant=False)) == len(TOOLS_BY_NAME)
