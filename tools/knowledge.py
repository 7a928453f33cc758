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
SHORT_SENTENCE = 40
NOTHING_FOUND = "Your documents don't say."
CANDIDATE_FLOOR = 0.1
ANSWER_FLOOR = 0.2
"""Below this, the best sentence of the best passages does not answer the question (the local
model scores an unrelated sentence about 0.1): the documents don't say, rather than a quote."""
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


async def best_excerpt(
    embeddings: TextEmbeddings, query: str, passages: list[str]
) -> tuple[int, str, float]:
    """The sentence of `passages` closest in meaning to `query` (and the next one when it is
    very short), at most QUOTE_CHARS long: a reply quotes what answers, not a whole page.
    Returns (which passage, the excerpt, its score)."""
    sentences = [
        (index, " ".join(s.split()))
        for index, passage in enumerate(passages)
        for s in _SENTENCES.split(passage)
        if s.strip()
    ]
    query_vector = await embeddings.aembed_query_vector(query)
    scores = (await embeddings.aembed_array([s for _, s in sentences])) @ query_vector
    best = int(np.argmax(scores))
    index, excerpt = sentences[best]
    short = len(excerpt) < SHORT_SENTENCE
    if short and best + 1 < len(sentences) and sentences[best + 1][0] == index:
        excerpt += " " + sentences[best + 1][1]
    if len(excerpt) > QUOTE_CHARS:
        excerpt = excerpt[: QUOTE_CHARS - 3].rstrip() + "..."
    return index, excerpt, float(scores[best])


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
        # A passage that mixes topics scores low as a whole even when one sentence answers:
        # take weaker candidates here and let the best sentence decide (ANSWER_FLOOR).
        min_score=min(ctx.rag_min_score, CANDIDATE_FLOOR),
    )
    if not found:
        return NOTHING_FOUND, {"found": 0}
    # The sentence that answers may sit in any of the passages found, not only the first.
    index, excerpt, score = await best_excerpt(ctx.embeddings, query, [p.text for p in found])
    if score < ANSWER_FLOOR:
        return NOTHING_FOUND, {"found": 0}
    best = found[index]
    reply = f'From {best.source}: "{excerpt}"'
    others = list(
        dict.fromkeys(
            p.source for p in found if p.source != best.source and p.score >= ctx.rag_min_score
        )
    )
    if others:
        reply += f" (see also {', '.join(others[:3])})"
    sources = [{"source": p.source, "score": round(p.score, 3)} for p in found]
    return reply, {"found": len(found), "sources": sources}
