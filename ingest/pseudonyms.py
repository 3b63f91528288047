"""Keyed hashes that turn identifiers into stable pseudonyms and UIDs.

The same input always maps to the same output within one installation (the key is
settings.PSEUDONYM_SECRET), so images and reports of one patient link without the
identity being kept anywhere.
"""
import hashlib
import hmac

from django.conf import settings


def keyed_digest(*parts: str) -> bytes:
    # surrogatepass: text decoded from bad bytes (lone surrogates) still has a digest instead of raising
    message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(settings.PSEUDONYM_SECRET.encode("utf-8"), message, hashlib.sha256).digest()


def pseudonymize(kind: str, value: str) -> str:
    """A short opaque id such as 'pt-3f9a…' for a patient id, accession number, ..."""
    if not value:
        return ""
    return f"{kind}-{keyed_digest(kind, value).hex()[:24]}"


def remap_uid(uid: str) -> str:
    """A new DICOM UID under the 2.25 root (UUID-derived, ≤ 64 chars) for an original UID."""
    if not uid:
        return ""
    return "2.25." + str(int.from_bytes(keyed_digest("uid", uid)[:16], "big"))
