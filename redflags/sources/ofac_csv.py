"""OFAC legacy CSV: sdn.csv / cons_prim.csv with add, alt and comments companions.

No header; ``-0-`` marks an empty cell; the file ends with a 0x1A byte. The primary
file has 12 columns (ent_num, name, type, programme, title, call sign, vessel type,
tonnage, GRT, flag, owner, remarks); add.csv 6, alt.csv 5, comments 2.
"""

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from redflags.exc import SourceFormatError
from redflags.model import Record
from redflags.sources.base import ParseContext, iter_csv, open_binary, read_lines
from redflags.sources.helpers import add_country, join_address
from redflags.sources.ofac_remarks import parse_remarks

PRIMARY = ["ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type",
           "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks"]
ADD = ["ent_num", "Add_num", "Address", "City/State/Province/Postal Code", "Country",
       "Add_remarks"]
ALT = ["ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"]
COMMENTS = ["ent_num", "Remarks_Extended"]
KINDS = {12: "primary", 6: "add", 5: "alt", 2: "comments"}
COMPANIONS = {"add": ("add.csv", "cons_add.csv"), "alt": ("alt.csv", "cons_alt.csv"),
              "comments": ("sdn_comments.csv", "cons_comments.csv")}


def _clean(value: str) -> str:
    value = value.strip().strip("\x1a").strip()
    return "" if value == "-0-" else value


def _rows(ctx: ParseContext, path: Path, width: int) -> Iterator[tuple[str, list[str]]]:
    with open_binary(path, ctx) as fh:
        sub = ParseContext(path, ctx.dataset, ctx.format)
        for line, cells in iter_csv(read_lines(fh, sub), sub):
            cells = [_clean(c) for c in cells]
            if len(cells) == 1 and not cells[0]:
                continue
            if len(cells) != width:
                ctx.issue("wrong-width", f"{len(cells)} columns where {width} were expected",
                          f"line {line}", value="|".join(cells)[:200], file=path.name)
                cells = (cells + [""] * width)[:width]
            yield f"line {line}", cells
        ctx.issues.extend(sub.issues)


def find_companions(path: Path) -> dict[str, Path]:
    found = {}
    for kind, names in COMPANIONS.items():
        for name in names:
            candidate = path.parent / name
            if candidate.exists() and candidate != path:
                found[kind] = candidate
                break
    return found


def parse(ctx: ParseContext) -> Iterator[Record]:
    extra: dict[str, dict[str, list[list[str]]]] = {k: defaultdict(list) for k in COMPANIONS}
    widths = {"add": len(ADD), "alt": len(ALT), "comments": len(COMMENTS)}
    for kind, path in ctx.companions.items():
        for _loc, cells in _rows(ctx, path, widths[kind]):
            extra[kind][cells[0]].append(cells)
    consolidated = ctx.dataset.endswith("cons")
    seen = set()
    for locator, cells in _rows(ctx, ctx.path, len(PRIMARY)):
        row = dict(zip(PRIMARY, cells))
        ent = row["ent_num"]
        if not (ent.isascii() and ent.isdigit()):
            raise SourceFormatError(
                f"{ctx.name}: {locator}: field ent_num is not a number; this is not an "
                "OFAC legacy CSV primary file", repr(ent[:80]))
        seen.add(ent)
        kind = row["SDN_Type"].casefold() or "-0-"
        schema = ctx.lookup("schema", kind) or "Organization"
        record = ctx.make(schema, ent, locator)
        record.raw.append({"sdn": row, **{k: extra[k].get(ent, []) for k in COMPANIONS}})
        ctx.add(record, "name", row["SDN_Name"], locator, "SDN_Name")
        ctx.add(record, "topics", "sanction", locator)
        programs = [p.strip(" []") for p in row["Program"].split("] [")] if row["Program"] else []
        for program in programs:
            ctx.add(record, "programId", program, locator, "Program")
        if row["Title"]:
            ctx.add(record, "position" if schema == "Person" else "notes", row["Title"],
                    locator, "Title")
        if schema == "Vessel":
            ctx.add(record, "callSign", row["Call_Sign"], locator, "Call_Sign")
            ctx.add(record, "type", row["Vess_type"], locator, "Vess_type")
            ctx.add(record, "tonnage", row["Tonnage"], locator, "Tonnage")
            ctx.add(record, "grossRegisteredTonnage", row["GRT"], locator, "GRT")
            add_country(ctx, record, "flag", row["Vess_flag"], locator, "Vess_flag")
        for _, _num, address, city, country, remarks in extra["add"].get(ent, []):
            ctx.add(record, "address", join_address(address, city, country), locator, "add.csv")
            add_country(ctx, record, "country", country, locator, "add.csv/Country")
            ctx.add(record, "notes", remarks, locator, "add.csv/Add_remarks")
        for _, _num, alt_type, alt_name, _remarks in extra["alt"].get(ent, []):
            prop = "previousName" if alt_type.casefold() in ("fka", "f.k.a.") else "alias"
            ctx.add(record, prop, alt_name, locator, "alt.csv")
        remarks = row["Remarks"]
        for _, extended in extra["comments"].get(ent, []):
            remarks = f"{remarks.rstrip('.')}; {extended}" if remarks else extended
        parse_remarks(ctx, record, remarks, locator)
        lists = sorted({ctx.lookup("lists", p) for p in programs} - {None}) if consolidated \
            else ["SDN List"]
        for list_name in lists or ["Non-SDN Consolidated List"]:
            record.add_sanction(list=list_name, authority="Office of Foreign Assets Control",
                                program=programs, entityNumber=ent)
        yield record
    for kind, rows in extra.items():
        for ent in sorted(set(rows) - seen):
            ctx.issue("orphan-row", f"{kind} row for ent_num {ent}, which the primary file lacks",
                      f"ent_num {ent}", "ent_num", ent, file=ctx.companions[kind].name)
