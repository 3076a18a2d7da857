"""Real BYODKIM keys for tests: SES (and so validate) refuses anything that is not an RSA key."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def byodkim_key(bits: int = 1024) -> str:
    """A fresh RSA private key as SES takes it: base64 DER (PKCS #8) on one line. Each key is
    new, so it also serves as a canary that must never reach an output."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode()
