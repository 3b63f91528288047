"""Teaching sets: educators curate ordered, annotated cases and share them read-only."""
from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet

from browser.models import TeachingCase, TeachingSet
from browser.roles import ADMIN, ROLES, TEACH, has_capability, roles_of
from cbir.errors import CbirError, NotFound
from ingest.selectors import get_image


class NotAllowed(CbirError):
    http_status = 403


def visible_teaching_sets(user: User) -> QuerySet[TeachingSet]:
    """Own sets, sets shared with students, and sets shared with one of the user's groups."""
    if ADMIN in roles_of(user):
        return TeachingSet.objects.all()
    return TeachingSet.objects.filter(
        Q(owner=user) | Q(is_shared_with_students=True) | Q(shared_with_groups__in=user.groups.all())
    ).distinct()


def is_visible_set(user: User, set_id: int) -> bool:
    return visible_teaching_sets(user).filter(pk=set_id).exists()


def get_visible_set(user: User, set_id: int) -> TeachingSet:
    teaching_set = visible_teaching_sets(user).filter(pk=set_id).first()
    if teaching_set is None:
        raise NotFound(f"no teaching set {set_id} visible to you")
    return teaching_set


def get_editable_set(user: User, set_id: int) -> TeachingSet:
    teaching_set = get_visible_set(user, set_id)
    if not can_edit(user, teaching_set):
        raise NotAllowed("this teaching set is shared with you read-only")
    return teaching_set


def can_edit(user: User, teaching_set: TeachingSet) -> bool:
    return has_capability(user, TEACH) and (teaching_set.owner_id == user.pk or ADMIN in roles_of(user))


def create_teaching_set(*, owner: User, title: str, description: str = "") -> TeachingSet:
    return TeachingSet.objects.create(owner=owner, title=title.strip(), description=description)


def update_teaching_set(*, teaching_set: TeachingSet, title: str | None = None, description: str | None = None,
                        is_shared_with_students: bool | None = None, group_names: list[str] | None = None) -> TeachingSet:
    if title is not None:
        teaching_set.title = title.strip()
    if description is not None:
        teaching_set.description = description
    if is_shared_with_students is not None:
        teaching_set.is_shared_with_students = is_shared_with_students
    with transaction.atomic():
        teaching_set.save()
        if group_names is not None:
            teaching_set.shared_with_groups.set(groups_named(group_names))
    return teaching_set


def list_shareable_groups() -> QuerySet[Group]:
    """Groups an educator may share a set with: cohorts, not the role groups.

    Role groups grant capabilities: sharing with "student" is the "shared with students" switch, and
    sharing with another role would reach people by what they may do rather than whom they teach.
    """
    return Group.objects.exclude(name__in=ROLES).annotate(member_count=Count("user")).order_by("name")


def groups_named(names: list[str]) -> list[Group]:
    """The shareable groups of these names; a role group's name is unknown here, like a missing one."""
    groups = list(Group.objects.exclude(name__in=ROLES).filter(name__in=names))
    missing = sorted(set(names) - {group.name for group in groups})
    if missing:
        raise CbirError(f"unknown groups: {', '.join(missing)}")
    return groups


def add_case(*, teaching_set: TeachingSet, image_id: int, teaching_note: str = "", key_findings: str = "") -> TeachingCase:
    image = get_image(image_id)
    with transaction.atomic():
        if teaching_set.cases.filter(image=image).exists():
            raise CbirError(f"image {image_id} is already in this teaching set")
        last = teaching_set.cases.aggregate(last=Max("position"))["last"]
        case = TeachingCase.objects.create(teaching_set=teaching_set, image=image,
                                           position=0 if last is None else last + 1,
                                           teaching_note=teaching_note, key_findings=key_findings)
        teaching_set.save(update_fields=["updated_at"])
    return case


def get_case(teaching_set: TeachingSet, case_id: int) -> TeachingCase:
    case = teaching_set.cases.filter(pk=case_id).first()
    if case is None:
        raise NotFound(f"no case {case_id} in teaching set {teaching_set.pk}")
    return case


def annotate_case(*, case: TeachingCase, teaching_note: str | None = None, key_findings: str | None = None) -> TeachingCase:
    if teaching_note is not None:
        case.teaching_note = teaching_note
    if key_findings is not None:
        case.key_findings = key_findings
    case.save()
    return case


def remove_case(*, case: TeachingCase) -> None:
    case.delete()


def reorder_cases(*, teaching_set: TeachingSet, case_ids: list[int]) -> list[TeachingCase]:
    """Set the order to `case_ids`, which must name every case of the set exactly once."""
    cases = {case.pk: case for case in teaching_set.cases.all()}
    if sorted(case_ids) != sorted(cases):
        raise CbirError(f"the new order must list every case of the set once: {sorted(cases)}")
    with transaction.atomic():
        for position, case_id in enumerate(case_ids):
            TeachingCase.objects.filter(pk=case_id).update(position=position)
    return list(teaching_set.cases.all())
