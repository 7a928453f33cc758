"""The agent loop as an explicit StateGraph.

load_state -> retrieve_memory -> rag -> plan <-> tools -> summarize -> persist

`builder` is exported uncompiled so the runner and the tests compile it with their own
checkpointer; `graph` (no checkpointer: LangGraph Studio brings its own) is what langgraph.json
loads. Importing this module needs no environment variable and no network.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from graph.context import Context
from graph.nodes.load_state import load_state
from graph.nodes.persist import persist
from graph.nodes.plan import plan, route_after_plan
from graph.nodes.rag import rag
from graph.nodes.retrieve_memory import retrieve_memory
from graph.nodes.summarize import summarize
from graph.nodes.tools import tools
from graph.state import InputState, State

builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node("load_state", load_state)
builder.add_node("retrieve_memory", retrieve_memory)
builder.add_node("rag", rag)
builder.add_node("plan", plan)
builder.add_node("tools", tools)
builder.add_node("summarize", summarize)
builder.add_node("persist", persist)

builder.add_edge(START, "load_state")
builder.add_edge("load_state", "retrieve_memory")
builder.add_edge("retrieve_memory", "rag")
builder.add_edge("rag", "plan")
builder.add_conditional_edges("plan", route_after_plan, ["tools", "summarize"])
builder.add_edge("tools", "plan")
builder.add_edge("summarize", "persist")
builder.add_edge("persist", END)

graph = builder.compile(name="sms-assistant")
