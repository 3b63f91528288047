"""Teaching sets: educators curate ordered, annotated cases and share them read-only."""
from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet

from browser.models import TeachingCase, TeachingSet
from browser.roles import ADMIN, ROLES, TEACH, has_capability, roles_of
from cbir.errors import CbirError, NotFound
from ingest.models import Image
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


def editable_teaching_sets(user: User) -> QuerySet[TeachingSet]:
    """The visible sets this user may edit (the same rule as `edit_rights`, as a query)."""
    if not has_capability(user, TEACH):
        return TeachingSet.objects.none()
    sets = visible_teaching_sets(user)
    return sets if ADMIN in roles_of(user) else sets.filter(owner=user)


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
    return edit_rights(user)(teaching_set)


def edit_rights(user: User):
    """(teaching set) -> may this user edit it; the user's roles are read once, not once per set."""
    teacher, admin = has_capability(user, TEACH), ADMIN in roles_of(user)
    return lambda teaching_set: teacher and (teaching_set.owner_id == user.pk or admin)


def with_case_counts(sets: QuerySet[TeachingSet]) -> QuerySet[TeachingSet]:
    """Sets with their groups and their shown and withheld case counts in two queries, not three per set."""
    ready = Q(cases__image__status=Image.Status.READY)
    return sets.prefetch_related("shared_with_groups").annotate(
        shown_count=Count("cases", filter=ready, distinct=True),
        withheld_count=Count("cases", filter=~ready, distinct=True))


def shown_cases(teaching_set: TeachingSet) -> QuerySet[TeachingCase]:
    """The set's cases in order, without images quarantined since they were added (as search hides them)."""
    return teaching_set.cases.filter(image__status=Image.Status.READY).order_by("position", "pk")


def withheld_case_count(teaching_set: TeachingSet) -> int:
    return teaching_set.cases.exclude(image__status=Image.Status.READY).count()


def create_teaching_set(*, owner: User, title: str, description: str = "") -> TeachingSet:
    return TeachingSet.objects.create(owner=owner, title=title.strip(), description=description)


def update_teaching_set(*, teaching_set: TeachingSet, title: str | None = None, description: str | None = None,
                        is_shared_with_students: bool | None = None, group_names: list[str] | None = None) -> TeachingSet:
    """Change only the fields given, so two editors changing different fields do not undo each other."""
    changed = {"title": None if title is None else title.strip(), "description": description,
               "is_shared_with_students": is_shared_with_students}
    changed = {field: value for field, value in changed.items() if value is not None}
    for field, value in changed.items():
        setattr(teaching_set, field, value)
    with transaction.atomic():
        teaching_set.save(update_fields=[*changed, "updated_at"])
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
    try:
        with transaction.atomic():
            TeachingSet.objects.select_for_update().filter(pk=teaching_set.pk).first()  # one writer per set
            if teaching_set.cases.filter(image=image).exists():
                raise CbirError(f"image {image_id} is already in this teaching set")
            last = teaching_set.cases.aggregate(last=Max("position"))["last"]
            case = TeachingCase.objects.create(teaching_set=teaching_set, image=image,
                                               position=0 if last is None else last + 1,
                                               teaching_note=teaching_note, key_findings=key_findings)
            teaching_set.save(update_fields=["updated_at"])
    except IntegrityError:  # a concurrent request added it first
        raise CbirError(f"image {image_id} is already in this teaching set") from None
    return case


def get_case(teaching_set: TeachingSet, case_id: int) -> TeachingCase:
    case = teaching_set.cases.filter(pk=case_id).first()
    if case is None:
        raise NotFound(f"no case {case_id} in teaching set {teaching_set.pk}")
    return case


def annotate_case(*, case: TeachingCase, teaching_note: str | None = None, key_findings: str | None = None) -> TeachingCase:
    changed = {field: value for field, value in {"teaching_note": teaching_note, "key_findings": key_findings}.items()
               if value is not None}
    for field, value in changed.items():
        setattr(case, field, value)
    with transaction.atomic():
        case.save(update_fields=list(changed))  # never the position: a concurrent reorder stands
        case.teaching_set.save(update_fields=["updated_at"])
    return case


def remove_case(*, case: TeachingCase) -> None:
    """Delete the case and close the gap, so positions stay 0..n-1."""
    teaching_set = case.teaching_set
    with transaction.atomic():
        case.delete()
        for position, remaining in enumerate(teaching_set.cases.order_by("position", "pk")):
            if remaining.position != position:
                TeachingCase.objects.filter(pk=remaining.pk).update(position=position)
        teaching_set.save(update_fields=["updated_at"])


def reorder_cases(*, teaching_set: TeachingSet, case_ids: list[int]) -> list[TeachingCase]:
    """Set the order to `case_ids`, which must name every case of the set exactly once."""
    with transaction.atomic():
        TeachingSet.objects.select_for_update().filter(pk=teaching_set.pk).first()
        cases = set(teaching_set.cases.values_list("pk", flat=True))
        if sorted(case_ids) != sorted(cases):
            raise CbirError(f"the new order must list every case of the set once: {sorted(cases)}")
        for position, case_id in enumerate(case_ids):
            TeachingCase.objects.filter(pk=case_id).update(position=position)
        teaching_set.save(update_fields=["updated_at"])
    return list(teaching_set.cases.order_by("position", "pk"))
