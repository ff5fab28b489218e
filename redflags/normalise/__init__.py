"""Pure text normalisation helpers; nothing here imports the rest of redflags."""
