"""After-turn fact extraction (with an LLM only): durable facts the user mentioned in passing.

"My sister Priya moved to Leeds" in the middle of a request becomes a memory without an explicit
"remember". Facts go through `stores.memories.remember`, so restating a known fact stores nothing
and a new value on a known subject supersedes the old one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from graph import prompts
from graph.reply_text import unescape
from stores.memories import MAX_FACT_CHARS

MAX_FACTS_PER_TURN = 5
MIN_TEXT_CHARS = 12
EXPLICIT_MEMORY_TOOLS = frozenset({"remember", "forget", "list_memories", "recall"})
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


_PURE_QUESTION = re.compile(
    r"^\W*(?:what|when|where|who|whose|which|how|why|is|are|do|does|did|can|could|will|would"
    r"|should)\b",
    re.IGNORECASE,
)


def worth_extracting(said: str, tools: list[str]) -> bool:
    """Skip turns that cannot hold a new fact: short texts, plain questions ("My sister lives in
    Leeds, any gift idea?" still counts), and turns that used the memory tools explicitly."""
    return (
        len(said.strip()) >= MIN_TEXT_CHARS
        and not _PURE_QUESTION.match(said)
        and not EXPLICIT_MEMORY_TOOLS & set(tools)
    )


def parse_facts(text: str) -> list[tuple[str, str | None]]:
    """(fact, subject) pairs from the model's JSON; anything malformed yields nothing."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        return []
    try:
        payload: Any = json.loads(match.group(0))
    except json.JSONDecodeError:
        return []
    items = payload.get("facts") if isinstance(payload, dict) else None
    facts: list[tuple[str, str | None]] = []
    for item in items if isinstance(items, list) else []:
        fact = item.get("fact") if isinstance(item, dict) else None
        if not isinstance(fact, str) or not fact.strip() or len(fact) > MAX_FACT_CHARS:
            continue
        subject = item.get("subject")
        facts.append((" ".join(fact.split()), subject if isinstance(subject, str) else None))
    return facts[:MAX_FACTS_PER_TURN]


async def extract_facts(
    model: BaseChatModel, *, said: str, answered: str, known: list[str]
) -> list[tuple[str, str | None]]:
    request = prompts.EXTRACT_FACTS_REQUEST.format(
        known="\n".join(f"- {fact}" for fact in known) or "(nothing yet)",
        said=said,
        answered=answered,
    )
    response = await model.ainvoke(
        [SystemMessage(prompts.EXTRACT_FACTS_SYSTEM), HumanMessage(request)]
    )
    return parse_facts(unescape(str(response.text)))  # some servers HTML-escape their output
