"""Request bodies of the API (pydantic, at the boundary only)."""

from typing import Any, Literal

from pydantic import BaseModel, Field

SQL_INT_MAX = 2**63 - 1
"""The largest integer SQLite and PostgreSQL BIGINT columns hold: bounds every integer parameter."""


class EntityExample(BaseModel):
    id: str | None = Field(None, examples=["my-entity-id"])
    schema_: str = Field(..., alias="schema", examples=["Company"])
    properties: dict[str, str | list[Any]] = Field(..., examples=[{"name": ["Hikvision"], "country": ["cn"]}])


class UpdateRequest(BaseModel):
    sources: list[str] | None = Field(None, examples=[["us_csl"]])
    mirror: str | None = Field(None, description="A folder on the server holding the files (air-gapped sites).")
    force: bool = Field(False, description="Load even if unchanged or failing the sanity checks.")


class EntityMatchQuery(BaseModel):
    weights: dict[str, float] = Field({}, description="Accepted for yente compatibility; not used.")
    config: dict[str, Any] = Field({}, description="Accepted for yente compatibility; not used.")
    queries: dict[str, EntityExample]


class ScreenForm(BaseModel):
    """The ``redflags screen`` options of a ``POST /screen`` upload, as form fields."""

    threshold: float | None = Field(None, ge=0.0, le=1.0)
    cutoff: float | None = Field(None, ge=0.0, le=1.0)
    limit: int | None = Field(None, ge=1, le=100)
    name_column: list[str] = []
    id_column: str | None = Field(None, max_length=200)
    country_column: list[str] = []
    schema_: str | None = Field(None, alias="schema", max_length=40)
    input_format: Literal["csv", "xlsx", "jsonl", "parquet"] | None = None
    encoding: str | None = Field(None, max_length=40)
    delimiter: str | None = Field(None, max_length=3)
    sheet: str | None = Field(None, max_length=100)
    portfolio: str | None = Field(None, max_length=200, description="Whose parties these are (default: the "
                                  "uploaded file's name): parties are kept as <portfolio>/<id>.")

    def args(self) -> list[str]:
        """The options as ``redflags screen`` arguments."""
        args: list[str] = []
        for flag, value in (("--threshold", self.threshold), ("--cutoff", self.cutoff), ("--limit", self.limit),
                            ("--id-column", self.id_column), ("--schema", self.schema_),
                            ("--input-format", self.input_format), ("--encoding", self.encoding),
                            ("--portfolio", self.portfolio),
                            ("--delimiter", self.delimiter), ("--sheet", self.sheet)):
            if value is not None:
                args += [flag, str(value)]
        for flag, values in (("--name-column", self.name_column), ("--country-column", self.country_column)):
            for value in values:
                args += [flag, value]
        return args


LIST_FIELDS = ("name_column", "country_column")


def screen_form_schema() -> dict[str, Any]:
    """The OpenAPI request body of ``POST /screen``: the file and the options."""
    schema = ScreenForm.model_json_schema(by_alias=True)
    schema["properties"]["file"] = {"type": "string", "format": "binary",
                                    "description": "CSV, XLSX, JSON lines or Parquet"}
    schema["required"] = ["file"]
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


class DecisionRequest(BaseModel):
    decision: Literal["false_positive", "true_match", "escalated"]
    reason: str = Field(..., max_length=60, examples=["different_entity"])
    comment: str | None = Field(None, max_length=10_000)
    version: int = Field(..., ge=1, le=SQL_INT_MAX,
                         description="The alert's version you reviewed (from GET /alerts/{id}); a decision on an "
                         "alert that changed since is refused with 409.")


class ConfigValue(BaseModel):
    value: Any
