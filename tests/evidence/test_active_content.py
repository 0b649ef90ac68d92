"""Active content in evidence files is refused, read through the whole body (no clamd needed):
PDF script/launch actions (also hex-escaped and inside compressed object streams), embedded
files, rich media, XFA and markup anywhere; office ActiveX controls, embedded OLE objects,
external templates/objects/frames and DDE fields. Ordinary files of the same shapes pass."""

from __future__ import annotations

import io
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from mofan.core.uploads import UploadRejected
from mofan.evidence import checks as ev
from tests.evaluations.evidence_fixtures import make_docx, make_pdf, make_xlsx, upload_of

SCRIPT = "脚本或自动执行动作"
EMBEDDED = "嵌入的附件文件"
MEDIA = "动态表单或多媒体内容"
DAMAGED = "结构损坏"

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def build_pdf(
    objects: dict[int, bytes],
    packed: dict[int, bytes] | None = None,
    *,
    xref_stream: bool = True,
    stream_data: bytes | None = None,
) -> bytes:
    """A PDF 1.5 file with the given objects and, optionally, `packed` objects inside one
    compressed object stream. With `xref_stream` a cross-reference stream lists every object
    (stream members as type-2 entries, as real writers do); without it a classic table lists
    only the objects written out, so the object stream is found only by a body scan."""
    packed = packed or {}
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in sorted({1: CATALOG, 2: PAGES, 3: PAGE, **objects}.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    stream_number = max([*offsets, *packed]) + 1
    members: dict[int, int] = {}
    if packed:
        header, data = b"", b""
        for index, (number, body) in enumerate(sorted(packed.items())):
            header += b"%d %d " % (number, len(data))
            data += body + b"\n"
            members[number] = index
        raw = zlib.compress(header + data) if stream_data is None else stream_data
        offsets[stream_number] = len(out)
        out += (
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\n"
            % (
                stream_number,
                len(packed),
                len(header),
                len(raw),
            )
        )
        out += b"stream\n" + raw + b"\nendstream\nendobj\n"
    if not xref_stream:
        start = len(out)
        size = max(offsets) + 1
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            if number in offsets:
                out += b"%010d 00000 n \n" % offsets[number]
            else:
                out += b"0000000000 65535 f \n"
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, start)
        return bytes(out)
    xref_number = stream_number + 1
    rows = b""
    for number in range(xref_number + 1):
        if number in offsets:
            rows += b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00"
        elif number in members:
            rows += b"\x02" + stream_number.to_bytes(4, "big") + members[number].to_bytes(2, "big")
        elif number == xref_number:
            rows += b"\x01" + len(out).to_bytes(4, "big") + b"\x00\x00"
        else:
            rows += b"\x00\x00\x00\x00\x00\xff\xff"
    start = len(out)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\n" % (
        xref_number,
        xref_number + 1,
        len(rows),
    )
    out += b"stream\n" + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def check(name: str, content: bytes) -> str:
    return ev.check_evidence(upload_of(name, content), max_mb=20).kind


def refused(name: str, content: bytes) -> str:
    with pytest.raises(UploadRejected) as caught:
        check(name, content)
    return str(caught.value)


def pypdf_file(*, javascript: str | None = None, attachment: bool = False, **encrypt: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if javascript is not None:
        writer.add_open_action(JavaScript(javascript))
    if attachment:
        writer.add_attachment("台账.txt", b"1,2,3")
    if encrypt:
        writer.encrypt(**encrypt)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- PDF ----------------------------------------------------------------------------------


def test_ordinary_pdfs_are_accepted():
    assert check("报告.pdf", make_pdf()) == "pdf"
    assert check("报告.pdf", pypdf_file()) == "pdf"
    # An object stream with an ordinary open action (go to page 1) and a web link.
    packed = {
        4: b"<< /S /GoTo /D [3 0 R /Fit] >>",
        5: b"<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://www.gov.cn/) >> >>",
    }
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    assert check("报告.pdf", build_pdf({1: catalog}, packed)) == "pdf"
    # Compressed bytes that merely contain "<svg" without a tag delimiter are no markup.
    noise = b"%" + b" " * 2000 + b"\n4 0 obj << /Length 9 >>\nstream\n\x00<svgZ\x01\x02\x03\n"
    assert check("报告.pdf", make_pdf(noise + b"endstream\nendobj\n")) == "pdf"


def test_open_action_javascript_is_refused():
    assert SCRIPT in refused("报告.pdf", pypdf_file(javascript="app.alert('x')"))
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    action = b"<< /Type /Action /S /JavaScript /JS (app.launchURL('http://x')) >>"
    message = refused("报告.pdf", build_pdf({1: catalog, 4: action}))
    assert message == (
        "PDF 文件包含脚本或自动执行动作（JavaScript/Launch），存在安全风险，已拒绝；"
        "请重新导出为普通 PDF 后上传。"
    )


def test_hex_escaped_names_are_decoded():
    action = b"4 0 obj << /S /J#61vaScript /JS (app.alert(1)) >> endobj\n"
    assert SCRIPT in refused("报告.pdf", make_pdf(action))
    launch = b"4 0 obj << /S /#4C#61unch /F (cmd.exe) >> endobj\n"
    assert SCRIPT in refused("报告.pdf", make_pdf(launch))


def test_javascript_inside_a_compressed_object_stream_is_refused():
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    packed = {4: b"<< /S /JavaScript /JS (app.alert(1)) >>"}
    content = build_pdf({1: catalog}, packed)
    assert b"JavaScript" not in content  # only the decoded stream says so
    assert SCRIPT in refused("报告.pdf", content)
    # The same when the cross-reference table does not mention the object stream at all.
    hidden = build_pdf({1: catalog}, packed, xref_stream=False)
    assert SCRIPT in refused("报告.pdf", hidden)


def test_page_additional_action_with_launch_is_refused():
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /AA << /O 4 0 R >> >>"
    packed = {4: b"<< /S /Launch /Win << /F (cmd.exe) >> >>"}
    assert SCRIPT in refused("报告.pdf", build_pdf({3: page}, packed))


def test_embedded_files_rich_media_and_xfa_are_refused():
    assert EMBEDDED in refused("报告.pdf", pypdf_file(attachment=True))
    names = b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> >>"
    assert EMBEDDED in refused("报告.pdf", build_pdf({1: names}, {4: b"<< /Names [] >>"}))
    media = {4: b"<< /Type /Annot /Subtype /RichMedia /RichMediaContent << >> >>"}
    assert MEDIA in refused("报告.pdf", build_pdf({}, media))
    xfa = b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>"
    assert MEDIA in refused("报告.pdf", build_pdf({1: xfa, 4: b"<< >>"}))


def test_markup_deep_inside_a_pdf_is_refused():
    deep = make_pdf(b"%" + b" " * 5000 + b"\n4 0 obj (<svg/onload=alert(1)>) endobj\n")
    assert "网页或脚本" in refused("报告.pdf", deep)


def test_encrypted_pdfs_are_read_with_the_empty_password_or_refused():
    for algorithm in ("RC4-128", "AES-128", "AES-256"):
        owner_only = pypdf_file(user_password="", owner_password="owner", algorithm=algorithm)
        assert check("报告.pdf", owner_only) == "pdf"
    locked = pypdf_file(user_password="secret", owner_password="owner", algorithm="AES-128")
    assert "已加密" in refused("报告.pdf", locked)
    scripted = pypdf_file(
        javascript="app.alert(1)", user_password="", owner_password="o", algorithm="AES-128"
    )
    assert SCRIPT in refused("报告.pdf", scripted)


def test_an_object_stream_that_cannot_be_decoded_is_refused():
    content = build_pdf({}, {4: b"<< >>"}, stream_data=b"not deflate data at all")
    assert DAMAGED in refused("报告.pdf", content)


# --- office -------------------------------------------------------------------------------

RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}'
    "</Relationships>"
)
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def rels(*relationships: str) -> bytes:
    return RELS.format("".join(relationships)).encode()


def document(body: str) -> bytes:
    return (
        '<?xml version="1.0"?><w:document '
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p>{body}</w:p></w:body></w:document>"
    ).encode()


def field(*codes: str) -> str:
    runs = "".join(
        f'<w:r><w:instrText xml:space="preserve">{code}</w:instrText></w:r>' for code in codes
    )
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + runs
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def test_ordinary_office_files_are_accepted():
    hyperlink = rels(
        f'<Relationship Id="rId1" Type="{REL_TYPE}hyperlink" Target="https://www.gov.cn/" '
        'TargetMode="External"/>',
        f'<Relationship Id="rId2" Type="{REL_TYPE}styles" Target="styles.xml"/>',
    )
    docx = make_docx(
        **{
            "word/_rels/document.xml.rels": hyperlink,
            "word/document.xml": document(
                field(" PAGE ") + "<w:r><w:t>防范 DDEAUTO 字段攻击的说明</w:t></w:r>"
            ),
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx": make_xlsx(),
        }
    )
    assert check("总结.docx", docx) == "docx"


def test_external_attached_template_is_refused():
    template = rels(
        f'<Relationship Id="rId1" Type="{REL_TYPE}attachedTemplate" '
        'Target="http://203.0.113.9/template.dotm" TargetMode="External"/>'
    )
    docx = make_docx(**{"word/_rels/settings.xml.rels": template})
    message = refused("总结.docx", docx)
    assert "外部模板或外部对象（attachedTemplate）" in message


@pytest.mark.parametrize("kind", ["oleObject", "frame", "subDocument"])
def test_other_external_relationships_are_refused(kind):
    relationship = rels(
        f"<Relationship Id='rId9' Type='{REL_TYPE}{kind}' Target='file:///x' "
        "TargetMode='External'/>"
    )
    docx = make_docx(**{"word/_rels/document.xml.rels": relationship})
    assert f"（{kind}）" in refused("总结.docx", docx)


def test_activex_and_embedded_ole_objects_are_refused():
    activex = make_docx(**{"word/activeX/activeX1.xml": b"<ax:ocx/>"})
    assert "ActiveX" in refused("总结.docx", activex)
    ole = make_docx(**{"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0 package"})
    assert "OLE 对象" in refused("总结.docx", ole)
    xlsx_ole = make_xlsx({"xl/embeddings/Microsoft_Word_Macro-Enabled_Document.docm": b"PK"})
    assert "OLE 对象" in refused("台账.xlsx", xlsx_ole)


@pytest.mark.parametrize(
    "body",
    [
        field(' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe" '),
        field(" DDE", "AUTO c:\\\\cmd.exe x "),  # split over two runs
        field(" dde c:\\\\cmd.exe x "),  # DDE (updated on request), any case
        field("&#68;DEAUTO cmd x"),  # a character reference
        '<w:fldSimple w:instr=" DDEAUTO cmd.exe /c calc "><w:r><w:t>1</w:t></w:r></w:fldSimple>',
        # A nested field: the inner one is a code of its own.
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>IF 1 = 1 "</w:instrText>'
        "</w:r>" + field("DDEAUTO cmd x") + '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
    ],
)
def test_dde_fields_are_refused(body):
    docx = make_docx(**{"word/document.xml": document(body)})
    assert "DDE" in refused("总结.docx", docx)


def test_dde_field_in_a_header_with_another_prefix_is_refused():
    header = (
        b'<x:hdr xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><x:p>'
        b'<x:r><x:fldChar x:fldCharType="begin"/></x:r><x:r><x:instrText>DDEAUTO cmd x'
        b'</x:instrText></x:r><x:r><x:fldChar x:fldCharType="end"/></x:r></x:p></x:hdr>'
    )
    assert "DDE" in refused("总结.docx", make_docx(**{"word/header1.xml": header}))


def test_excel_dde_link_is_refused():
    link = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>'
    )
    xlsx = make_xlsx({"xl/externalLinks/externalLink1.xml": link})
    assert "DDE" in refused("台账.xlsx", xlsx)
