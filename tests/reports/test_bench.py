"""`manage.py bench --only lists` at a tiny size: the group seeds with
seed_scale's code, measures the queues, the centre list and the exports,
and prints every figure of issue 12 (run in the test's database here; the
command itself runs it in a throwaway one)."""

from __future__ import annotations

import io

import pytest

from reports.management.commands.bench import Bench

LIST_KEYS = {
    "office.queue.ratio_to_login",
    "office.centres.ratio_to_login",
    "reviewer.queue.ratio_to_login",
    "office.empty_page.ratio_to_login",
    "export.xlsx.seconds",
    "export.csv.seconds",
    "export.xlsx.ratio_to_csv",
    "office.queue.queries.1x",
    "office.queue.queries.3x",
    "reviewer.queue.queries.1x",
    "reviewer.queue.queries.3x",
    "office.centres.queries.1x",
    "office.centres.queries.3x",
    "lists.centres.1x",
    "lists.centres.3x",
    "lists.seed_seconds",
}


def test_the_lists_group_prints_every_figure_and_the_queues_do_not_grow(db, caplog):
    log = io.StringIO()
    result = Bench(runs=1, log=log, only="lists", centres=9).run()
    assert LIST_KEYS <= set(result)
    assert "report.seconds_median" not in result  # the other groups are left out
    assert (result["lists.centres.1x"], result["lists.centres.3x"]) == ("3", "9")
    for key in ("office.queue", "office.centres", "reviewer.queue"):
        assert float(result[f"{key}.ratio_to_login"]) > 0, result[f"{key}.ratio_to_login"]
        # The same number of queries at three times the population.
        assert result[f"{key}.queries.1x"] == result[f"{key}.queries.3x"], key
        assert int(result[f"{key}.queries.1x"]) < 30
    assert float(result["export.xlsx.seconds"]) > 0 and float(result["export.csv.seconds"]) > 0
    # The office's empty signed-in page costs something, and less than its queue.
    assert 0 < float(result["office.empty_page.ratio_to_login"]) < float(result["office.queue.ratio_to_login"])
    assert "lists: 9 centres" in log.getvalue() and "assignments" in log.getvalue()
    # The empty page's 404s are measured without a warning for each.
    assert not [record for record in caplog.records if record.getMessage().startswith("Not Found")]


def test_the_checklist_group_prints_its_ratios_with_the_empty_signed_in_page(db):
    result = Bench(runs=1, log=io.StringIO(), only="checklist").run()
    ratios = {key: float(result[key]) for key in ("checklist.ratio_to_login", "autosave.ratio_to_login")}
    empty = float(result["leitung.empty_page.ratio_to_login"])
    assert 0 < empty < ratios["checklist.ratio_to_login"], (empty, ratios)
    assert "report.seconds_median" not in result


def test_the_empty_page_must_be_a_404(client, monkeypatch):
    from reports.scale import bench as lists_bench

    lists_bench.empty_page(client)  # no URL: 404
    monkeypatch.setattr(lists_bench, "EMPTY_PAGE_PATH", "/konto/anmelden/")
    with pytest.raises(RuntimeError, match="answered 200, not 404"):
        lists_bench.empty_page(client)


def test_a_missing_page_prints_n_a_with_the_reason(db, monkeypatch):
    from reports.scale import bench as lists_bench

    monkeypatch.setitem(lists_bench.PAGES, "office.centres", ("assessments:no_such_page", "office"))
    result = lists_bench.ListsBench(runs=1, note=lambda message: None, centres=3).run()
    assert result["office.centres.ratio_to_login"] == "n/a (no URL assessments:no_such_page)"
    assert result["office.centres.queries.1x"] == "n/a"
    assert float(result["office.queue.ratio_to_login"]) > 0
