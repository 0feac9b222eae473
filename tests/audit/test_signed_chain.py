"""Events are signed with the writer's key, which the database never holds: an
administrator who edits an event and recomputes its effects and the chain with okno's own
code is caught by the signature; auditors verify with public keys alone; a rotation shows
which key signed from when; stores written before signing verify as unsigned, distinctly."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.application import Engine
from engine.signing import PublicKey, Signer
from engine.store import parse_url
from okno.bootstrap import new_engine
from tests.audit.tampering import FORGER, NEXT_KEY, NEXT_PUBLIC_KEY, PUBLIC_KEY, Tables, audit
from tests.commands import okno
from tests.conftest import MASTER_KEY, BackendContract, EngineMaker, Entropy, at, seeded

# Slow: each test fills a signed store and forges it (seconds each); the README's command runs them.
pytestmark = pytest.mark.slow

KEY_ID = PublicKey.from_pem(PUBLIC_KEY.read_bytes()).key_id


def three_cases(engine: Engine, day: float = 0) -> list[str]:
    numbers = []
    for _ in range(3):
        number = engine.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at(days=day)
        ).number
        engine.complete_task(number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5, day))
        engine.deliver_message(number, "agency_answer", {}, actor="agency", at=at(days=day + 1))
        numbers.append(number)
    return numbers


def fresh_entropy(start: int) -> Entropy:
    """Entropy of its own for each engine of a test, so their case numbers differ."""
    entropy = Entropy()
    entropy.counter = start
    return entropy


def unsigned_engine(url: str, start: int = 0) -> Engine:
    """An engine writing as okno did before signing began (no signer)."""
    return Engine(parse_url(url), master_key=MASTER_KEY, entropy=fresh_entropy(start))


class TestSignedChain(BackendContract):
    def test_every_event_is_signed_and_verifies_with_the_public_key_alone(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        assert all(e.key == KEY_ID and e.signature for n in numbers for e in engine.case_events(n))
        # The auditor's machine has no private key at all: only the public key file.
        auditor = {"OKNO_DATABASE_URL": url, "OKNO_SIGNING_KEY": ""}
        result = okno("audit", "verify", "--all", "--public-key", str(PUBLIC_KEY), cwd=tmp_path, env=auditor)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "3 of 3 cases verified, 0 diverged, 0 unsigned" in result.stdout
        assert f"signed by key {KEY_ID}: 9 events" in result.stdout
        assert not (tmp_path / "okno-signing.key").exists(), "an auditor's verify needs no private key, makes none"

    def test_an_event_edited_and_rechained_with_okno_code_fails_on_its_signature(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        tables = Tables(engine)
        state = tables.read(numbers[1], 2)
        state["actor"] = "someone-else"  # the effects still replay: only a key can tell
        tables.write(numbers[1], 2, state)
        tables.rechain(numbers[1], 3)  # chain recomputed; the old signatures kept
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1
        assert f"{numbers[1]} (process version " in result.stdout
        assert f"v2: its signature does not verify with key {KEY_ID}" in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout
        shown = audit(url, tmp_path, "case", "show", numbers[1])
        assert shown.returncode == 2 and f"case {numbers[1]} cannot be loaded" in shown.stderr, shown.stderr

    def test_an_event_re_signed_with_the_administrators_own_key_fails_verify(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        tables = Tables(engine)
        state = tables.read(numbers[0], 3)
        state["actor"] = "forged-agency"
        tables.write(numbers[0], 3, state)
        tables.rechain(numbers[0], 3, signer=FORGER)
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1
        assert f"v1: it is signed by key {FORGER.key_id}, which is not among the trusted public keys" in result.stdout
        assert "2 of 3 cases verified, 1 diverged" in result.stdout

    def test_a_stripped_signature_is_not_taken_for_an_event_recorded_before_signing(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        engine = seeded(engines())
        numbers = three_cases(engine)
        tables = Tables(engine)
        state = tables.read(numbers[2], 3)
        state["key"] = state["signature"] = None
        tables.write(numbers[2], 3, state)
        tables.rechain(numbers[2], 3)
        state = tables.read(numbers[2], 3)
        state["key"] = None  # rechain kept the key it found: strip it again, hash and all
        tables.write(numbers[2], 3, state)
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1
        assert f"{numbers[2]}" in result.stdout and "v3: the event is unsigned, after signed ones" in result.stdout

    def test_a_store_written_before_signing_verifies_as_unsigned_not_as_verified(
        self, url: str, tmp_path: Path
    ) -> None:
        old = seeded(unsigned_engine(url))
        numbers = three_cases(old)
        assert all(e.key is None and e.signature is None for n in numbers for e in old.case_events(n))
        old.close()
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 3, result.stdout + result.stderr
        assert "0 of 3 cases verified, 0 diverged, 3 unsigned (recorded before signing)" in result.stdout
        assert f"{numbers[0]}: unsigned (recorded before signing), v1–v3" in result.stdout

    def test_an_old_case_goes_on_signed_and_an_unsigned_case_after_signing_began_fails(
        self, url: str, tmp_path: Path
    ) -> None:
        old = seeded(unsigned_engine(url))
        legacy = old.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at()
        )
        old.close()
        signed = new_engine(parse_url(url), master_key=MASTER_KEY, entropy=fresh_entropy(1000))
        signed.complete_task(legacy.number, "Task_Reception", {"documents_complete": True}, actor="op", at=at(5))
        new_numbers = three_cases(signed, day=2)
        signed.close()
        late = unsigned_engine(url, 2000)  # a writer without a key, after signing began: a forgery's shape
        forged = late.open_case(
            service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at(days=5)
        )
        late.close()
        result = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"{legacy.number}: unsigned (recorded before signing), v1\n" in result.stdout
        assert f"{forged.number} (process version" in result.stdout
        assert "unsigned events recorded after signing began" in result.stdout
        assert f"3 of {len(new_numbers) + 2} cases verified, 1 diverged, 1 unsigned" in result.stdout

    def test_a_key_rotation_shows_which_key_signed_from_when(
        self, engines: EngineMaker, url: str, tmp_path: Path
    ) -> None:
        first = seeded(engines())
        before = three_cases(first)
        first.close()
        rotated = Engine(
            parse_url(url),
            master_key=MASTER_KEY,
            entropy=fresh_entropy(1000),
            signer=Signer.from_pem(NEXT_KEY.read_bytes()),
            retired_keys=[PublicKey.from_pem(PUBLIC_KEY.read_bytes())],
        )
        after = three_cases(rotated, day=3)  # the cases signed before still load under the new key
        rotated.close()
        next_id = PublicKey.from_pem(NEXT_PUBLIC_KEY.read_bytes()).key_id
        both = ("--public-key", str(PUBLIC_KEY), "--public-key", str(NEXT_PUBLIC_KEY))
        result = audit(url, tmp_path, "audit", "verify", "--all", *both)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        old_line = next(i for i, line in enumerate(lines) if line.startswith(f"signed by key {KEY_ID}: 9 events"))
        new_line = next(i for i, line in enumerate(lines) if line.startswith(f"signed by key {next_id}: 9 events"))
        assert old_line < new_line and at(days=3).isoformat() in lines[new_line]
        only_old = audit(url, tmp_path, "audit", "verify", "--all", "--public-key", str(PUBLIC_KEY))
        assert only_old.returncode == 1
        assert f"it is signed by key {next_id}, which is not among the trusted public keys" in only_old.stdout
        assert f"3 of {len(before) + len(after)} cases verified, 3 diverged" in only_old.stdout


def test_keys_create_writes_a_key_and_its_public_key_and_never_overwrites(tmp_path: Path) -> None:
    created = okno("keys", "create", "--output", "writer.key", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    signer = Signer.from_pem((tmp_path / "writer.key").read_bytes())
    public = PublicKey.from_pem((tmp_path / "writer.key.pub").read_bytes())
    assert public.key_id == signer.key_id and f"signing key {signer.key_id}" in created.stdout
    assert "BEGIN PUBLIC KEY" in created.stdout
    again = okno("keys", "create", "--output", "writer.key", cwd=tmp_path)
    assert again.returncode != 0 and "never overwritten" in again.stderr
    assert Signer.from_pem((tmp_path / "writer.key").read_bytes()).key_id == signer.key_id
