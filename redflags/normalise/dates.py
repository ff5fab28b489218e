"""Publisher date strings to ISO 8601 prefixes ("1962", "1962-03", "1962-03-25").

A month and year ("09/1962") is the partial date "1962-09", as FollowTheMoney keeps it.

Unknown parts are dropped rather than guessed: "00/00/1980" is "1980". A value that
cannot be read returns None; callers keep the raw text and file a ParseIssue.
"""

import re
from datetime import date

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_TEXTUAL = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_US_TEXTUAL = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")  # "June 21, 2022", "Feb. 24, 2023"
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_APPROX = re.compile(r"^(?:circa|ca\.|approximately|approx\.?|about)\s+", re.IGNORECASE)


def _compose(year: int, month: int = 0, day: int = 0) -> str | None:
    if not 1000 <= year <= 2999:
        return None
    if not month:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if not day:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str | None, day_first: bool = True) -> str | None:
    """Read one publisher date; ``day_first`` decides "03/04/2001" (UK/EU True, US False)."""
    if text is None:
        return None
    value = _APPROX.sub("", text.strip())
    if not value:
        return None
    if m := _ISO.match(value):
        return _compose(int(m[1]), int(m[2] or 0), int(m[3] or 0))
    if m := _NUMERIC.match(value):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        day, month = (a, b) if day_first else (b, a)
        if month == 0:
            return _compose(year)
        return _compose(year, month, day)
    if m := _MONTH_YEAR.match(value):  # "09/1962": a month and a year is FtM's partial date "1962-09"
        return _compose(int(m[2]), int(m[1]))
    if (m := _TEXTUAL.match(value)) and (named := _MONTHS.get(m[2].lower())):
        return _compose(int(m[3]), named, int(m[1] or 0))
    if (m := _US_TEXTUAL.match(value)) and (named := _MONTHS.get(m[1].lower())):
        return _compose(int(m[3]), named, int(m[2]))
    if m := _YEAR.match(value):
        return _compose(int(m[1]))
    return None
