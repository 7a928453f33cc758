"""The LangGraph entry point (`langgraph.json`): the graph `langgraph dev` and Studio run.

A composition root: LangGraph builds each run's Context itself (from the run's `context`, often
just `phone`), so this registers the process Settings, read once from the environment and
`.env`, as where a Context's defaults come from. No checkpointer: the server brings its own.
"""

from __future__ import annotations

from graph.context import use_default_settings
from graph.graph import builder
from stores.settings import get_settings

use_default_settings(get_settings)
graph = builder.compile(name="sms-assistant")
