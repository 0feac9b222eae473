"""The reference data that commands only read (offices, services, process versions) is
one copy shared until the directory changes, and a change is read at once, also one made
by another process; the directory a command changes is still a copy of its own."""

from __future__ import annotations

from dataclasses import replace

from engine.offices import Office
from tests.conftest import OFFICE, BackendContract, EngineMaker, at, seeded

VILLAGE = replace(OFFICE, code="ZMR", name="ТОСП с. Замарайка", kind="remote", parent="LPK", windows=1)


class TestReferenceDirectory(BackendContract):
    def test_reading_commands_share_one_copy_until_the_directory_changes(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        first = engine.reference()
        assert engine.reference() is first  # no copy per command while nothing changed
        engine.open_case(service="mini_service", office="LPK", channel="window", applicant={}, actor="op", at=at())
        assert engine.reference() is first  # a case is not the directory
        assert engine.register_offices([VILLAGE], at(1))
        changed = engine.reference()
        assert changed is not first and "ZMR" in changed.offices and "ZMR" not in first.offices

    def test_a_change_made_by_another_process_is_read_at_once(self, engines: EngineMaker) -> None:
        reader = seeded(engines())
        assert "ZMR" not in reader.reference().offices
        other = engines()  # another engine on the same store, as another process is
        assert other.register_offices([VILLAGE], at(1))
        assert Office.from_dict(reader.reference().offices["ZMR"]).windows == 1

    def test_the_directory_a_command_changes_is_its_own_copy(self, engines: EngineMaker) -> None:
        engine = seeded(engines())
        shared = engine.reference()
        mine = engine.directory()
        assert mine is not shared and mine is not engine.directory()
        mine.register([VILLAGE.to_dict()], at(1))  # changed, never saved
        assert "ZMR" not in engine.reference().offices and "ZMR" not in engine.directory().offices
