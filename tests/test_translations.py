"""The English catalogue is complete, keeps every placeholder, is compiled,
and actually switches the interface: German stays the default, English comes
with the language switch in the navbar (the browser's Accept-Language is ignored: German first)."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

PO_FILE = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# %(name)s, %(km).1f, %(count)d, plain %s / %d; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-+ #0]*\d*(?:\.\d+)?[sdif]")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A deliberately small .po reader: enough for files written by gettext's
    msgmerge (makemessages); obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and target is not None:
                finish()  # a comment after a complete entry starts the next one
            if line.startswith("#,"):
                current = current or Entry(line=number)
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: stray string"
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, kind, getattr(current, kind) + _unquote(line))
            continue
        keyword, _, value = line.partition(" ")
        if keyword in {"msgctxt", "msgid"} and current is not None and target is not None and target[0] == "msgstr":
            finish()
        current = current or Entry(line=number)
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr[index] = _unquote(value)
            target = ("msgstr", index)
        elif keyword in {"msgctxt", "msgid", "msgid_plural"}:
            setattr(current, keyword, _unquote(value))
            target = (keyword, None)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def messages() -> list[Entry]:
    return [entry for entry in parse_po(PO_FILE) if entry.msgid]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def describe(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


@pytest.fixture(autouse=True)
def _german_again_afterwards():
    """A request in English activates English for this thread; later tests
    that call gettext outside a request expect the German default."""
    yield
    translation.deactivate()


def test_the_catalogue_is_there_and_big():
    assert PO_FILE.exists(), "run `make messages`"
    header = next(entry for entry in parse_po(PO_FILE) if not entry.msgid)
    assert "Language: en" in header.msgstr[0]
    assert "fuzzy" not in header.flags
    # Several hundred user-facing strings; a sudden drop means makemessages broke.
    assert len(messages()) > 500


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [
        describe(entry) for entry in messages() if not entry.msgstr or any(not text for text in entry.msgstr.values())
    ]
    fuzzy = [describe(entry) for entry in messages() if "fuzzy" in entry.flags]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)


def test_plural_messages_have_both_english_forms():
    for entry in messages():
        if entry.msgid_plural is not None:
            assert set(entry.msgstr) == {0, 1}, describe(entry)


def test_placeholders_survive_translation():
    problems = []
    for entry in messages():
        if entry.msgid_plural is None:
            pairs = [(entry.msgid, entry.msgstr.get(0, ""))]
        else:
            pairs = [(entry.msgid, entry.msgstr.get(0, "")), (entry.msgid_plural, entry.msgstr.get(1, ""))]
        for source, target in pairs:
            if placeholders(source) != placeholders(target):
                problems.append(f"{describe(entry)}: {placeholders(source)} became {placeholders(target)}")
    assert not problems, "\n".join(problems)


def test_leading_and_trailing_newlines_match():
    for entry in messages():
        for target in entry.msgstr.values():
            assert entry.msgid.startswith("\n") == target.startswith("\n"), describe(entry)
            assert entry.msgid.endswith("\n") == target.endswith("\n"), describe(entry)


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed so a fresh clone shows English without gettext;
    it must be rebuilt (`make messages`) whenever the .po changes."""
    assert MO_FILE.exists(), "run `manage.py compilemessages --ignore=.venv`"
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages():
        if entry.msgid_plural is not None:
            got = (
                compiled.ngettext(entry.msgid, entry.msgid_plural, 1),
                compiled.ngettext(entry.msgid, entry.msgid_plural, 2),
            )
            want = (entry.msgstr[0], entry.msgstr[1])
        elif entry.msgctxt is not None:
            got, want = compiled.pgettext(entry.msgctxt, entry.msgid), entry.msgstr[0]
        else:
            got, want = compiled.gettext(entry.msgid), entry.msgstr[0]
        if got != want:
            stale.append(describe(entry))
    assert not stale, "the .mo is out of date:\n" + "\n".join(stale)


# --- the interface really switches -------------------------------------------------


def test_login_page_is_german_by_default(client, db):
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="de">' in body
    assert "Anmelden" in body
    assert "E-Mail-Adresse" in body


def test_an_english_browser_still_gets_german_until_english_is_chosen(client, db):
    login = reverse("accounts:login")
    body = client.get(login, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="de">' in body and "Anmelden" in body
    client.post(reverse("set_language"), {"language": "en", "next": login})
    response = client.get(login)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in body
    assert "Sign in" in body
    assert "E-mail address" in body
    assert "Password" in body
    assert "Forgotten your password?" in body
    assert "Anmelden" not in body
    assert "E-Mail-Adresse" not in body


def test_wrong_password_message_is_english(client, alice):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(reverse("accounts:login"), {"username": alice.email, "password": "not-the-password"})
    assert "The e-mail address or password is incorrect." in response.content.decode()


def test_language_switch_turns_the_start_page_english(client, alice, centre):
    client.force_login(alice)
    home = reverse("home")
    german = client.get(home).content.decode()
    assert '<html lang="de">' in german
    assert "Ihr Familienzentrum" in german

    response = client.post(reverse("set_language"), {"language": "en", "next": home})
    assert response.status_code == 302
    assert response.url == home

    body = client.get(home).content.decode()
    assert '<html lang="en">' in body
    assert f"Welcome, {alice.get_short_name()}" in body
    assert "Your family centre" in body
    assert "Start self-assessment" in body
    assert "Sign out" in body
    assert "Criteria catalogue" in body
    for german_text in ("Ihr Familienzentrum", "Willkommen", "Abmelden", "Selbstbewertung starten"):
        assert german_text not in body

    # … and back again.
    client.post(reverse("set_language"), {"language": "de", "next": home})
    assert "Ihr Familienzentrum" in client.get(home).content.decode()


def test_catalogue_texts_follow_the_language_where_the_catalogue_has_them(client, alice, centre, catalogue):
    from datetime import date

    from assessments import services
    from certification.models import Area

    assessment = services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=catalogue,
        kind="first",
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    criterion = catalogue.criteria.get(code="1.1")
    assert criterion.title_en and criterion.title_en != criterion.title
    client.force_login(alice)
    url = reverse("assessments:area", args=[assessment.pk, "1"])
    assert criterion.title in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    body = client.get(url).content.decode()
    assert criterion.title_en in body
