"""What the provider says about a member of staff, mapped to okno's subject, role and office."""

from __future__ import annotations

from typing import Any

import pytest

from api.oidc.claims import SignInRefused, claim_at, staff_member
from api.oidc.settings import SignInSettings, parse_role_map

SETTINGS = SignInSettings(issuer="https://sso.example.ru/realms/mfc", client_id="okno", client_secret="s")


def test_keycloak_realm_roles_and_an_office_attribute_make_an_operator_of_that_office() -> None:
    claims = {
        "sub": "f1e2",
        "preferred_username": "o.ivanova",
        "realm_access": {"roles": ["offline_access", "operator"]},
        "office": "LPK",
    }
    member = staff_member(claims, SETTINGS)
    assert (member.subject, member.role, member.office) == ("o.ivanova", "operator", "LPK")


def test_a_flat_roles_claim_counts_when_realm_roles_are_absent() -> None:
    member = staff_member({"sub": "x", "roles": ["auditor"]}, SETTINGS)
    assert (member.subject, member.role, member.office) == ("x", "auditor", None)


def test_someone_with_several_roles_signs_in_as_the_one_asked_for_or_the_first_in_okno_s_order() -> None:
    claims = {"sub": "x", "realm_access": {"roles": ["supervisor", "operator"]}, "office": ["ELC"]}
    assert staff_member(claims, SETTINGS).role == "operator"
    assert staff_member(claims, SETTINGS, wanted_role="supervisor").role == "supervisor"
    assert staff_member(claims, SETTINGS, wanted_role="auditor").role == "operator"  # not held: not granted
    assert staff_member(claims, SETTINGS).roles == ("operator", "supervisor")


def test_an_office_given_to_a_role_not_tied_to_one_is_left_out() -> None:
    member = staff_member({"sub": "x", "roles": ["analyst"], "office": "LPK"}, SETTINGS)
    assert member.office is None


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"sub": "x"}, "нет роли в okno"),
        ({"sub": "x", "roles": ["admin", "uma_authorization"]}, "нет роли в okno"),
        ({"sub": "x", "roles": "operator"}, "должен быть указан офис"),
        ({"sub": "x", "roles": ["expert"], "office": ""}, "должен быть указан офис"),
        ({"sub": "x", "roles": ["expert"], "office": ["LPK", "ELC"]}, "несколько офисов"),
        ({"sub": "", "roles": ["analyst"]}, "кто вы"),
        ({"sub": "a\nb", "roles": ["analyst"]}, "кто вы"),
    ],
)
def test_who_cannot_be_an_okno_user_is_refused_with_a_reason(claims: dict[str, Any], says: str) -> None:
    with pytest.raises(SignInRefused, match=says):
        staff_member(claims, SETTINGS)


def test_with_a_role_map_only_mapped_names_grant_roles() -> None:
    mapped = SignInSettings(
        issuer=SETTINGS.issuer, client_id="okno", client_secret="s", role_map=parse_role_map("mfc-head=supervisor")
    )
    assert staff_member({"sub": "x", "roles": ["mfc-head"], "office": "LPK"}, mapped).role == "supervisor"
    with pytest.raises(SignInRefused):
        staff_member({"sub": "x", "roles": ["operator"], "office": "LPK"}, mapped)


def test_a_claim_path_reads_nested_objects_and_misses_quietly() -> None:
    claims = {"resource_access": {"okno": {"roles": ["operator"]}}, "office": "LPK"}
    assert claim_at(claims, "resource_access.okno.roles") == ["operator"]
    assert claim_at(claims, "resource_access.other.roles") is None
    assert claim_at(claims, "office.code") is None
