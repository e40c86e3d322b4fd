"""Read queries of the kanban app (HackSoft style: selectors read, services write)."""


# --- part A: projects, members, boards, labels ------------------------------------------------------

from uuid import UUID

from django.db.models import OuterRef, QuerySet, Subquery

from apps.kanban.models import Board, Label, Membership, Project


def project_list_for_user(*, user_id: UUID) -> QuerySet[Project]:
    """The projects ``user_id`` is a member of, each annotated with ``role`` (the caller's role)."""
    role = Membership.objects.filter(project=OuterRef("pk"), user_id=user_id).values("role")[:1]
    return Project.objects.filter(memberships__user_id=user_id).annotate(role=Subquery(role))


def membership_list(*, project_id: UUID) -> QuerySet[Membership]:
    return Membership.objects.filter(project_id=project_id)


def board_list(*, project_id: UUID) -> QuerySet[Board]:
    return Board.objects.filter(project_id=project_id)


def label_list(*, board_id: UUID) -> QuerySet[Label]:
    return Label.objects.filter(board_id=board_id)
