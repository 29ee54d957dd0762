"""Type detection by content and safe names; arbitrary input never crashes."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.files import UploadRejected, detect_type, safe_display_name
from tests.assessments.files import ALLOWED, REJECTED


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_allowed_types_are_recognised_by_content(name):
    data, content_type = ALLOWED[name]
    assert detect_type(io.BytesIO(data)).content_type == content_type


@pytest.mark.parametrize("name,data,reason", REJECTED, ids=[row[0] for row in REJECTED])
def test_refused_content_says_why(name, data, reason):
    with pytest.raises(UploadRejected) as rejected:
        detect_type(io.BytesIO(data))
    assert reason in rejected.value.message


def test_a_pdf_named_txt_is_still_a_pdf_and_gets_its_extension():
    file_type = detect_type(io.BytesIO(ALLOWED["nachweis.pdf"][0]))
    assert safe_display_name("Bericht.txt", file_type) == "Bericht.pdf"


@pytest.mark.parametrize(
    "raw,shown",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\kita\\Vereinbarung 2025.pdf", "Vereinbarung 2025.pdf"),
        ("a\x00b\x1bc\u202e.pdf", "abc.pdf"),
        ("   ...   ", "Dokument"),
        ("Kooperation<script>.pdf", "Kooperation_script_.pdf"),
    ],
)
def test_names_are_shown_sanitised(raw, shown):
    assert safe_display_name(raw) == shown


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=300), data=st.binary(max_size=4096))
def test_arbitrary_names_and_bytes_never_crash(name, data):
    try:
        file_type = detect_type(io.BytesIO(data))
    except UploadRejected as rejected:
        assert rejected.message
        file_type = None
    shown = safe_display_name(name, file_type)
    assert "/" not in shown and "\\" not in shown
    assert all(ord(char) >= 32 for char in shown)
    assert 0 < len(shown) <= 160
