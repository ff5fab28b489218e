"""The audit trail: an append-only log whose entries are hash-chained (each commits to the one
before), checked by ``verify`` and pinned outside the database by signed checkpoints.

Every audited write runs in ``audited(engine)``: its first statement locks the log's head, its
entries are appended in the same transaction as the rows they record, so a killed process
leaves both or neither. Entries hold hashes of personal data, never only the data: a payload
can be emptied by retention while the chain still verifies.
"""

from redflags.audit.chain import Entry, append_entries, audited, canonical, sha256_hex
from redflags.audit.checkpoint import make_checkpoint, new_signing_key, verify_checkpoint
from redflags.audit.export import export_entries
from redflags.audit.verify import Problem, Report, verify

__all__ = ["Entry", "Problem", "Report", "append_entries", "audited", "canonical", "export_entries",
           "make_checkpoint", "new_signing_key", "sha256_hex", "verify", "verify_checkpoint"]
