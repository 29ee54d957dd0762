"""`make mutation`: mutmut over the rule book and the evaluation.

mutmut 3 rewrites the sources it mutates, so it runs in a copy of the
working tree under var/mutation/ (never in the checkout itself). Each mutant
runs only the tests that reach the mutated function, taken from the test
files below. Prints `mutation.score <x>` over the functions in scope and
lists the surviving mutants. Not part of CI: it takes long.

    .venv/bin/python tools/mutation.py            # run, then report
    .venv/bin/python tools/mutation.py --report   # report the last run only
"""

from __future__ import annotations

# ruff: noqa: S603, S607 - runs rsync and the venv's mutmut with fixed arguments
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutation"
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"

FILES = ["assessments/rules.py", "assessments/evaluation.py", "certification/services.py"]
# certification/services.py holds much besides: only the Verbund and
# site-visit validators count.
FUNCTIONS = {
    "certification/services.py": {"validate_site_composition", "_distance_errors", "validate_site_visit_sites"},
}
TESTS = [
    "tests/assessments/test_rule_books.py",
    "tests/assessments/test_readiness.py",
    "tests/assessments/test_conditions.py",
    "tests/certification/test_verbund.py",
    "tests/certification/test_seals.py",  # validate_site_visit_sites
    "tests/assessments/test_evidence_views.py",  # the rule book's download and partner-access helpers
    # Case by case, written against the surviving mutants (issue 14).
    "tests/assessments/test_rules_cases.py",
    "tests/assessments/test_evaluation_cases.py",
    "tests/certification/test_site_validators.py",
]
APPS = ["accounts", "notifications", "certification", "evidence", "register", "journal", "assessments", "reports"]
ALSO_COPY = ["config", "templates", "static", "locale", "manage.py"]


def setup_cfg() -> str:
    lines = ["[mutmut]", "source_paths="]
    lines += [f"    {app}/" for app in APPS if (ROOT / app).is_dir()]
    lines += ["only_mutate="] + [f"    {path}" for path in FILES]
    lines += ["also_copy="] + [f"    {path}" for path in ALSO_COPY]
    lines += ["pytest_add_cli_args_test_selection="] + [f"    {path}" for path in TESTS if (ROOT / path).exists()]
    # Each mutant runs in a fresh fork: a kept SQLite test database spares it
    # the migrations, and the constant covers pytest-django's setup.
    lines += ["pytest_add_cli_args=", "    --reuse-db", "    -q", "timeout_constant=90"]
    return "\n".join(lines) + "\n"


def prepare() -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    excludes = [".venv", "var", "mutants", "__pycache__", "*.pyc", ".git", "staticfiles", "build", "*.egg-info"]
    subprocess.run(
        ["rsync", "-a", *[f"--exclude={e}" for e in excludes], f"{ROOT}/", f"{WORK}/"],
        check=True,
    )
    # mutmut reads [tool.mutmut] from pyproject.toml before setup.cfg; the
    # project keeps its config here instead.
    (WORK / "setup.cfg").write_text(setup_cfg())


def mutant_globs() -> list[str]:
    """The mutants to run: every one of a file in scope, only those of the
    named functions where FUNCTIONS narrows a file (the rest of
    certification/services.py would cost hours and count for nothing)."""
    globs = []
    for path in FILES:
        module = path.removesuffix(".py").replace("/", ".")
        allowed = FUNCTIONS.get(path)
        if allowed is None:
            globs.append(f"{module}.*")
        else:
            globs += [f"{module}.x_{function}__mutmut_*" for function in sorted(allowed)]
    return globs


def in_scope(mutant: str) -> bool:
    # mutant names: assessments.rules.x_get_assessment_for_user__mutmut_3, and
    # for methods assessments.evaluation.xǁAreaProgressǁpercent_points__mutmut_1
    match = re.match(r"(.+?)\.x[_ǁ](.+)$", mutant)
    if match is None:
        return False
    module, rest = match.groups()
    path = module.replace(".", "/") + ".py"
    if path not in FILES:
        return False
    allowed = FUNCTIONS.get(path)
    if allowed is None:
        return True
    function = re.sub(r"__mutmut_\d+$", "", rest)
    return function in allowed or function.split("ǁ")[-1] in allowed


def report() -> int:
    result = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], cwd=WORK, capture_output=True, text=True, check=False
    )
    counts: dict[str, int] = {}
    survivors: list[str] = []
    for line in result.stdout.splitlines():
        name, _, status = line.strip().partition(": ")
        if not status or not in_scope(name):
            continue
        counts[status] = counts.get(status, 0) + 1
        if status in {"survived", "no tests"}:
            survivors.append(f"{name}: {status}")
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    considered = sum(n for status, n in counts.items() if status not in {"skipped", "not checked"})
    score = killed / considered if considered else 0.0
    print("mutants:", ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    print("surviving mutants (see `cd var/mutation && ../../.venv/bin/mutmut show <name>`):")
    for line in survivors:
        print("  ", line)
    print(f"mutation.score {score:.3f}")
    return 0


def main() -> int:
    if "--report" not in sys.argv:
        prepare()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(WORK / "var")}
        for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
            env.pop(name, None)
        (WORK / "var").mkdir(exist_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{WORK / 'var' / 'mutation.sqlite3'}"
        jobs = os.environ.get("MUTATION_JOBS", "2")
        subprocess.run([str(MUTMUT), "run", "--max-children", jobs, *mutant_globs()], cwd=WORK, env=env, check=False)
    return report()


if __name__ == "__main__":
    raise SystemExit(main())
