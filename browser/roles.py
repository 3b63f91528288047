"""Roles (Django groups) and what each may do. Roles add capabilities to the student's."""
from __future__ import annotations

STUDENT, EDUCATOR, RESEARCHER, CURATOR, ADMIN = "student", "educator", "researcher", "curator", "admin"
ROLES = (STUDENT, EDUCATOR, RESEARCHER, CURATOR, ADMIN)

BROWSE = "browse"  # search, view cases, view shared teaching sets, the map, evaluations
TEACH = "teach"  # create, annotate, share and export teaching sets
RESEARCH = "research"  # saved searches and result exports
CURATE = "curate"  # ingestion, models, indexes, quarantine review, rejections
ADMINISTER = "administer"  # accounts

CAPABILITIES_OF_ROLE = {
    STUDENT: {BROWSE},
    EDUCATOR: {BROWSE, TEACH},
    RESEARCHER: {BROWSE, RESEARCH},
    CURATOR: {BROWSE, CURATE},
    ADMIN: {BROWSE, TEACH, RESEARCH, CURATE, ADMINISTER},
}


def roles_of(user) -> list[str]:
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return [ADMIN]
    return sorted(set(user.groups.values_list("name", flat=True)) & set(ROLES))


def capabilities_of(user) -> set[str]:
    return set().union(*(CAPABILITIES_OF_ROLE[role] for role in roles_of(user))) if user else set()


def has_capability(user, capability: str) -> bool:
    return capability in capabilities_of(user)
