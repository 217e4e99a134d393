"""Hostile PDFs are refused, plain ones stored as sent (SECURITY.md UP5).

The PDFs are small but well formed (cross-reference tables and streams with
correct offsets), so they are what a reader would open, not strings that
merely contain a keyword.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.tickets.evidence_files import (
    MIB,
    pdf,
    pdf_with_object_stream,
    refused,
    stream,
    upload,
)

# --- PDFs (UP5) ---------------------------------------------------------------

JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
JS_NAMES = b"<< /JavaScript << /Names [(a) << /S /JavaScript /JS (app.alert(1)) >>] >> >>"
ENCRYPT = b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <%s> /U <%s> >>" % (
    b"00" * 32,
    b"00" * 32,
)

HOSTILE_PDFS = {
    "open_action_goto": pdf(b" /OpenAction [3 0 R /Fit]"),
    "open_action_js": pdf(b" /OpenAction 5 0 R", extra=(JS_ACTION,)),
    "document_javascript": pdf(b" /Names 5 0 R", extra=(JS_NAMES,)),
    "page_additional_actions": pdf(page=b" /AA << /O << /S /Named /N /NextPage >> >>"),
    "launch": pdf(
        page=b" /Annots [5 0 R]",
        extra=(
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /Launch "
            b"/Win << /F (cmd.exe) /P (/c calc) >> >> >>",
        ),
    ),
    "embedded_files": pdf(
        b" /Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
        extra=(
            b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
            stream(b"MZ\x90\x00", b" /Type /EmbeddedFile"),
        ),
    ),
    "embedded_file_without_type": pdf(
        page=b" /Annots [5 0 R]",
        extra=(
            b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /FS << /E#46 << /F 6 0 R >> >> >>",
            stream(b"MZ\x90\x00"),
        ),
    ),
    "xfa": pdf(b" /AcroForm << /Fields [] /XFA 5 0 R >>", extra=(stream(b"<xdp:xdp/>"),)),
    "rich_media": pdf(page=b" /Annots [<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>]"),
    "hex_escaped_names": pdf(page=b" /A#41 << /O << /S /J#61vaScript /#4A#53 (app.alert(1)) >> >>"),
    "hex_escaped_open_action": pdf(b" /Op#65nAct#69on [3 0 R /Fit]"),
    "javascript_in_flate_object_stream": pdf_with_object_stream(JS_NAMES),
    "javascript_in_a85_flate_object_stream": pdf_with_object_stream(
        JS_NAMES, filters=(b"ASCII85Decode", b"FlateDecode")
    ),
    "object_stream_without_type": pdf_with_object_stream(JS_NAMES, entries=b""),
    "escaped_filter_name": pdf_with_object_stream(JS_NAMES, filters=(b"Fl#61teDecode",)),
    "aa_in_object_stream": pdf_with_object_stream(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9]"
        b" /AA << /E << /S /Named /N /NextPage >> >> >>",
        catalog=b"",
        page=b" /Annots [6 0 R]",
    ),
    # A reader skips non-hex bytes in a hex string; taking "(" there for the
    # start of a literal string would hide the /AA that follows.
    "hex_string_desync": pdf(page=b" /X <(> /AA << /O << /S /Named /N /NextPage >> >> /Y <)>"),
    # "stream" not after a dictionary is a keyword, not the start of data.
    "stream_keyword_desync": pdf(page=b" /X stream\n/AA << /O << /S /Named /N /NextPage >> >>"),
    # A ">>" inside an array closes nothing, so no stream starts after it.
    "stray_dict_close_desync": pdf(
        page=b" /Annots [ >> stream\n<< /Type /Annot /Subtype /Link /Rect [0 0 9 9]"
        b" /AA << /E << /S /Named /N /NextPage >> >> >> ]"
    ),
    # Link actions (issue 9 §4): a web address or a viewer command one tap away.
    "uri_link": pdf(
        page=b" /Annots [5 0 R]",
        extra=(
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99]"
            b" /A << /S /URI /URI (https://phish.example/login) >> >>",
        ),
    ),
    "uri_base_in_catalog": pdf(b" /URI << /Base (https://phish.example/) >>"),
    "named_link": pdf(
        page=b" /Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9]"
        b" /A << /S /Named /N /Print >> >>]"
    ),
    "hex_escaped_uri": pdf(page=b" /Annots [<< /Subtype /Link /A << /S /U#52I /U#52I (x) >> >>]"),
    "uri_in_object_stream": pdf_with_object_stream(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://x) >> >>",
        catalog=b"",
        page=b" /Annots [6 0 R]",
    ),
    "named_in_object_stream": pdf_with_object_stream(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Named /N /SaveAs >> >>",
        catalog=b"",
        page=b" /Annots [6 0 R]",
    ),
    # Long names are found even inside stream data, as a second net.
    "launch_inside_stream_data": pdf(extra=(stream(b"\x00\x01<< /S /Launch /F (x.exe) >>"),)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PDFS))
def test_active_pdfs_are_refused(name, settings):
    assert refused("surat.pdf", HOSTILE_PDFS[name], settings) == "pdf_active_content"


def test_encrypted_pdf_is_refused(settings):
    data = pdf(extra=(ENCRYPT,), trailer=b" /Encrypt 5 0 R /ID [<00ff> <00ff>]")
    assert refused("surat.pdf", data, settings) == "pdf_encrypted"


@pytest.mark.parametrize(
    "data",
    [
        pdf_with_object_stream(JS_NAMES, filters=(b"LZWDecode",)),
        pdf_with_object_stream(
            b"<< >>", entries=b" /Type /ObjStm /DecodeParms << /Predictor 12 >>"
        ),
        pdf_with_object_stream(b"<< >>", entries=b" /Type /ObjStm /DecodeParms 9 0 R"),
        # An object header inside stream data: the xref table can point a
        # reader there while a scanner takes it for image bytes.
        pdf(extra=(stream(b"\x89binary 9 0 obj << /AA << /O 3 0 R >> >> endobj\xff"),)),
    ],
    ids=[
        "lzw_object_stream",
        "predictor_object_stream",
        "indirect_decode_parms",
        "object_header_in_stream",
    ],
)
def test_uninspectable_pdfs_are_refused(data, settings):
    assert refused("surat.pdf", data, settings) == "pdf_uninspectable"


def test_object_stream_zip_bomb_is_refused_within_budget(settings):
    small = dataclasses.replace(settings, pdf_max_decoded_bytes=MIB)
    data = pdf_with_object_stream(b"<< /X (" + bytes(4 * MIB) + b") >>")
    assert len(data) < 20_000
    assert refused("surat.pdf", data, small) == "pdf_uninspectable"


@pytest.mark.parametrize(
    "data",
    [
        pdf(),
        # Compressed image bytes spell "/JS(" and "/AA<<" by chance; not names.
        pdf(
            page=b" /Resources << /XObject << /Im1 5 0 R >> >>",
            extra=(stream(b"\xff\xd8/JS(\x00/AA<<\x10/XFA[\xff\xd9", b" /Subtype /Image"),),
        ),
        pdf(b" /Info (see /JS and /AA in the manual)"),
        pdf(b" /JSON /JSX /AAA /EFX"),
        pdf(b" /URIx (https://example.org/a.pdf) /Namedest 1 /Names << >>"),
        pdf_with_object_stream(b"<< /Type /Outlines /Count 0 >>"),
        pdf_with_object_stream(
            b"<< /Type /Outlines /Count 0 >>", filters=(b"ASCII85Decode", b"FlateDecode")
        ),
    ],
    ids=[
        "minimal",
        "binary_image_stream",
        "names_in_a_string",
        "similar_names",
        "names_like_link_actions",
        "object_stream",
        "a85_object_stream",
    ],
)
def test_plain_pdfs_are_stored_as_sent(data, settings):
    result = upload("surat.pdf", data, settings)
    assert result.media_type == "application/pdf"
    assert result.data == data


def test_pdf_without_end_marker_is_refused(settings):
    data = pdf().replace(b"%%EOF", b"")
    assert refused("surat.pdf", data, settings) == "corrupt"


def test_pdf_not_at_offset_zero_is_refused(settings):
    assert refused("surat.pdf", b"<html>" + pdf(), settings) == "unsupported_type"
