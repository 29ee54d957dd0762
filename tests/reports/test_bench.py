"""`manage.py bench --only lists` at a tiny size: the group seeds with
seed_scale's code, measures the queues, the centre list and the exports,
and prints every figure of issue 12 (run in the test's database here; the
command itself runs it in a throwaway one)."""

from __future__ import annotations

import io

from reports.management.commands.bench import Bench

LIST_KEYS = {
    "office.queue.ratio_to_login",
    "office.centres.ratio_to_login",
    "reviewer.queue.ratio_to_login",
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


def test_the_lists_group_prints_every_figure_and_the_queues_do_not_grow(db):
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
    assert "lists: 9 centres" in log.getvalue() and "assignments" in log.getvalue()


def test_a_missing_page_prints_n_a_with_the_reason(db, monkeypatch):
    from reports.scale import bench as lists_bench

    monkeypatch.setitem(lists_bench.PAGES, "office.centres", ("assessments:no_such_page", "office"))
    result = lists_bench.ListsBench(runs=1, note=lambda message: None, centres=3).run()
    assert result["office.centres.ratio_to_login"] == "n/a (no URL assessments:no_such_page)"
    assert result["office.centres.queries.1x"] == "n/a"
    assert float(result["office.queue.ratio_to_login"]) > 0
