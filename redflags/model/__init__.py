"""The entity record every parser produces and the store keeps."""

from redflags.model.entity import Record, make_entity_id

__all__ = ["Record", "make_entity_id"]
