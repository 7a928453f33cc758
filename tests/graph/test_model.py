"""load_chat_model: the offline planner by default, any OpenAI-compatible LLM when configured."""

import json

import httpx
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI

from graph.model import build_chat_model, planner_for
from graph.offline import OfflinePlanner
from stores.settings import load_settings
from tests.helpers import add_user, turn
from tools import TOOLS_BY_NAME


def test_without_llm_settings_the_offline_planner_plans(monkeypatch):
    model = build_chat_model(load_settings(_env_file=None))
    assert isinstance(model, OfflinePlanner)
    assert planner_for(model).name == "offline"


def test_an_api_key_selects_a_bounded_chat_openai(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("LLM_MODEL", "gpt-test")
    monkeypatch.setenv("LLM_MAX_TOKENS", "123")
    model = build_chat_model(load_settings(_env_file=None))
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-test"
    assert model.max_tokens == 123
    assert model.request_timeout == 20.0
    assert model.max_retries == 2
    assert planner_for(model).name == "gpt-test"


def test_a_base_url_alone_selects_a_local_openai_compatible_server(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    model = build_chat_model(load_settings(_env_file=None))
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:11434/v1"


def _completion(message: dict) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-test",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


async def test_a_real_chat_openai_drives_the_tools_through_the_graph(database, clock):
    """ChatOpenAI against a fake OpenAI HTTP endpoint: tool schemas hide injected arguments."""
    requests: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        if len(requests) == 1:
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "save_note", "arguments": json.dumps({"text": "gate 4412"})},
            }
            return httpx.Response(
                200, json=_completion({"role": "assistant", "content": None, "tool_calls": [call]})
            )
        return httpx.Response(
            200,
            json=_completion({"role": "assistant", "content": "Got it, I saved the gate code."}),
        )

    model = ChatOpenAI(
        model="gpt-test",
        api_key="sk-test",
        base_url="http://llm.invalid/v1",
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    ann = await add_user(database, clock, "+14155550123")
    final = await turn(
        "please remember the gate code is 4412",
        user_id=ann.id,
        database=database,
        clock=clock,
        chat_model=model,
    )
    assert final["reply"] == "Got it, I saved the gate code."
    tools = {t["function"]["name"]: t["function"]["parameters"] for t in requests[0]["tools"]}
    assert set(tools) == set(TOOLS_BY_NAME)  # every registered tool, as the registry says
    assert not any("runtime" in tool.get("properties", {}) for tool in tools.values())
    assert list(tools["save_note"]["properties"]) == ["text"]  # no runtime, no user id
    assert requests[0]["messages"][0]["role"] == "system"
    assert requests[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "Saved note #1: gate 4412",
    }


def _payload_for(monkeypatch, **env: str) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    model = build_chat_model(load_settings(_env_file=None))
    call = AIMessage(content="", tool_calls=[{"name": "list_notes", "args": {}, "id": "c1"}])
    result = ToolMessage("You have no notes yet.", tool_call_id="c1")
    return model._get_request_payload([HumanMessage("notes"), call, result])  # type: ignore[attr-defined]


def test_openai_itself_gets_max_completion_tokens(monkeypatch):
    payload = _payload_for(monkeypatch, OPENAI_API_KEY="sk-test", LLM_MAX_TOKENS="123")
    assert payload["max_completion_tokens"] == 123 and "max_tokens" not in payload


def test_other_servers_get_max_tokens_unless_the_setting_says_otherwise(monkeypatch):
    payload = _payload_for(monkeypatch, OPENAI_BASE_URL="http://127.0.0.1:8080/v1")
    assert payload["max_tokens"] == 400 and "max_completion_tokens" not in payload
    payload = _payload_for(monkeypatch, LLM_TOKEN_LIMIT_FIELD="max_completion_tokens")
    assert payload["max_completion_tokens"] == 400 and "max_tokens" not in payload


def test_an_assistant_tool_call_goes_back_with_string_content(monkeypatch):
    payload = _payload_for(monkeypatch, OPENAI_BASE_URL="http://127.0.0.1:8080/v1")
    assistant = payload["messages"][1]
    assert assistant["role"] == "assistant" and assistant["content"] == ""
    assert assistant["tool_calls"][0]["id"] == "c1"
