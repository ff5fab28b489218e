"""The screening certificate as a PDF (reportlab). Names are set in reportlab's built-in Adobe
CID font for Chinese (no font file needed, nothing embedded), the rest in Helvetica."""

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

CJK_FONT = "STSong-Light"


def write_pdf(data: dict[str, Any], path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    names = body.clone("names", fontName=CJK_FONT)
    small = body.clone("small", fontSize=8, leading=10, fontName=CJK_FONT)

    def p(text: Any, style: Any = small) -> Any:
        return Paragraph(escape(str(text if text is not None else "")), style)

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f3f7"))])
    party = data["party"]
    props = party["properties"] or {}
    story: list[Any] = [Paragraph("Screening certificate", styles["Title"]),
                        p("Every screening redflags recorded of the party below, the lists and versions each ran "
                          "against, its result, and every decision made on its alerts.", body),
                        Paragraph("Party", styles["Heading2"])]
    rows = [[p("Key"), p(party["key"])], [p("Source"), p(f"{party['source']} {party['input_id'] or ''}")]]
    if props:
        rows += [[p("Names"), p("; ".join(props.get("names") or []), names)],
                 [p("Countries"), p(", ".join(props.get("countries") or []))],
                 [p("Identifiers"), p(", ".join(props.get("identifiers") or []))]]
    else:
        rows.append([p("Details"), p(f"purged by retention on {party['purged_at']}; fingerprint {party['fingerprint']}")])
    story.append(Table(rows, colWidths=[35 * mm, 135 * mm], style=TableStyle(
        [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])))
    story += [Paragraph(f"Screenings ({len(data['screenings'])})", styles["Heading2"])]
    rows = [[p("Date (UTC)"), p("By"), p("Lists and versions"), p("Result")]]
    for s in data["screenings"]:
        lists = "; ".join(f"{x['dataset']} v{x['version']}" + (f" ({x['data_date']})" if x["data_date"] else "")
                          for x in s["lists"])
        result = s["status"].replace("_", " ") + "".join(
            f"\n{h['caption']} ({h['id']}) {h['score']:.2f} {h.get('review') or ''}" for h in s["hits"])
        rows.append([p(s["at"][:19].replace("T", " ")), p(s["actor"]), p(lists), p(result)])
    story.append(Table(rows, colWidths=[32 * mm, 30 * mm, 58 * mm, 50 * mm], style=grid, repeatRows=1))
    story.append(Paragraph("Alerts and decisions", styles["Heading2"]))
    if not data["alerts"]:
        story.append(p("No screening of this party reached the alert threshold.", body))
    for a in data["alerts"]:
        story.append(p(f"Alert {a['id']}: {a['caption']} ({a['listed_id']}), {', '.join(a['lists'])}; status "
                       f"{a['status'].replace('_', ' ')}, best score {a['score']:.2f}", names))
        rows = [[p("Date (UTC)"), p("Decision"), p("Reason"), p("By"), p("Approved by"), p("Comment")]]
        for d in a["decisions"]:
            state = "in force" if d["in_force"] else ("awaiting approval" if d["pending"] else "superseded")
            approval = f"{d['approval']['actor']} {d['approval']['at'][:19]}" if d["approval"] else "-"
            rows.append([p(d["at"][:19].replace("T", " ")), p(f"{d['decision']} ({state})"), p(d["reason"]),
                         p(d["actor"]), p(approval), p(d["comment"] or "")])
        if len(rows) > 1:
            story.append(Table(rows, colWidths=[28 * mm, 30 * mm, 27 * mm, 25 * mm, 28 * mm, 32 * mm], style=grid,
                               repeatRows=1))
        story.append(Spacer(1, 4 * mm))
    audit = data["audit"]
    story += [Paragraph("Audit", styles["Heading2"]),
              p(f"Written {data['generated_at']}. The audit log then had {audit['seq']} entries, the last with hash "
                f"{audit['entry_hash']}; its chain {'verified' if audit['verified'] else 'did NOT verify'}. "
                "`redflags audit verify` recomputes it.", body)]
    SimpleDocTemplate(str(path), pagesize=A4, title=f"Screening certificate: {party['key']}",
                      leftMargin=20 * mm, rightMargin=20 * mm).build(story)
