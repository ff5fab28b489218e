"""``python -m redflags``: the command line."""

from redflags.cli import run

run()
