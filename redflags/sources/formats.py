"""The list formats redflags reads, and how a file's format is recognised from content."""

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redflags.exc import SourceFormatError
from redflags.sources import (
    custom_csv,
    eu_fsf,
    fr_entity_list,
    ftm_json,
    links_csv,
    ofac_advanced_xml,
    ofac_csv,
    ofac_xml,
    uk_ofsi,
    un_sc_xml,
    us_bis_dpl,
    us_csl,
    us_dhs_uflpa,
)
from redflags.sources.base import ParseContext, is_xlsx, open_binary


@dataclass(frozen=True)
class Format:
    name: str
    parse: Callable[[ParseContext], Iterator[Any]]
    meta: str
    """Source metadata file in sources/meta (dataset default, assertions, lookups)."""
    description: str
    delta: bool = False


FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("us_csl_csv", us_csl.parse_csv, "us_csl", "US Consolidated Screening List, CSV"),
    Format("us_csl_json", us_csl.parse_json, "us_csl", "US Consolidated Screening List, JSON"),
    Format("ofac_csv", ofac_csv.parse, "us_ofac",
           "OFAC legacy CSV (sdn.csv/cons_prim.csv + add, alt, comments)"),
    Format("ofac_xml", ofac_xml.parse_legacy, "us_ofac", "OFAC legacy XML (sdnList)"),
    Format("ofac_enhanced_xml", ofac_xml.parse_enhanced, "us_ofac",
           "OFAC Sanctions List Service ENHANCED_XML (sanctionsData)"),
    Format("ofac_advanced_xml", ofac_advanced_xml.parse, "us_ofac",
           "OFAC Advanced Sanctions XML (sdn_advanced.xml)"),
    Format("un_sc_xml", un_sc_xml.parse, "un_sc", "UN Security Council consolidated list XML"),
    Format("uk_ofsi_csv", uk_ofsi.parse_csv, "gb_hmt", "UK OFSI consolidated list CSV"),
    Format("uk_ofsi_xlsx", uk_ofsi.parse_xlsx, "gb_hmt", "UK OFSI consolidated list XLSX"),
    Format("eu_fsf_xml", eu_fsf.parse_xml, "eu_fsf", "EU Financial Sanctions File XML 1.1"),
    Format("eu_fsf_csv", eu_fsf.parse_csv, "eu_fsf", "EU Financial Sanctions File CSV 1.0"),
    Format("us_bis_dpl", us_bis_dpl.parse, "us_bis_dpl", "BIS Denied Persons List (dpl.txt)"),
    Format("ftm_json", ftm_json.parse, "opensanctions", "FollowTheMoney JSON lines"),
    Format("ftm_delta", ftm_json.parse_delta, "opensanctions",
           "FollowTheMoney delta JSON lines (ADD/MOD/DEL)", delta=True),
    Format("custom_csv", custom_csv.parse, "custom", "redflags custom-list CSV"),
    Format("links_csv", links_csv.parse, "links", "redflags links CSV (linked parties with a parent column)"),
    Format("us_dhs_uflpa_html", us_dhs_uflpa.parse, "us_dhs_uflpa",
           "DHS UFLPA Entity List page (HTML tables)"),
    Format("fr_entity_list_xml", fr_entity_list.parse, "us_bis_el_fr",
           "BIS Entity List rule in the Federal Register (GPO XML, RULE/GPOTABLE)"),
]}

# OFAC legacy CSV companions: detected, but loaded only with their primary file.
COMPANION_FORMATS = {"ofac_csv_add", "ofac_csv_alt", "ofac_csv_comments"}

_XML_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")
_OFAC_ROW = re.compile(r"^\d+,")


def _head(path: Path, size: int = 65536) -> str:
    with open_binary(path) as fh:
        raw = fh.read(size)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace").lstrip("\ufeff")
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


def detect(path: Path) -> str:
    """Name of the format of ``path``, read from its content (not its name)."""
    if not path.exists():
        raise SourceFormatError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceFormatError(f"{path.name}: empty file (0 bytes)")
    if is_xlsx(path):
        return "uk_ofsi_xlsx"
    head = _head(path)
    stripped = head.lstrip()
    if not stripped:
        raise SourceFormatError(f"{path.name}: file holds only whitespace")
    if stripped.startswith("<"):
        body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", stripped, flags=re.S)
        match = _XML_ROOT.search(body)
        root = match.group(1) if match else ""
        if root.casefold() == "html" or stripped[:15].casefold().startswith("<!doctype html"):
            if "uflpa" in head.casefold():
                return "us_dhs_uflpa_html"
            return _unknown(path, "an HTML page that is not the UFLPA Entity List")
        return {
            "CONSOLIDATED_LIST": "un_sc_xml",
            "sdnList": "ofac_xml",
            "sanctionsData": "ofac_enhanced_xml",
            "Sanctions": "ofac_advanced_xml",
            "export": "eu_fsf_xml",
            "RULE": "fr_entity_list_xml",
        }.get(root) or _unknown(path, f"XML with root element <{root}>")
    if stripped.startswith(("{", "[")):
        first = stripped.splitlines()[0]
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "op" in obj and "entity" in obj:
            return "ftm_delta"
        if isinstance(obj, dict) and "schema" in obj and "id" in obj:
            return "ftm_json"
        if stripped.startswith("[") or '"results"' in head[:2000] or '"_id"' in head:
            return "us_csl_json"
        return _unknown(path, "JSON that is neither CSL JSON nor FtM entities")
    first_line = stripped.splitlines()[0]
    lower = first_line.casefold()
    if lower.startswith("_id,source,"):
        return "us_csl_csv"
    if lower.startswith('"name"\t"street_address"') or lower.startswith("name\tstreet_address"):
        return "us_bis_dpl"
    if lower.startswith("last updated,") or ("group id" in lower and "name 6" in lower):
        return "uk_ofsi_csv"
    if "entity_logical_id" in lower and ";" in first_line:
        return "eu_fsf_csv"
    if _OFAC_ROW.match(first_line):
        width = len(next(csv.reader([first_line])))
        return {12: "ofac_csv", 6: "ofac_csv_add", 5: "ofac_csv_alt",
                2: "ofac_csv_comments"}.get(width) or _unknown(
                    path, f"OFAC-like CSV row with {width} columns")
    header = {c.strip().casefold() for c in first_line.split(",")}
    if "name" in header and header & {"parent", "parent_id"}:
        return "links_csv"
    if {"name", "list"} <= header:
        return "custom_csv"
    return _unknown(path, f"first line {first_line[:80]!r}")


def _unknown(path: Path, what: str) -> str:
    known = ", ".join(FORMATS)
    raise SourceFormatError(
        f"{path.name}: format not recognised: not the layout of any list redflags reads; pass --format, one "
        f"of: {known}", what)
