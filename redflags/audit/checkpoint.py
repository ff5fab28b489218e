"""Checkpoints: the head of the log, kept outside the database (printed, mailed, committed
elsewhere), optionally signed with an Ed25519 key. A later ``verify --checkpoint`` proves the log
still extends it: the entry at the checkpoint's sequence number still has its hash, and the
chain from the first entry through it to the head holds."""

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from redflags.audit.chain import GENESIS, canonical
from redflags.audit.verify import Problem, Report, verify
from redflags.exc import InputError
from redflags.store import tables as t

FORMAT = "redflags-audit-checkpoint/1"


def new_signing_key(path: Path) -> Path:
    """Write a new Ed25519 private key (PEM, owner-only) and its public key beside it (.pub)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if path.exists():
        raise InputError(f"{path}: exists; a signing key is never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.touch(mode=0o600)
    path.write_bytes(pem)
    public = path.with_name(path.name + ".pub")
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return public


def _signed_part(checkpoint: dict[str, Any]) -> bytes:
    return canonical({k: checkpoint[k] for k in ("format", "seq", "entry_hash", "at")})


def make_checkpoint(engine: Engine, signing_key: Path | None = None) -> dict[str, Any]:
    """The head of the log now, signed when a key is given."""
    with engine.connect() as conn:
        head = conn.execute(sa.select(t.audit_head.c.seq, t.audit_head.c.entry_hash)).first()
    seq, entry_hash = (int(head[0]), head[1]) if head else (0, GENESIS)
    checkpoint: dict[str, Any] = {"format": FORMAT, "seq": seq, "entry_hash": entry_hash,
                                  "at": datetime.now(UTC).isoformat(timespec="seconds")}
    if signing_key is not None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            key = serialization.load_pem_private_key(signing_key.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(f"{signing_key}: not a readable unencrypted PEM private key ({exc})") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError(f"{signing_key}: not an Ed25519 key")
        checkpoint["signature"] = base64.b64encode(key.sign(_signed_part(checkpoint))).decode("ascii")
        checkpoint["public_key"] = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return checkpoint


def check_signature(checkpoint: dict[str, Any], public_key: Path | None) -> str:
    """``unsigned``, or ``signed`` (by the given public key, else by the one it carries); raises
    InputError on a bad signature."""
    if "signature" not in checkpoint:
        if public_key is not None:
            raise InputError("the checkpoint is not signed, but a public key was given to check it with")
        return "unsigned"
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        pem = public_key.read_bytes() if public_key else str(checkpoint.get("public_key", "")).encode("ascii")
        key = serialization.load_pem_public_key(pem)
        signature = base64.b64decode(checkpoint["signature"], validate=True)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"the checkpoint's signature or public key cannot be read ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the public key is not an Ed25519 key")
    try:
        key.verify(signature, _signed_part(checkpoint))
    except InvalidSignature as exc:
        raise InputError("the checkpoint's signature is not valid: it was altered, or signed by another key") from exc
    return "signed" if public_key else "signed (by the key it carries; give --public-key to check whose)"


def verify_checkpoint(engine: Engine, checkpoint: dict[str, Any], public_key: Path | None = None) -> Report:
    """``verify``, and that the log still extends the checkpoint."""
    if checkpoint.get("format") != FORMAT or not isinstance(checkpoint.get("seq"), int):
        raise InputError(f"not a redflags audit checkpoint (format {FORMAT})")
    signature = check_signature(checkpoint, public_key)
    report = verify(engine)
    seq, expected = checkpoint["seq"], checkpoint.get("entry_hash")
    with engine.connect() as conn:
        found = conn.execute(sa.select(t.audit_log.c.entry_hash).where(t.audit_log.c.seq == seq)).scalar()
    if seq == 0:
        found = GENESIS
    if found is None:
        report.problems.insert(0, Problem(seq, "deleted", f"the checkpoint's entry {seq} is no longer in the log"))
    elif found != expected:
        report.problems.insert(0, Problem(seq, "altered", f"entry {seq} no longer has the checkpoint's hash: the log "
                                          "was rewritten since the checkpoint"))
    report.checkpoint = {"seq": seq, "entry_hash": expected, "at": checkpoint.get("at"), "signature": signature,
                         "extended_by": max(report.head_seq - seq, 0) if found == expected else None}
    return report
