"""The okno command as a user runs it: a real process, a real SQLite file in an empty
directory, exit codes and what is printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.commands import okno, okno_here
from tests.conftest import FIXTURES, ROOT

HOSTILE = FIXTURES / "hostile.bpmn"
MARKER = Path("/tmp/okno-hostile-ran")


def test_validate_accepts_every_shipped_process_and_the_catalog(tmp_path: Path) -> None:
    result = okno("validate", str(ROOT / "processes"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok property_registration" in result.stdout
    assert "ok catalog:" in result.stdout


@pytest.mark.slow  # two okno processes
def test_validate_and_deploy_print_warnings_and_still_succeed(tmp_path: Path) -> None:
    model = str(FIXTURES / "structure" / "flowable_unmarked.bpmn")
    for command in ("validate", "deploy"):
        result = okno(command, model, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert any(
            line.startswith("flowable_unmarked.bpmn:") and ": noteTask: warning: an untyped task" in line
            for line in lines
        ), lines
    assert "deployed flowable_unmarked" in result.stdout


@pytest.mark.slow
def test_validate_refuses_a_hostile_model_naming_the_element_and_runs_none_of_it(tmp_path: Path) -> None:
    MARKER.unlink(missing_ok=True)
    result = okno("validate", str(HOSTILE), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("hostile.bpmn:") and ": Gateway_Escape_Flow: " in line for line in lines), lines
    assert any(": Script_Escape: " in line for line in lines), lines
    assert any(": Script_Forever: " in line and "while loop" in line for line in lines), lines
    assert not MARKER.exists(), "hostile code ran"


@pytest.mark.slow
def test_deploy_of_a_hostile_model_writes_nothing(tmp_path: Path) -> None:
    result = okno("deploy", str(HOSTILE), cwd=tmp_path)
    assert result.returncode == 1
    assert "nothing was deployed" in result.stderr
    assert not MARKER.exists()


@pytest.mark.slow
def test_bad_arguments_get_a_message_not_a_traceback(tmp_path: Path) -> None:
    for args in (["validate", "/no/such/file.bpmn"], ["case", "show", "NO-SUCH-CASE"], ["audit", "verify"]):
        result = okno(*args, cwd=tmp_path)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.slow
def test_demo_in_an_empty_directory_prints_its_summary_and_continues_when_run_again(tmp_path: Path) -> None:
    first = okno("demo", "--applications", "60", "--now", "2026-11-02T23:00+03:00", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (tmp_path / "okno.sqlite").exists()
    day = re.search(
        r"2026-11-02: (\d+) visitors took a ticket \((\d+) booked ahead\), (\d+) cases opened, "
        r"(\d+) consultations",
        first.stdout,
    )
    assert day, first.stdout
    tickets, booked, opened, consultations = (int(g) for g in day.groups())
    assert 50 <= tickets <= 60 and booked > 0 and tickets == opened + consultations
    for heading in (
        "region: 172 offices (20 centres, 144 remote offices, 8 terminal points; 204 information terminals)",
        "open tasks by office:",
        "top services this run:",
        f"store: {opened} cases",
        f"queue: {tickets} visitors called to a window",
        "within 15 min",
        "longest waits: ",
    ):
        assert heading in first.stdout, first.stdout
    second = okno("demo", "--applications", "40", "--now", "2026-11-03T23:00+03:00", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    more = re.search(r"2026-11-03: \d+ visitors took a ticket \(\d+ booked ahead\), (\d+) cases opened", second.stdout)
    assert more, second.stdout
    total = opened + int(more.group(1))
    assert f"store: {total} cases" in second.stdout
    assert "checkpoint 1 signed at notification" in first.stdout, first.stdout
    assert "checkpoint 2 signed at notification" in second.stdout, second.stdout
    saved = okno("audit", "checkpoint", "--output", "kept.json", cwd=tmp_path)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    verify = okno("audit", "verify", "--all", "--against", "kept.json", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"{total} of {total} cases verified, 0 diverged" in verify.stdout
    assert "2 of 2 stored checkpoints signed and chained; checked against kept checkpoint 2" in verify.stdout


@pytest.mark.slow
def test_read_model_commands_after_the_demo(tmp_path: Path) -> None:
    demo = okno("demo", "--applications", "50", "--now", "2026-11-02T23:00+03:00", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    tracked = re.search(r"a citizen tracking (\S+) with PIN (\d{6}) sees", demo.stdout)
    assert tracked, demo.stdout
    assert re.search(r"service tasks: [1-9]\d* jobs done \(payment_check [1-9]", demo.stdout), demo.stdout
    assert okno_here("worker", "--once", cwd=tmp_path).returncode == 0
    status = okno_here("projections", "status", cwd=tmp_path)
    assert re.fullmatch(
        r"cases: position (\d+) of \1, lag 0\ntimers: position \1 of \1, lag 0\n"
        r"outbox: position \1 of \1, lag 0\njobs: position \1 of \1, lag 0\n"
        r"appointments: position \1 of \1, lag 0\nqueue: position \1 of \1, lag 0\n"
        r"signals: position \1 of \1, lag 0\n",
        status.stdout,
    ), status.stdout
    rebuild = okno_here("projections", "rebuild", cwd=tmp_path)
    assert rebuild.returncode == 0 and re.search(
        r"timers: \d+ events in [\d.]+ s \([\d,]+ events/s\)", rebuild.stdout
    ), rebuild.stdout + rebuild.stderr
    track = okno_here("track", *tracked.groups(), cwd=tmp_path)
    assert track.returncode == 0 and f"Дело {tracked.group(1)}" in track.stdout, track.stdout + track.stderr
    wrong = okno_here("track", tracked.group(1), "000000" if tracked.group(2) != "000000" else "111111", cwd=tmp_path)
    assert wrong.returncode == 2 and "PIN does not match" in wrong.stderr
    for args in (
        ["tasks", "--office", "LPK"],
        ["dashboard", "LPK", "--day", "2026-11-03"],
        ["stats", "--month", "2026-11"],
        ["ranking", "--since", "2026-11-01", "--until", "2026-11-30"],
    ):
        result = okno_here(*args, cwd=tmp_path)
        assert result.returncode == 0 and result.stdout, (args, result.stderr)
    queue = okno_here("queue", "--office", "LPK", "--day", "2026-11-02", cwd=tmp_path)
    assert re.match(r"LPK 2026-11-02: 0 waiting, 0 at windows, [1-9]\d* visits done", queue.stdout), queue.stdout
    waiting = okno_here("waiting", "--since", "2026-11-01", "--until", "2026-11-30", "--office", "LPK", cwd=tmp_path)
    assert re.match(r"LPK: [1-9]\d* visits, \d+% within the cap", waiting.stdout), waiting.stdout + waiting.stderr
    # Slots for a day in the past are none; a holiday has none either; an unknown office is a clear error.
    for day in ("2026-11-02", "2026-11-04"):
        past = okno_here("slots", "--office", "LPK", "--service", "mvd_passport", "--day", day, cwd=tmp_path)
        assert past.returncode == 0 and past.stdout == "no free slots for mvd_passport at LPK\n", past.stdout
    unknown = okno_here("slots", "--office", "XXX", "--service", "mvd_passport", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown office 'XXX'" in unknown.stderr
    # Retention: a case is shredded from the command line, and it still verifies.
    shred = okno_here("case", "shred", tracked.group(1), "--yes", cwd=tmp_path)
    assert shred.returncode == 0 and "personal data shredded" in shred.stdout, shred.stdout + shred.stderr
    verified = okno_here("audit", "verify", tracked.group(1), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.postgres
def test_the_database_url_switches_the_demo_to_postgresql(tmp_path: Path, postgres_url: str) -> None:
    result = okno(
        "demo",
        "--applications",
        "20",
        "--now",
        "2026-11-02T23:00+03:00",
        cwd=tmp_path,
        env={"OKNO_DATABASE_URL": postgres_url},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    opened = re.search(
        r"2026-11-02: \d+ visitors took a ticket \(\d+ booked ahead\), (\d+) cases opened", result.stdout
    )
    assert opened and f"store: {opened.group(1)} cases" in result.stdout, result.stdout
    assert not (tmp_path / "okno.sqlite").exists()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_with_table_creation_off_processes_refuse_to_start_until_okno_migrate(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'okno.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    production = {"OKNO_DATABASE_URL": url, "OKNO_CREATE_TABLES": "no"}
    refused = okno("worker", "--once", cwd=tmp_path, env=production)
    assert refused.returncode == 2 and "missing tables" in refused.stderr and "okno migrate" in refused.stderr
    migrated = okno("migrate", cwd=tmp_path, env={"OKNO_DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    assert "read model jobs v1: position 0 of 0" in migrated.stdout
    again = okno("migrate", cwd=tmp_path, env={"OKNO_DATABASE_URL": url})
    assert again.returncode == 0 and again.stdout == migrated.stdout, "migrate can run again"
    assert okno("worker", "--once", cwd=tmp_path, env=production).returncode == 0
    demo = okno("demo", "--applications", "10", "--now", "2026-11-02T23:00+03:00", cwd=tmp_path, env=production)
    assert demo.returncode == 0 and re.search(r"store: \d+ cases", demo.stdout), demo.stderr
