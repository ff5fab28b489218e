"""Reading the reference data files (``data/*.yml``) fast: libyaml's parser where PyYAML has
it (every process that matches a Chinese name reads them, and the pure-Python parser takes
half a second over them)."""

from typing import IO, Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(stream: IO[str] | str) -> Any:
    return yaml.load(stream, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
