"""The lists group of `manage.py bench`: the work queues, the centre list
and the export of every assessment at the scheme's size, seeded with
seed_scale's code. Runs in the database the caller chose (the bench's
throwaway one, or a test's)."""

from __future__ import annotations

import contextlib
import logging
import statistics
import time
from collections import Counter

from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from reports.scale import plan as scale_plan
from reports.scale import seed_population, shipped_catalogue

# key -> (URL name, who asks)
PAGES = {
    "office.queue": ("assessments:review_overview", "office"),
    "office.centres": ("assessments:centre_list", "office"),
    "reviewer.queue": ("assessments:my_reviews", "reviewer"),
}
QUERY_COUNTED = ["office.queue", "reviewer.queue", "office.centres"]
# A path no URL matches. Its 404 page is a signed-in page that does nothing of
# its own: the session, the user, the roles, the second factor and the bell in
# the navigation. That is the part of every page's budget the sign-in takes.
EMPTY_PAGE_PATH = "/bench-keine-seite/"


@contextlib.contextmanager
def empty_page_quietly():
    """While the empty page is measured: without the "Not Found" warning
    that Django logs for every 404."""
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        request_log.setLevel(level)


def empty_page(client) -> None:
    response = client.get(EMPTY_PAGE_PATH)
    if response.status_code != 404:
        raise RuntimeError(f"GET {EMPTY_PAGE_PATH} answered {response.status_code}, not 404")


def signed_in(user) -> Client:
    """A client signed in as `user`, its session past the second factor
    (as a sign-in with the authenticator leaves it)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class ListsBench:
    def __init__(self, *, runs: int, note, centres: int = 3300):
        self.runs = runs
        self.note = note
        self.centres = centres

    def run(self) -> dict[str, str]:
        from certification.catalogue import SHIPPED_CATALOGUE, read_catalogue_file, write_catalogue

        catalogue = shipped_catalogue() or write_catalogue(read_catalogue_file(SHIPPED_CATALOGUE)).catalogue
        figures: dict[str, str] = {}
        small = max(1, self.centres // 3)
        self.seed(small, catalogue)
        clients = self.clients()
        urls, missing = self.urls(clients)
        counts_1x = {key: self.queries(clients, key, urls) for key in QUERY_COUNTED}
        seconds = self.seed(self.centres, catalogue)
        counts_3x = {key: self.queries(clients, key, urls) for key in QUERY_COUNTED}
        figures["lists.centres.1x"] = str(small)
        figures["lists.centres.3x"] = str(self.centres)
        figures["lists.seed_seconds"] = f"{seconds:.1f}"
        figures.update(self.ratios(clients, urls, missing))
        figures.update(self.exports())
        for key in QUERY_COUNTED:
            figures[f"{key}.queries.1x"] = counts_1x[key]
            figures[f"{key}.queries.3x"] = counts_3x[key]
        return figures

    def seed(self, centres: int, catalogue) -> float:
        result = seed_population(centres, catalogue=catalogue)
        from assessments.models import Assessment

        self.note(
            f"lists: {centres} centres ({result.created} seeded in {result.seconds:.1f} s), "
            f"{Assessment.objects.count()} assessments"
        )
        return result.seconds

    def clients(self) -> dict[str, Client]:
        """The office (seeded staff) and the reviewer with the most assignments."""
        from django.contrib.auth import get_user_model

        from assessments.models import Assessment

        users = get_user_model().objects
        office = users.get(email=scale_plan.office_email(1))
        load = Counter(Assessment.objects.exclude(reviewer=None).values_list("reviewer_id", flat=True))
        load.update(Assessment.objects.exclude(second_reviewer=None).values_list("second_reviewer_id", flat=True))
        reviewer = users.get(pk=load.most_common(1)[0][0])
        assigned = Assessment.objects.filter(Q(reviewer=reviewer) | Q(second_reviewer=reviewer)).count()
        self.note(f"lists: reviewer {reviewer.email} with {assigned} assignments")
        return {"office": signed_in(office), "reviewer": signed_in(reviewer), "anonymous": Client()}

    def urls(self, clients) -> tuple[dict[str, str], dict[str, str]]:
        """Each page's URL, or why it cannot be measured (missing, or not a 200)."""
        urls, missing = {}, {}
        for key, (name, who) in PAGES.items():
            try:
                url = reverse(name)
            except NoReverseMatch:
                missing[key] = f"n/a (no URL {name})"
                continue
            status = clients[who].get(url).status_code
            if status != 200:
                missing[key] = f"n/a (GET {url} answered {status})"
                continue
            urls[key] = url
        return urls, missing

    def queries(self, clients, key: str, urls) -> str:
        if key not in urls:
            return "n/a"
        client = clients[PAGES[key][1]]
        client.get(urls[key])  # warm-up: session, caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(urls[key])
        if response.status_code != 200:
            return f"n/a (GET {urls[key]} answered {response.status_code})"
        # Where the time goes, for whoever makes the page faster: the slowest query.
        timings = sorted(((float(query["time"]), query["sql"]) for query in queries.captured_queries), reverse=True)
        total = sum(seconds for seconds, _sql in timings)
        slowest = timings[0] if timings else (0.0, "")
        self.note(
            f"lists: {key}: {len(queries)} queries, {total * 1000:.0f} ms in SQL, "
            f"slowest {slowest[0] * 1000:.0f} ms: {slowest[1][:160]}"
        )
        return str(len(queries))

    def ratios(self, clients, urls, missing) -> dict[str, str]:
        """Each list against the login page, interleaved so that the
        machine's drift hits them alike; medians of many requests."""
        login_url = reverse("accounts:login")
        # The office's empty page first: what signing in costs each of the lists.
        measured_keys = ["office.empty_page", *urls]
        times: dict[str, list[float]] = {key: [] for key in ["login", *measured_keys]}
        rounds = max(10, self.runs * 4)
        with empty_page_quietly():
            for round_number in range(rounds + 2):
                measured = {
                    "login": timed(lambda: clients["anonymous"].get(login_url)),
                    "office.empty_page": timed(lambda: empty_page(clients["office"])),
                }
                for key, url in urls.items():
                    client = clients[PAGES[key][1]]
                    measured[key] = timed(lambda client=client, url=url: client.get(url))
                if round_number >= 2:  # warm-up: templates, caches, sessions
                    for key, seconds in measured.items():
                        times[key].append(seconds)
        login = statistics.median(times["login"])
        self.note(
            f"lists: medians over {rounds} rounds: login {login * 1000:.1f} ms, "
            + ", ".join(f"{key} {statistics.median(times[key]) * 1000:.1f} ms" for key in measured_keys)
        )
        figures = {f"{key}.ratio_to_login": reason for key, reason in missing.items()}
        for key in measured_keys:
            figures[f"{key}.ratio_to_login"] = f"{statistics.median(times[key]) / login:.2f}"
        # In PAGES' order, a missing page's reason in its place.
        return {f"{key}.ratio_to_login": figures[f"{key}.ratio_to_login"] for key in ["office.empty_page", *PAGES]}

    def exports(self) -> dict[str, str]:
        """The export of every assessment, built here and now, in each format."""
        from reports import exports

        def build(fmt: str) -> bytes:
            if hasattr(exports, "all_assessments_export"):
                return exports.all_assessments_export(fmt)
            table = exports.all_assessments_table()
            return exports.to_csv(table) if fmt == "csv" else exports.to_xlsx(table)

        runs = max(1, min(self.runs, 3))
        seconds = {}
        for fmt in ("xlsx", "csv"):
            build(fmt)  # warm-up: imports, translations
            seconds[fmt] = statistics.median(timed(lambda fmt=fmt: build(fmt)) for _ in range(runs))
        size = len(build("xlsx"))
        self.note(f"lists: export xlsx {size / 1024:.0f} KB")
        return {
            "export.xlsx.seconds": f"{seconds['xlsx']:.3f}",
            "export.csv.seconds": f"{seconds['csv']:.3f}",
            "export.xlsx.ratio_to_csv": f"{seconds['xlsx'] / seconds['csv']:.2f}",
        }
