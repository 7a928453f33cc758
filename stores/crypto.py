"""Encryption at rest: what people text us is stored as Fernet tokens, never as plain text.

ENCRYPTION_KEY holds one or more Fernet keys, comma-separated, newest first (MultiFernet):
new data is encrypted with the first, old data stays readable with the others until
`sms-assistant keys rotate` re-encrypts it. In development, without a key, one is generated into
ENCRYPTION_KEY_FILE (default data/encryption.key) with a warning; with ENV=production a missing
key stops start-up. Columns use `EncryptedText`; LangGraph checkpoints use LangGraph's
EncryptedSerializer with the same keys.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary, Text
from sqlalchemy.types import TypeDecorator

from stores.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gAAAAA"
"""Every Fernet token starts with this (version byte 0x80 + timestamp), base64-encoded."""


class Keyring:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigurationError("Configuration error: ENCRYPTION_KEY has no key")
        self.fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, text: str) -> str:
        return self.fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(TOKEN_PREFIX):
            return stored  # written before encryption existed; `keys rotate` encrypts it
        return self.fernet.decrypt(stored.encode("ascii")).decode("utf-8")

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self.fernet.encrypt(data)

    def decrypt_bytes(self, stored: bytes) -> bytes:
        if not stored.startswith(TOKEN_PREFIX.encode("ascii")):
            return stored  # written before encryption existed; `keys rotate` encrypts it
        return self.fernet.decrypt(stored)

    def rotate_bytes(self, stored: bytes) -> bytes:
        if not stored.startswith(TOKEN_PREFIX.encode("ascii")):
            return self.encrypt_bytes(stored)
        return self.fernet.rotate(stored)

    def rotate(self, stored: str) -> str:
        """Re-encrypted with the newest key (plain text from before encryption: encrypted)."""
        if not stored.startswith(TOKEN_PREFIX):
            return self.encrypt(stored)
        return self.fernet.rotate(stored.encode("ascii")).decode("ascii")


class FernetCipher:
    """LangGraph's CipherProtocol over the same keys, for checkpoints."""

    name = "fernet"

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        return self.name, self.keyring.fernet.encrypt(plaintext)

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != self.name:
            raise ValueError(f"checkpoint encrypted with unknown cipher {ciphername!r}")
        return self.keyring.fernet.decrypt(ciphertext)


def checkpoint_serializer(keyring: Keyring) -> EncryptedSerializer:
    # Imported here: LangGraph's serializer pulls in langchain_core (about a second), which the
    # CLI's commands and the web server's start do not otherwise need.
    from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    return EncryptedSerializer(FernetCipher(keyring), serde=JsonPlusSerializer())


def load_keys(settings: Settings) -> list[bytes]:
    """The configured keys, or in development a generated one (blocking: file I/O)."""
    if settings.encryption_key is not None:
        raw = settings.encryption_key.get_secret_value()
        keys = [part.strip().encode() for part in raw.split(",") if part.strip()]
        for key in keys:
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ConfigurationError(
                    "Configuration error: ENCRYPTION_KEY must be Fernet keys (urlsafe base64, "
                    "32 bytes), comma-separated; make one with `sms-assistant keys generate`"
                ) from None
        return keys
    if settings.env == "production":
        raise ConfigurationError(
            "Configuration error: ENCRYPTION_KEY is required when ENV=production "
            "(make one with `sms-assistant keys generate`)"
        )
    path = Path(settings.encryption_key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        log.warning(
            "no ENCRYPTION_KEY: generated a development key in %s. Back it up (data is "
            "unreadable without it) and set ENCRYPTION_KEY in production.",
            path,
        )
    return [path.read_bytes().strip()]


_keyring: Keyring | None = None
_lock = threading.Lock()


def configure(settings: Settings) -> Keyring:
    """Load the keys for this process. Call at start-up, off the event loop (it may read or
    write the development key file)."""
    global _keyring
    with _lock:
        _keyring = Keyring(load_keys(settings))
        return _keyring


def is_configured() -> bool:
    return _keyring is not None


def keyring() -> Keyring:
    if _keyring is None:
        raise ConfigurationError(
            "Configuration error: encryption keys are not loaded (a composition root calls "
            "stores.crypto.configure(settings) at start-up)"
        )
    return _keyring


def reset() -> None:
    """Forget the loaded keys (tests switch settings)."""
    global _keyring
    with _lock:
        _keyring = None


class EncryptedText(TypeDecorator[str]):
    """A Text column stored as a Fernet token; equality and LIKE on it do not work in SQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        try:
            return keyring().decrypt(value)
        except InvalidToken:
            raise ConfigurationError(
                "Configuration error: stored data was encrypted with a key that is not in "
                "ENCRYPTION_KEY (keep old keys after the new one until `keys rotate` ran)"
            ) from None


class EncryptedBytes(TypeDecorator[bytes]):
    """A binary column (MMS media) stored as a Fernet token."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring().encrypt_bytes(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        if value is None:
            return None
        try:
            return keyring().decrypt_bytes(bytes(value))
        except InvalidToken:
            raise ConfigurationError(
                "Configuration error: stored data was encrypted with a key that is not in "
                "ENCRYPTION_KEY (keep old keys after the new one until `keys rotate` ran)"
            ) from None
