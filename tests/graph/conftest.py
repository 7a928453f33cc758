from __future__ import annotations

import pytest

from stores.embeddings import LocalMiniLMEmbeddings


@pytest.fixture(scope="session")
def minilm() -> LocalMiniLMEmbeddings:
    """The real local embedding model, for tests where meaning matters (loaded once)."""
    return LocalMiniLMEmbeddings()
