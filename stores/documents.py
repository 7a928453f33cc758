"""Turning a file's bytes into text and chunks: .md, .txt, .pdf and .html.

Every failure is an `UnreadableDocument` whose message names the file and says what is wrong,
so a batch can report it and go on with the next file.
"""

from __future__ import annotations

import io
import logging
import re
from html.parser import HTMLParser
from pathlib import PurePath

from langchain_text_splitters import Language, RecursiveCharacterTextSplitter

CONTENT_TYPES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".htm": "text/html",
}
TEXT_TYPES = frozenset(CONTENT_TYPES.values())
CHUNK_CHARS = 500
"""About 80-110 tokens. all-MiniLM-L6-v2 was trained on inputs of up to 128 tokens, so passages
of this size embed best. Embedding cost grows with length: 800 characters was 2-3x slower to
ingest. A passage this long is also about what an SMS answer can quote."""
CHUNK_OVERLAP = 80


class UnreadableDocument(ValueError):
    """The file cannot be ingested; str(error) is a one-line reason naming the file."""


def content_type_for(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    try:
        return CONTENT_TYPES[suffix]
    except KeyError:
        supported = ", ".join(sorted(set(CONTENT_TYPES)))
        raise UnreadableDocument(
            f"{PurePath(name).name}: unsupported file type {suffix or '(none)'!r} "
            f"(supported: {supported})"
        ) from None


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableDocument(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # old Windows text files


class _TextOfHtml(HTMLParser):
    SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
    BLOCK = frozenset(
        {"p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header"}
        | {"footer", "pre", "blockquote", "title", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:  # source line breaks are layout; only block tags break lines
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def pdf_to_text(data: bytes, name: str) -> str:
    # pypdf logs what it repairs ("EOF marker not found"); the caller reports what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocument(f"{name}: the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise UnreadableDocument(f"{name}: not a readable PDF ({type(error).__name__})") from None
    return "\n\n".join(page.strip() for page in pages if page.strip())


def extract_text(data: bytes, content_type: str, name: str) -> str:
    """The document's text; UnreadableDocument when there is none to be had."""
    name = PurePath(name).name
    if not data:
        raise UnreadableDocument(f"{name}: the file is empty")
    if content_type == "application/pdf":
        text = pdf_to_text(data, name)
    elif content_type == "text/html":
        text = html_to_text(_decode(data, name))
    elif content_type in TEXT_TYPES:
        text = _decode(data, name)
    else:
        raise UnreadableDocument(f"{name}: unsupported content type {content_type!r}")
    text = re.sub(r"[ \t]+\n", "\n", text).strip()
    if not text:
        hint = " (a scanned PDF has no text layer)" if content_type == "application/pdf" else ""
        raise UnreadableDocument(f"{name}: no text found{hint}")
    return text


def split_into_chunks(text: str, content_type: str) -> list[str]:
    if content_type == "text/markdown":
        splitter = RecursiveCharacterTextSplitter.from_language(
            Language.MARKDOWN, chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP
        )
    else:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP
        )
    return [chunk.strip() for chunk in splitter.split_text(text) if chunk.strip()]
