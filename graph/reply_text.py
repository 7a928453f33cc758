"""What a model wrote, made safe for a texter: never markup, internals or raw JSON.

Small local models write tool calls as text (`<tool_call>{"name": ...}</tool_call>`, a bare
`{"name": ..., "arguments": ...}`), echo `functions.list_notes:` after a tool result, answer
nothing at all, or (llama.cpp's server) come back HTML-escaped (`&#34;`). Tool calls written as
text are recognised where they parse; everything else that is not words for a person is removed,
and `plan` falls back to the tool results or a short apology when nothing is left.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Collection
from typing import Any

from langchain_core.messages.tool import ToolCall

_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FUNCTION_TAG = re.compile(r"<function=(\w+)>\s*(\{.*?\})\s*</function>", re.DOTALL)
_MARKUP = re.compile(
    r"</?tool_call>|</?function[^>]*>|<\|[^|>]*\|>|</?tools?>|\[TOOL_CALLS\]|<\|?python_tag\|?>"
)
_FUNCTIONS_FRAGMENT = re.compile(r"\bfunctions\.\w+\s*:?\s*(\{[^{}]*\})?")
_BULLET = re.compile(r"^[ \t]*[-*+\u2022][ \t]+", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def unescape(text: str) -> str:
    """HTML entities back to characters (some servers escape their output)."""
    return html.unescape(text) if "&" in text else text


def _call(payload: Any, tool_names: Collection[str]) -> ToolCall | None:
    if not isinstance(payload, dict):
        return None
    name = payload.get("name") or (payload.get("function") or {}).get("name")
    arguments = payload.get("arguments", payload.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    if not isinstance(name, str) or name not in tool_names or not isinstance(arguments, dict):
        return None
    return ToolCall(name=name, args=arguments, id="call_" + uuid.uuid4().hex[:24], type="tool_call")


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def tool_calls_in_text(text: str, tool_names: Collection[str]) -> list[ToolCall]:
    """Tool calls a model wrote as text, when they name a known tool and parse."""
    payloads: list[Any] = [_loads(m.group(1)) for m in _TOOL_CALL_TAG.finditer(text)]
    payloads += [{"name": n, "arguments": _loads(a)} for n, a in _FUNCTION_TAG.findall(text)]
    stripped = text.strip()
    if not payloads and stripped[:1] in "{[":
        whole = _loads(stripped)
        payloads = whole if isinstance(whole, list) else [whole]
    calls = [_call(p, tool_names) for p in payloads]
    return [c for c in calls if c is not None]


def _flatten_lists(text: str, bullets: bool) -> str:
    """Markdown tables (and, for a model's text, bullets) as plain lines: a phone shows the
    marks literally."""
    lines = []
    for line in text.splitlines():
        if _TABLE_RULE.match(line) and "|" in line:
            continue
        if line.strip().startswith("|") or line.count("|") >= 2:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            line = ", ".join(cell for cell in cells if cell)
        lines.append(line)
    joined = "\n".join(lines)
    return _BULLET.sub("", joined) if bullets else joined


def readable(text: str, *, flatten_bullets: bool = True) -> str:
    """The words for a person in what the model wrote; "" when there are none (empty, only
    markup, `functions.x:` fragments or JSON)."""
    text = _TOOL_CALL_TAG.sub("", text)
    text = _FUNCTION_TAG.sub("", text)
    text = _MARKUP.sub("", text)
    text = _FUNCTIONS_FRAGMENT.sub("", text)
    stripped = text.strip()
    if stripped[:1] in "{[" and _loads(stripped) is not None:
        return ""
    text = _flatten_lists(stripped, flatten_bullets)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text if re.search(r"\w", text) else ""
