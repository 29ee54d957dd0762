"""Evidence is private on both storage backends.

Filesystem: no URL the project serves (every route of the URL resolver, with
the stored file's real name and key put into its parameters, plus the usual
public prefixes) answers with the file's bytes; only the permission-checked
download view does.

S3: against an S3 API of the test's own (moto's server mode on 127.0.0.1,
as the worker tests start Redis), configured by config/settings.py itself,
the upload service writes objects without any public grant, an unsigned
request for one is refused, and the bytes come back through the download
view only for those who may read them."""

from __future__ import annotations

import re
import runpy
import socket
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assessments import services
from evidence.models import EvidenceKind
from evidence.services import EvidenceDetails
from tests.assessments.files import PDF_BYTES, upload

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "config" / "settings.py"
BUCKET = "guetesiegel-private"
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def store_one(draft, alice):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("Kooperation.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    return document.revisions.get()


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


# ---------------------------------------------------------------- filesystem


def _routes(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def candidate_paths(revision, private_root: Path) -> set[str]:
    """Every route with the stored name (or its key, or the revision's pk)
    in each parameter, and the stored name behind every route's literal
    prefix and behind the prefixes a public file server would use."""
    name = revision.file.name  # evidence/<key>
    values = {
        "path": [name, str(private_root / name).lstrip("/"), f"../private/{name}"],
        "str": [revision.storage_key, name.replace("/", "%2F")],
        "slug": [revision.storage_key.split(".")[0]],
        "uuid": [revision.storage_key.split(".")[0]],
        "int": [str(revision.pk)],
    }
    paths = set()
    for route in _routes(get_resolver().url_patterns):
        if route.startswith("^"):  # a regex route (the admin's): its literal prefix
            literal = re.split(r"[(\[\\?*+.$]", route[1:], maxsplit=1)[0]
            paths.add(f"/{literal}{name}")
            continue
        literal = route.split("<", 1)[0]
        paths.add(f"/{literal}{name}")
        converters = re.findall(r"<(?:(\w+):)?\w+>", route)
        options_of = [values.get(converter or "str", values["str"]) for converter in converters]
        for index in range(max((len(options) for options in options_of), default=0)):
            url = route
            for options in options_of:
                url = re.sub(r"<(?:\w+:)?\w+>", options[min(index, len(options) - 1)], url, count=1)
            paths.add(f"/{url}")
    for public in ("media", "static", "var", "private", "var/private", "files", "uploads", "evidence"):
        paths.add(f"/{public}/{name}")
        paths.add(f"/{public}/{revision.storage_key}")
    paths.add(f"/{name}")  # where storage.url() would point: Django's MEDIA_URL default is "/"
    return paths


def test_no_url_the_project_serves_reaches_the_private_root(draft, alice, bob, settings):
    revision = store_one(draft, alice)
    private_root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    assert (private_root / revision.file.name).read_bytes() == PDF_BYTES  # the file is there to be found

    # The permission-checked file views: the download and the reviewer's inline preview.
    checked = {
        reverse("assessments:evidence_download", args=[revision.pk]),
        reverse("assessments:evidence_preview", args=[revision.pk]),
    }
    paths = candidate_paths(revision, private_root) | checked
    assert len(paths) > 50, "the resolver walk found too few routes to mean anything"

    def serving(who) -> set[str]:
        client = Client(raise_request_exception=False)
        if who is not None:
            client.force_login(who)
        return {path for path in sorted(paths) if PDF_BYTES in body_of(client.get(path))}

    assert serving(None) == set()  # anonymous
    assert serving(bob) == set()  # Leitung of another centre
    assert serving(alice) == checked


def test_the_private_root_has_no_url_and_lies_outside_the_static_files(settings):
    from django.core.files.storage import storages

    storage = storages["private"]
    assert not settings.STORAGES["private"]["OPTIONS"]["base_url"]
    private_root = Path(storage.location).resolve()
    for public in [*settings.STATICFILES_DIRS, settings.STATIC_ROOT]:
        public = Path(public).resolve()
        assert not private_root.is_relative_to(public) and not public.is_relative_to(private_root)


# ---------------------------------------------------------------------- S3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    server_module = pytest.importorskip("moto.server", reason="moto[server] is a dev dependency (pyproject.toml)")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch):
    """The private storage exactly as config/settings.py builds it for
    PRIVATE_STORAGE_BACKEND=s3, pointed at the test's own S3 server."""
    import boto3

    env = {
        "PRIVATE_STORAGE_BACKEND": "s3",
        "PRIVATE_S3_BUCKET": BUCKET,
        "PRIVATE_S3_ENDPOINT_URL": s3_server,
        "PRIVATE_S3_ACCESS_KEY": "testing",
        "PRIVATE_S3_SECRET_KEY": "testing",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    private = runpy.run_path(str(SETTINGS_FILE))["STORAGES"]["private"]
    assert private["BACKEND"] == "storages.backends.s3.S3Storage"

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": private, "private": private}
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_s3_objects_are_private_and_leave_only_through_the_download_view(s3_storage, s3_server, draft, alice, bob):
    from django.core.files.storage import default_storage

    revision = store_one(draft, alice)
    key = revision.file.name

    # Written by the upload service, into the bucket, byte for byte.
    stored = s3_storage.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == PDF_BYTES
    assert [item["Key"] for item in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]] == [key]

    # No public grant: only the owner's.
    grants = s3_storage.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert grants, "the object has no ACL at all"
    for grant in grants:
        assert grant["Grantee"].get("URI") not in PUBLIC_GROUPS, f"public grant {grant}"
        assert grant["Grantee"]["Type"] == "CanonicalUser"

    # An unsigned request for the object is refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server}/{BUCKET}/{key}", timeout=10)  # noqa: S310 - a local test server
    assert refused.value.code == 403

    # What the storage hands out is a signed, expiring URL, not the plain one.
    assert "Signature=" in default_storage.url(key) or "X-Amz-Signature=" in default_storage.url(key)

    # The permission-checked view passes the bytes to who may read them only.
    url = reverse("assessments:evidence_download", args=[revision.pk])
    client = Client()
    client.force_login(alice)
    assert body_of(client.get(url)) == PDF_BYTES
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 404 and PDF_BYTES not in body_of(response)
