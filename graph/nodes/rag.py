"""rag: passages from the user's own and the shared knowledge base that match this turn.

Up to rag_top_k chunks scoring at least rag_min_score, with their source file and score. The plan
prompt shows them and asks for the source to be cited. A knowledge base that cannot answer costs
the turn its documents, not its reply. Skipped for the offline planner, which reads no prompt.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.nodes.retrieve_memory import latest_text
from graph.state import RetrievedDocument, State
from stores import kb
from stores.redact import described

log = logging.getLogger(__name__)


async def rag(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    text = latest_text(state)
    if state.user is None or not text or not ctx.planner().generative:
        return {"documents": []}
    try:
        found = await kb.search(
            ctx.database,
            ctx.embeddings,
            user_id=state.user["id"],
            query=text,
            k=ctx.rag_top_k,
            min_score=ctx.rag_min_score,
        )
    except Exception as error:  # retrieval is an aid: never fail the turn for it
        log.warning(
            "knowledge-base search failed: %s",
            described(error),
        )
        return {"documents": []}
    return {
        "documents": [
            RetrievedDocument(source=p.source, text=p.text, score=round(p.score, 3)) for p in found
        ]
    }
