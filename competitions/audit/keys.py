"""The audit key: MACs on entries and heads, and keyed digests of what the log must not hold.

The key lives in the configuration (AUDIT_KEY), never in the database, and is not SECRET_KEY:
someone who can write to the database cannot forge an entry without it. Each MAC and digest
names its key by id (a fingerprint of the key), so a rotated key still verifies the entries
written under it (AUDIT_RETIRED_KEYS).
"""

import hashlib
import hmac

from flask import current_app


class UnknownAuditKey(LookupError):
    pass


def key_id_of(secret: str) -> str:
    return hashlib.sha256(b"audit-key-id:" + secret.encode("utf-8")).hexdigest()[:12]


def _keys() -> dict[str, bytes]:
    config = current_app.config
    cache = current_app.extensions.setdefault("audit_keys", {})
    source = (config["AUDIT_KEY"], config["AUDIT_RETIRED_KEYS"])
    if cache.get("source") != source:
        secrets = [config["AUDIT_KEY"]] + [
            s.strip() for s in (config["AUDIT_RETIRED_KEYS"] or "").split(",") if s.strip()]
        cache.clear()
        cache.update(source=source, current=key_id_of(secrets[0]),
                     keys={key_id_of(s): s.encode("utf-8") for s in secrets})
    return cache


def current_key_id() -> str:
    return _keys()["current"]


def mac(payload: str, key_id: str | None = None) -> tuple[str, str]:
    """(key id, HMAC-SHA256 hex) of `payload` under the given key, or the current one."""
    keys = _keys()
    key_id = key_id or keys["current"]
    try:
        key = keys["keys"][key_id]
    except KeyError:
        raise UnknownAuditKey(key_id) from None
    return key_id, hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_digest(value) -> str | None:
    """A digest of a value the log must not reveal (a blind code, a full ID number): equal
    values give equal digests under one key, and without the key the value cannot be tested."""
    if value is None:
        return None
    key_id, digest = mac(f"digest:{value}")
    return f"{key_id}:{digest[:32]}"


def digest_matches(recorded: str | None, value) -> bool:
    """Whether `recorded` (a keyed_digest, under any known key) is the digest of `value`."""
    if recorded is None or value is None:
        return recorded is None and value is None
    key_id, _, digest = recorded.partition(":")
    try:
        return hmac.compare_digest(mac(f"digest:{value}", key_id)[1][:32], digest)
    except UnknownAuditKey:
        return False


def draw_digest(entry_number, checkin_code, blind_code) -> str | None:
    """One entry's place in the draw (blind code → check-in code → entry), as a keyed digest."""
    if blind_code is None:
        return None
    return keyed_digest(f"{entry_number}|{checkin_code}|{blind_code}")
