"""A snapshot of the graph's wiring: a change to the loop's shape must be deliberate."""

from pathlib import Path

from graph.graph import builder, graph

SNAPSHOT = Path(__file__).parent / "graph_wiring.mmd"


def test_the_wiring_matches_the_snapshot():
    mermaid = graph.get_graph().draw_mermaid()
    assert mermaid == SNAPSHOT.read_text(), (
        "graph wiring changed; if intended, regenerate tests/graph/graph_wiring.mmd"
    )


def test_nodes_are_the_designed_loop():
    assert list(builder.nodes) == [
        "load_state",
        "retrieve_memory",
        "rag",
        "plan",
        "tools",
        "persist",
        "after_reply",
    ]
    edges = {(e.source, e.target, e.conditional) for e in graph.get_graph().edges}
    assert ("plan", "tools", True) in edges
    assert ("plan", "persist", True) in edges
    assert ("tools", "plan", False) in edges
    assert ("persist", "after_reply", True) in edges


def test_importing_the_graph_needs_no_environment(tmp_path):
    import os
    import subprocess
    import sys

    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", "import graph.graph as g; print(type(g.graph).__name__)"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "CompiledStateGraph"


def test_the_path_starts_over_with_each_turn():
    from graph.state import record_path

    path = record_path([], ["load_state"])
    for node in ("retrieve_memory", "rag", "plan", "tools", "plan"):
        path = record_path(path, [node])
    assert path == ["load_state", "retrieve_memory", "rag", "plan", "tools", "plan"]
    assert record_path(path, ["load_state"]) == ["load_state"]
