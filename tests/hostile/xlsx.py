"""A minimal XLSX written part by part, its strings in the shared-strings table the way Excel
writes them (openpyxl writes inline strings), so that the table can be made a bomb."""

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _column(n: int) -> str:
    name = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        name = chr(65 + rem) + name
    return name


def write_xlsx(path: Path, rows: list[list[str]], sheet: str = "Sheet1", bomb_mb: int = 0) -> Path:
    """``rows`` of text in one sheet; ``bomb_mb``: pad the shared strings with that many MB of
    one repeated string (it compresses about a thousand times)."""
    strings: list[str] = []
    index: dict[str, int] = {}
    cells = []
    for r, row in enumerate(rows, 1):
        refs = []
        for c, value in enumerate(row):
            if value not in index:
                index[value] = len(strings)
                strings.append(value)
            refs.append(f'<c r="{_column(c)}{r}" t="s"><v>{index[value]}</v></c>')
        cells.append(f'<row r="{r}">{"".join(refs)}</row>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/></Types>'))
        zf.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        zf.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            f'<sheet name="{escape(sheet, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        zf.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        zf.writestr("xl/worksheets/sheet1.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{"".join(cells)}'
            '</sheetData></worksheet>'))
        with zf.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
            for value in strings:
                fh.write(f"<si><t>{escape(value)}</t></si>".encode())
            padding = b"<si><t>" + b"A" * 1000 + b"</t></si>"
            for _ in range(bomb_mb * 1024):
                fh.write(padding)
            fh.write(b"</sst>")
    return path
