"""The one place that decides which chat model plans: an OpenAI-compatible LLM or offline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

from langchain_core.language_models import BaseChatModel

from graph.offline import OfflinePlanner
from stores.settings import Settings

OPENAI_HOST = "api.openai.com"


def token_limit_field(settings: Settings) -> Literal["max_tokens", "max_completion_tokens"]:
    """Where the token limit goes: OpenAI's own API reads `max_completion_tokens` (and its
    reasoning models refuse `max_tokens`); llama.cpp, vLLM, Ollama and LM Studio read
    `max_tokens`. LLM_TOKEN_LIMIT_FIELD overrides the guess."""
    if settings.llm_token_limit_field != "auto":
        return settings.llm_token_limit_field
    host = urlparse(settings.openai_base_url).hostname if settings.openai_base_url else OPENAI_HOST
    return "max_completion_tokens" if host == OPENAI_HOST else "max_tokens"


def build_chat_model(settings: Settings) -> BaseChatModel:
    """ChatOpenAI when OPENAI_API_KEY or OPENAI_BASE_URL is set, else the offline planner."""
    if not settings.llm_configured:
        return OfflinePlanner()
    from graph.compatible_openai import CompatibleChatOpenAI  # late: importing needs no LLM

    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    return CompatibleChatOpenAI(
        model=settings.llm_model,
        base_url=settings.openai_base_url,
        api_key=api_key,  # type: ignore[arg-type]
        max_completion_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        token_limit_field=token_limit_field(settings),
    )


_models: dict[str, BaseChatModel] = {}


def load_chat_model(settings: Settings) -> BaseChatModel:
    """The planner model for these settings, built once per process and configuration."""
    secret = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    key = repr(
        (
            secret,
            settings.openai_base_url,
            settings.llm_model,
            settings.llm_max_tokens,
            settings.llm_timeout_seconds,
            settings.llm_max_retries,
            settings.llm_token_limit_field,
        )
    )
    model = _models.get(key)
    if model is None:
        model = _models[key] = build_chat_model(settings)
    return model


@dataclass(frozen=True)
class Planner:
    """What the nodes need to know about the model that plans, in one place."""

    model: BaseChatModel
    name: str
    """A short label for the audit log: "offline" or the LLM's model name."""
    generative: bool
    """Writes free text from a prompt: it reads the recalled memories and documents, extracts
    facts and folds summaries. The offline planner does none of these (its lookup tools search
    when a question needs it), so nothing is retrieved or asked of it for them."""


def planner_for(model: BaseChatModel) -> Planner:
    generative = bool(getattr(model, "generative", True))
    name = getattr(model, "planner_label", None)
    if name is None:
        name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return Planner(model=model, name=str(name or model._llm_type)[:64], generative=generative)
