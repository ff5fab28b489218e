"""List parsers, one module per official format; see formats.py for the registry."""
