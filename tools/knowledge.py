"""The `search_documents` tool: answer from the user's knowledge base, citing the file."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from stores import kb
from stores.embeddings import TextEmbeddings
from tools._runtime import context, current_user

QUOTE_CHARS = 320
"""How much of the best passage a reply quotes: two SMS segments at most."""
SHORT_SENTENCE = 60
NOTHING_FOUND = "I found nothing about that in your documents."
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


async def best_excerpt(embeddings: TextEmbeddings, query: str, passage: str) -> str:
    """The sentence of `passage` closest in meaning to `query` (and the next one when it is
    very short), at most QUOTE_CHARS long: a reply quotes what answers, not a whole page."""
    sentences = [" ".join(s.split()) for s in _SENTENCES.split(passage) if s.strip()]
    if len(sentences) > 1:
        query_vector = await embeddings.aembed_query_vector(query)
        scores = (await embeddings.aembed_array(sentences)) @ query_vector
        best = int(np.argmax(scores))
        excerpt = sentences[best]
        if len(excerpt) < SHORT_SENTENCE and best + 1 < len(sentences):
            excerpt += " " + sentences[best + 1]
    else:
        excerpt = " ".join(passage.split())
    return excerpt if len(excerpt) <= QUOTE_CHARS else excerpt[: QUOTE_CHARS - 3].rstrip() + "..."


@tool(response_format="content_and_artifact")
async def search_documents(
    query: str, runtime: ToolRuntime[Any, Any]
) -> tuple[str, dict[str, Any]]:
    """Search the user's documents (theirs and the shared ones: leases, manuals, lists) and
    quote the best passage with the file it came from.

    Args:
        query: the question or topic, e.g. "when is rent due".
    """
    ctx, user = context(runtime), current_user(runtime)
    found = await kb.search(
        ctx.database,
        ctx.embeddings,
        user_id=user["id"],
        query=query,
        k=ctx.rag_top_k,
        min_score=ctx.rag_min_score,
    )
    if not found:
        return NOTHING_FOUND, {"found": 0}
    best = found[0]
    reply = f'From {best.source}: "{await best_excerpt(ctx.embeddings, query, best.text)}"'
    others = list(dict.fromkeys(p.source for p in found[1:] if p.source != best.source))
    if others:
        reply += f" (see also {', '.join(others[:3])})"
    sources = [{"source": p.source, "score": round(p.score, 3)} for p in found]
    return reply, {"found": len(found), "sources": sources}
