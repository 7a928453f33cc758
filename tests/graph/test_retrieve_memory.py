from graph.context import Context
from graph.nodes.retrieve_memory import retrieve_memory
from graph.state import State
from tests.helpers import runtime


async def test_recalls_nothing_until_a_memory_store_exists(database, clock):
    update = await retrieve_memory(
        State(memories=["left over from an earlier turn"]),
        runtime(Context(database=database, clock=clock)),
    )
    assert update == {"memories": []}
