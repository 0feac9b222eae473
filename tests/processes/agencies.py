"""Which agency a text names: the forms a citizen reads on a terminal, per agency.

Matching is on lower-cased stems, so the Russian cases are one entry (Росреестр,
Росреестра, Росреестре). ГИС ГМП (the treasury's payment system) and СМЭВ are systems, not
agencies: a stage naming them names no agency."""

from __future__ import annotations

AGENCY_FORMS: dict[str, tuple[str, ...]] = {
    "Росреестр": ("росреестр", "регистрирующ"),
    "МВД": ("мвд", "министерств внутренних дел", "министерства внутренних дел", "полици", "по вопросам миграции"),
    "ФНС": ("фнс", "налогов", "инспекци"),
    "СФР": ("сфр", "социальн фонд", "социального фонда", "социальный фонд", "пенсионн"),
    "ЗАГС": ("загс", "записи актов гражданского состояния"),
    "администрация": ("администрац", "орган местного самоуправления", "органа местного самоуправления"),
    "социальная защита": ("социальной защиты", "соцзащит", "усзн"),
    "сетевая организация": ("россети", "липецкэнерго", "сетевой организац", "сетевую организац"),
}


def agencies_named(text: str) -> list[str]:
    """The agencies ``text`` names, in the table's order."""
    folded = text.casefold()
    return [agency for agency, forms in AGENCY_FORMS.items() if any(form in folded for form in forms)]


def foreign_agencies(stage: str, own: str) -> list[str]:
    """The agencies a stage names that are not ``own`` (a service's ``agency`` text)."""
    mine = set(agencies_named(own))
    return [agency for agency in agencies_named(stage) if agency not in mine]
