"""Batch screening of files of parties: ``screen_file``."""

from redflags.batch.run import Options, RunResult, screen_file

__all__ = ["Options", "RunResult", "screen_file"]
