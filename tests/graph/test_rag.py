from graph.context import Context
from graph.nodes.rag import rag
from graph.state import State
from tests.helpers import runtime


async def test_retrieves_no_documents_until_a_knowledge_base_exists(database, clock):
    stale = [{"source": "old.md", "text": "x", "score": 0.9}]
    update = await rag(State(documents=stale), runtime(Context(database=database, clock=clock)))
    assert update == {"documents": []}
