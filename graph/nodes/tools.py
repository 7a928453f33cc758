"""tools: run the tool calls of the last plan step (LangGraph's ToolNode over the registry).

Invalid arguments from the model come back to it as an error ToolMessage so it can correct
itself; any other failure ends the turn (the runner answers with a friendly error).
"""

from __future__ import annotations

from langgraph.prebuilt import ToolNode

from tools import TOOLS

tools = ToolNode(TOOLS, name="tools")
