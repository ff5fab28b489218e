"""Which input columns hold the name, id, schema, country, identifiers and birth date.

Found from common headers when not given; an unusable file gets an error listing the
columns it has. ``ColumnMap.query`` turns one row into the query that is screened.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from redflags.exc import InputError

# Normalised header (casefold, letters and digits only) -> role. Order within a role is preference.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "legalname", "companyname", "company", "organisation", "organization",
             "orgname", "entityname", "entity", "partyname", "party", "counterparty", "counterpartyname",
             "suppliername", "supplier", "vendorname", "vendor", "customername", "customer",
             "consigneename", "consignee", "beneficiaryname", "beneficiary", "businessname", "firmname",
             "issuername", "issuer", "holdingname", "securityname", "名称", "公司名称", "企业名称",
             "供应商名称", "供应商", "客户名称", "客户", "名字", "姓名"),
    "alias": ("alias", "aliases", "aka", "othername", "othernames", "alternatename", "tradename", "brand",
              "brandname", "namelocal", "localname", "chinesename", "namezh", "namecn", "nameen",
              "englishname", "中文名称", "英文名称", "别名"),
    "id": ("id", "rowid", "recordid", "vendorid", "vendornumber", "vendorno", "supplierid", "suppliernumber",
           "supplierno", "customerid", "customernumber", "customerno", "partyid", "counterpartyid",
           "reference", "ref", "externalid", "key", "编号", "代码"),
    "schema": ("schema", "type", "entitytype", "partytype", "kind", "category", "类型"),
    "country": ("country", "countrycode", "countries", "nationality", "jurisdiction", "countryofregistration",
                "registrationcountry", "addresscountry", "iso2", "nation", "国家", "国家地区"),
    "identifier": ("registrationnumber", "regno", "registrationno", "companynumber", "taxid", "taxnumber",
                   "vat", "vatnumber", "lei", "duns", "imo", "imonumber", "isin", "uscc", "swift", "swiftbic",
                   "bic", "passportnumber", "idnumber", "nationalid", "统一社会信用代码", "注册号"),
    "birth_date": ("birthdate", "dateofbirth", "dob", "born", "出生日期"),
    "date": ("transactiondate", "orderdate", "invoicedate", "podate", "purchasedate", "shipmentdate",
             "shipdate", "交易日期", "订单日期"),
}

ROLES = tuple(HEADERS)
MULTI = ("name", "alias", "identifier")
"""Roles that may take several columns."""

SCHEMA_VALUES = {
    "person": "Person", "individual": "Person", "natural person": "Person", "people": "Person", "个人": "Person",
    "company": "Company", "corporation": "Company", "business": "Company", "firm": "Company", "公司": "Company",
    "organization": "Organization", "organisation": "Organization", "org": "Organization",
    "entity": "LegalEntity", "legal entity": "LegalEntity", "legalentity": "LegalEntity",
    "vessel": "Vessel", "ship": "Vessel", "aircraft": "Airplane", "airplane": "Airplane",
}
_LIST_SPLIT = re.compile(r"\s*[;|]\s*")
MAX_NAME_CHARS = 1000
"""Longer than any party's name: a cell holding a whole document or a broken row."""
MAX_NAMES = 50


def normalise_header(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).casefold()
    return "".join(ch for ch in text if ch.isalnum())


PARTY_SCHEMATA = ("LegalEntity", "Person", "Organization", "Company", "PublicBody", "Vessel", "Airplane")
"""The FollowTheMoney schemata of the parties lists name, written as such in a type column."""
_SCHEMATA = {name.casefold(): name for name in PARTY_SCHEMATA}


def schema_of(value: str) -> str | None:
    """``Person``, ``Company``... from what vendor files write in a type column."""
    text = value.strip().casefold()
    if not text:
        return None
    return _SCHEMATA.get(text) or SCHEMA_VALUES.get(text.replace("_", " "))


@dataclass
class ColumnMap:
    roles: dict[str, list[str]] = field(default_factory=dict)
    schema: str | None = None
    """The schema of every row when no column says it."""

    def to_dict(self) -> dict[str, Any]:
        return {"columns": {k: v for k, v in self.roles.items() if v}, "schema": self.schema}

    def query(self, values: dict[str, Any]) -> tuple[Any, dict[str, Any] | None, str | None]:
        """``(id, query, error)`` of one row."""
        for role, columns in self.roles.items():
            for column in columns:
                problem = _not_text(values.get(column))
                if problem:
                    return None, None, f"column {column!r} ({role}) holds {problem}, not text"
        ids = self._values(values, "id")
        names = [*self._values(values, "name"), *self._values(values, "alias")]
        schema = self.schema
        for value in self._values(values, "schema"):
            schema = schema_of(value) or schema
        query = {"names": list(dict.fromkeys(names)), "schema": schema,
                 "countries": self._values(values, "country"),
                 "identifiers": self._values(values, "identifier"),
                 "birth_dates": self._values(values, "birth_date")}
        row_id = ids[0] if ids else None
        dates = self._values(values, "date")
        if dates:
            from redflags.exc import QueryError
            from redflags.screen.screen import transaction_day

            try:
                query["date"] = transaction_day(dates[0])
            except QueryError:
                cols = ", ".join(repr(c) for c in self.roles.get("date", []))
                return row_id, query, f"column {cols} (date) holds {dates[0][:40]!r}, not a date (YYYY-MM-DD)"
        if not query["names"]:
            cols = ", ".join(repr(c) for c in self.roles.get("name", []))
            return row_id, query, f"no name: column {cols} is empty"
        longest = max(query["names"], key=len)
        if len(longest) > MAX_NAME_CHARS:
            query["names"] = [n[:100] + "…" if len(n) > 100 else n for n in query["names"]]
            return row_id, query, (f"a name of {len(longest):,} characters; names longer than "
                                   f"{MAX_NAME_CHARS:,} are not screened")
        if len(query["names"]) > MAX_NAMES:
            return row_id, query, f"{len(query['names'])} names; at most {MAX_NAMES} per row are screened"
        return row_id, query, None

    def input_id(self, values: dict[str, Any]) -> str | None:
        """The row's own id, when a column holds one."""
        ids = self._values(values, "id")
        return ids[0] if ids else None

    def _values(self, values: dict[str, Any], role: str) -> list[str]:
        out: list[str] = []
        for column in self.roles.get(role, ()):
            value = values.get(column)
            if value is None:
                continue
            items = value if isinstance(value, list | tuple) else [value]
            for item in items:
                text = str(item).strip() if item is not None else ""
                if not text:
                    continue
                if role in ("country", "identifier", "alias") and not isinstance(value, list | tuple):
                    out.extend(p for p in _LIST_SPLIT.split(text) if p)
                else:
                    out.append(text)
        return out


def _not_text(value: Any) -> str | None:
    """What a cell holds when it cannot be read as text: a structure (a Parquet struct or map, a
    JSON object, a list of those) or bytes; None for text, numbers and lists of them."""
    if isinstance(value, dict):
        return "a structure"
    if isinstance(value, bytes | bytearray):
        return "bytes"
    if isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, list | tuple):
                return "nested lists"
            found = _not_text(item)
            if found:
                return found
    return None


def detect_columns(columns: list[str], given: dict[str, list[str]] | None = None,
                   schema: str | None = None, source: str = "input") -> ColumnMap:
    """Map roles to columns: those given win; the rest are found from their headers."""
    given = {k: v for k, v in (given or {}).items() if v}
    for role, names in given.items():
        for name in names:
            if name not in columns:
                raise InputError(f"{source}: no column {name!r} (--{role.replace('_', '-')}-column); "
                                 f"the columns are: {_listing(columns)}")
    normal = {normalise_header(c): c for c in reversed(columns)}
    roles: dict[str, list[str]] = {}
    taken = {c for names in given.values() for c in names}
    for role in ROLES:
        if role in given:
            roles[role] = list(given[role])
            continue
        found = [normal[h] for h in HEADERS[role] if h in normal and normal[h] not in taken]
        if role not in MULTI:
            found = found[:1]
        elif role == "name":
            found = found[:1]  # one main name column; the others are aliases if they say so
        roles[role] = found
        taken.update(found)
    if not roles.get("name"):
        if len(columns) == 1:
            roles["name"] = [columns[0]]
        else:
            raise InputError(
                f"{source}: no name column found; the columns are: {_listing(columns)}. "
                "Say which one holds the names with --name-column.")
    if schema is not None and schema_of(schema) is None:
        raise InputError(f"unknown schema {schema!r}; e.g. Company, Person, Organization, LegalEntity")
    return ColumnMap(roles, schema_of(schema) if schema else None)


def _listing(columns: list[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:40])
    return shown + (f" and {len(columns) - 40} more" if len(columns) > 40 else "") if columns else "(none)"
