"""Exceptions raised by redflags.

    RedflagsError
      ConfigError                      bad settings or source metadata          (500)
      SourceError                      a list file could not be loaded          (422)
        SourceFormatError              the file is not the format it claims     (422)
        SourceAssertionError           counts outside the source's assertions   (422)
        DownloadError                  a list could not be fetched              (502)
      QueryError                       invalid query                            (400)
        InputError                     a file to screen cannot be read          (400)
      NotFoundError                    unknown dataset, entity, version         (404)
      ConflictError                    changed since read (an alert decided)    (409)
      ForbiddenError                   not this actor's to do (four-eyes)       (403)
      StoreError                       database unavailable or inconsistent     (503)

Data problems inside a record do not raise: they become ``ParseIssue`` objects.
"""


class RedflagsError(Exception):
    """Base class; ``status`` is the HTTP status an API maps it to.

    ``detail`` says what was wrong and what was expected, and never quotes the content of a
    file (it is stored with a failed load and shown over the API, to viewers too); ``excerpt``
    holds what was found in the file, for the person at the command line."""

    STATUS = 500

    def __init__(self, detail: str, excerpt: str | None = None) -> None:
        super().__init__(detail if excerpt is None else f"{detail}; found {excerpt}")
        self.detail = detail
        self.excerpt = excerpt
        self.status = type(self).STATUS


class ConfigError(RedflagsError):
    STATUS = 500


class SourceError(RedflagsError):
    STATUS = 422


class SourceFormatError(SourceError):
    STATUS = 422


class SourceAssertionError(SourceError):
    STATUS = 422


class DownloadError(SourceError):
    STATUS = 502


class QueryError(RedflagsError):
    STATUS = 400


class InputError(QueryError):
    STATUS = 400


class NotFoundError(RedflagsError):
    STATUS = 404


class ConflictError(RedflagsError):
    STATUS = 409


class ForbiddenError(RedflagsError):
    STATUS = 403


class StoreError(RedflagsError):
    STATUS = 503
