"""ChatOpenAI that writes requests every common OpenAI-compatible server honours.

Kept apart from graph/model.py so that importing the graph never imports langchain_openai.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_openai import ChatOpenAI


def compatible_payload(payload: dict[str, Any], limit_field: str) -> dict[str, Any]:
    """A chat-completions request every common server accepts: the token limit in the field
    the server reads, and string content on assistant messages that carry tool calls
    (llama.cpp answers 500 to `content: null`; OpenAI takes "" as well)."""
    limit = payload.pop("max_completion_tokens", None) or payload.pop("max_tokens", None)
    if limit is not None:
        payload[limit_field] = limit
    for message in payload.get("messages", []):
        if message.get("role") == "assistant" and message.get("content") is None:
            message["content"] = ""
    return payload


class CompatibleChatOpenAI(ChatOpenAI):
    token_limit_field: Literal["max_tokens", "max_completion_tokens"] = "max_completion_tokens"
    """The request field that carries the token limit (see graph.model.token_limit_field)."""

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        return compatible_payload(payload, self.token_limit_field)
