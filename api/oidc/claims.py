"""From what the identity provider says about a member of staff to who they are in okno:
a subject, one okno role and, for office staff, their office."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.auth import OFFICE_ROLES, ROLES
from api.oidc.settings import SignInSettings
from engine.errors import OknoError


class SignInRefused(OknoError):
    """The provider vouched for the person, but okno cannot let them in: the message says why
    in words a member of staff can take to their administrator."""

    code = "sign_in_refused"


@dataclass(frozen=True)
class StaffMember:
    subject: str
    role: str
    office: str | None
    roles: tuple[str, ...]  # every okno role the claims grant, in okno's order


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``realm_access.roles``), or None where any step is missing."""
    value: Any = claims
    for step in path.split("."):
        if not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    return value


def staff_member(claims: Mapping[str, Any], settings: SignInSettings, wanted_role: str | None = None) -> StaffMember:
    """Map verified claims to okno's terms. A person with several okno roles signs in as
    ``wanted_role`` if they hold it, else as the first of theirs in okno's order of roles."""
    roles = _okno_roles(claims, settings)
    if not roles:
        raise SignInRefused(
            f"У вашей учётной записи нет роли в okno. Попросите администратора назначить роль ({', '.join(ROLES)})."
        )
    role = wanted_role if wanted_role in roles else roles[0]
    office = _office(claims, settings) if role in OFFICE_ROLES else None
    if role in OFFICE_ROLES and office is None:
        raise SignInRefused(
            f"Для роли «{role}» в учётной записи должен быть указан офис МФЦ (атрибут «{settings.office_claim}»). "
            "Обратитесь к администратору."
        )
    return StaffMember(_subject(claims, settings), role, office, roles)


def _okno_roles(claims: Mapping[str, Any], settings: SignInSettings) -> tuple[str, ...]:
    held: set[str] = set()
    for path in settings.role_claims:
        for name in _strings(claim_at(claims, path)):
            role = settings.okno_role(name)
            if role is not None:
                held.add(role)
    return tuple(role for role in ROLES if role in held)


def _office(claims: Mapping[str, Any], settings: SignInSettings) -> str | None:
    """One office: a string, or a list of one (a multi-valued user attribute). Several offices
    are refused rather than guessed: an okno token acts in one office."""
    offices = [office.strip() for office in _strings(claim_at(claims, settings.office_claim)) if office.strip()]
    if len(offices) > 1:
        raise SignInRefused(
            f"В учётной записи указано несколько офисов ({', '.join(offices)}); сотрудник работает в одном. "
            "Обратитесь к администратору."
        )
    return offices[0] if offices and _printable(offices[0], 50) else None


def _subject(claims: Mapping[str, Any], settings: SignInSettings) -> str:
    for candidate in (claim_at(claims, settings.subject_claim), claims.get("sub")):
        if isinstance(candidate, str) and _printable(candidate, 200):
            return candidate
    raise SignInRefused("Поставщик входа не сообщил, кто вы (нет ни имени пользователя, ни идентификатора).")


def _strings(value: Any) -> Sequence[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def _printable(text: str, longest: int) -> bool:
    return (
        0 < len(text) <= longest
        and bool(text.strip())
        and not any(unicodedata.category(c).startswith("C") for c in text)
    )
