"""The LangGraph agent: state, nodes, prompts, and the planner model factory."""
