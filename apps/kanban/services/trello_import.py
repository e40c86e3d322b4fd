"""Import a Trello board export into a project as a new board, through the kanban write path.

Flow: the API streams the upload to default storage (``imports/<id>.json``) and creates a
:class:`BoardImport` row (``queued``); after commit, the Celery task ``kanban.import_board`` (in-process on
the embedded default) calls :func:`run_import`, which reads the file back from storage (so the worker may
be another machine), validates it (:mod:`trello_format`) and writes the whole board in **one
transaction**: a failure anywhere rolls everything back (board, columns, tasks, numbers) and the import is
``failed`` with the error. The stored file is deleted when the import ends either way.

Writes go through the write path's pieces: the board through ``boards.board_create`` (``board.created``),
task numbers from ``Project.next_number`` (one ``UPDATE`` reserving the whole block, in the transaction),
positions from :mod:`positions`, and one ``board.imported`` activity entry carrying the counts (not one
``task.created`` per card). Rows are bulk-created.

Mapping (see the app README): lists → columns in ``pos`` order (a closed list becomes a column whose
cards are all archived: columns have no archived flag; a warning says so); cards → tasks in ``pos``
order; ``closed`` → archived; ``dueComplete`` → no reminders; labels → labels with Trello's colour as hex;
checklists → the task's checklist (several checklists of a card are concatenated in order); ``commentCard``
actions → comments, authored by the project member matched by username (their email's local part) or full
name (display name), else by the importer with an "Originally by <name>" prefix. Unmatched members are
listed in ``warnings``.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.account.services import AccountService, account_service
from apps.kanban.models import (
    BoardImport,
    ChecklistItem,
    Column,
    Comment,
    ImportStatus,
    Label,
    Membership,
    Project,
    Role,
    Task,
    TaskAssignee,
    TaskLabel,
)
from apps.kanban.services import boards, changes
from apps.kanban.services.access import project_access
from apps.kanban.services.errors import ImportFileMissingError, KanbanNotFoundError
from apps.kanban.services.positions import key_between
from apps.kanban.services.trello_format import (
    NO_COLOR,
    TRELLO_COLORS,
    TrelloBoard,
    TrelloChecklist,
    TrelloComment,
    TrelloMemberRef,
    parse_board,
)
from gau import blobs
from gau.rpc import ServiceError

logger = logging.getLogger(__name__)

#: Largest file accepted (the API answers 413 above it).
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Rows per INSERT of a bulk create.
BATCH = 1000
#: How long a running import's progress stays in the cache.
PROGRESS_TTL = 6 * 3600
#: Seconds after its first start past which a ``running`` import is failed (``interrupted``) instead of
#: run again: the task's hard time limit (1,800 s) plus a margin. ``settings.KANBAN_IMPORT_STUCK_AFTER``.
STUCK_AFTER = 2100
INTERRUPTED = {
    "code": "kanban.import_interrupted",
    "message": "The import was interrupted (its worker stopped) and did not finish in time; nothing was "
    "imported. Upload the file again.",
    "details": {},
}

Progress = Callable[[int], None]


def progress_key(import_id: uuid.UUID) -> str:
    return f"kanban:import:{import_id}:progress"


def blob_key_for(import_id: uuid.UUID) -> str:
    return f"imports/{import_id}.json"


# --- matching Trello members to project members -----------------------------------------------------


def _norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


@dataclass(frozen=True)
class MemberMatcher:
    """Project members by username (their email's local part) and by display name, both case-folded."""

    by_username: dict[str, uuid.UUID]
    by_name: dict[str, uuid.UUID]

    def match(self, member: TrelloMemberRef) -> uuid.UUID | None:
        if member.username and _norm(member.username) in self.by_username:
            return self.by_username[_norm(member.username)]
        if member.fullName and _norm(member.fullName) in self.by_name:
            return self.by_name[_norm(member.fullName)]
        return None


def member_matcher(project_id: uuid.UUID) -> MemberMatcher:
    """The project's members, with one batched account call per 1,000 (never inside a transaction)."""
    ids = list(Membership.objects.filter(project_id=project_id).order_by("joined_at").values_list("user_id", flat=True))
    by_username: dict[str, uuid.UUID] = {}
    by_name: dict[str, uuid.UUID] = {}
    for start in range(0, len(ids), AccountService.MAX_BATCH):
        for user in account_service.get_users(user_ids=ids[start : start + AccountService.MAX_BATCH]):
            if not user.is_active:
                continue
            by_username.setdefault(_norm(user.email.split("@", 1)[0]), user.id)
            if user.display_name:
                by_name.setdefault(_norm(user.display_name), user.id)
    return MemberMatcher(by_username=by_username, by_name=by_name)


def _member_label(member: TrelloMemberRef) -> str:
    return member.fullName or member.username or member.id


# --- the import itself ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    board_id: uuid.UUID
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


def _chain(count: int) -> list[str]:
    """``count`` ascending position keys for an empty container (what appending one by one gives)."""
    keys: list[str] = []
    last: str | None = None
    for _ in range(count):
        last = key_between(last, None)
        keys.append(last)
    return keys


def _clip(text: str, limit: int, fallback: str) -> tuple[str, bool]:
    text = text.strip()
    if not text:
        return fallback, False
    return (text[:limit], True) if len(text) > limit else (text, False)


class _Import:
    """One import's state while its rows are built (inside the caller's transaction)."""

    def __init__(
        self,
        *,
        user_id: uuid.UUID,
        project_id: uuid.UUID,
        data: TrelloBoard,
        matcher: MemberMatcher,
        on_progress: Progress,
    ) -> None:
        self.user_id = user_id
        self.project_id = project_id
        self.data = data
        self.matcher = matcher
        self.on_progress = on_progress
        self.now = timezone.now()
        self.warnings: list[str] = []
        self.members_now = set(Membership.objects.filter(project_id=project_id).values_list("user_id", flat=True))
        self.members_by_id = {m.id: m for m in data.members}
        self.matched: dict[str, uuid.UUID | None] = {}
        self.unmatched: dict[str, TrelloMemberRef] = {}
        self.lists = sorted(enumerate(data.lists), key=lambda pair: (pair[1].pos, pair[0]))
        self.column_of: dict[str, Column] = {}
        self.closed_lists: set[str] = set()
        self.label_of: dict[str, Label] = {}
        self.task_of: dict[str, Task] = {}
        self.first_number = 0
        self.cut_titles = 0
        self.counts: dict[str, int] = {}

    def member(self, member_id: str, ref: TrelloMemberRef | None = None) -> uuid.UUID | None:
        """The project member a Trello member maps to (None, and a warning, when nobody matches)."""
        if member_id not in self.matched:
            member = self.members_by_id.get(member_id) or ref or TrelloMemberRef(id=member_id)
            found = self.matcher.match(member)
            self.matched[member_id] = found if found in self.members_now else None
            if self.matched[member_id] is None:
                self.unmatched[member_id] = member
        return self.matched[member_id]

    def columns(self, board_id: uuid.UUID) -> None:
        """Every list in pos order (file order breaks ties); a closed list's cards will be archived."""
        columns: list[Column] = []
        for (_, lst), position in zip(self.lists, _chain(len(self.lists)), strict=True):
            name, _cut = _clip(lst.name, 200, "Untitled list")
            column = Column(
                board_id=board_id,
                name=name,
                position=position,
                wip_limit=lst.softLimit if lst.softLimit and lst.softLimit > 0 else None,
                is_done=lst.gauIsDone,
                created_at=self.now,
                updated_at=self.now,
            )
            columns.append(column)
            self.column_of[lst.id] = column
            if lst.closed:
                self.closed_lists.add(lst.id)
                self.warnings.append(
                    f"List {lst.name!r} is closed in Trello: it was imported as a column with all its cards "
                    "archived (columns cannot be archived)."
                )
        Column.objects.bulk_create(columns, batch_size=BATCH)
        self.counts["columns"] = len(columns)

    def labels(self, board_id: uuid.UUID) -> None:
        unknown_colors: set[str] = set()
        for order, lab in enumerate(self.data.labels):
            if lab.gauColor:
                color = lab.gauColor.lower()
            elif lab.color is None:
                color = NO_COLOR
            else:
                color = TRELLO_COLORS.get(lab.color, NO_COLOR)
                if lab.color not in TRELLO_COLORS:
                    unknown_colors.add(lab.color)
            name, _cut = _clip(lab.name or "", 100, lab.color or "label")
            # Labels list oldest first: a microsecond apart keeps the file's order.
            self.label_of[lab.id] = Label(
                board_id=board_id, name=name, color=color, created_at=self.now + timedelta(microseconds=order)
            )
        Label.objects.bulk_create(self.label_of.values(), batch_size=BATCH)
        if unknown_colors:
            self.warnings.append(
                f"Unknown Trello label colours {sorted(unknown_colors)} were imported as grey ({NO_COLOR})."
            )
        self.counts["labels"] = len(self.label_of)

    def tasks(self, board_id: uuid.UUID) -> None:
        """Cards by list order, then pos; numbers reserved as one block from the project's counter."""
        list_rank = {lst.id: rank for rank, (_, lst) in enumerate(self.lists)}
        cards = sorted(enumerate(self.data.cards), key=lambda p: (list_rank[p[1].idList], p[1].pos, p[0]))
        total = len(cards)
        if total:
            Project.objects.filter(id=self.project_id).update(next_number=F("next_number") + total)
        self.first_number = (
            Project.objects.filter(id=self.project_id).values_list("next_number", flat=True).get() - total
        )
        per_list: dict[str, int] = defaultdict(int)
        for _, card in cards:
            per_list[card.idList] += 1
        keys = {list_id: iter(_chain(count)) for list_id, count in per_list.items()}
        links: list[TaskLabel] = []
        assignees: list[TaskAssignee] = []
        unknown_labels = 0
        for index, (_, card) in enumerate(cards):
            column = self.column_of[card.idList]
            title, cut = _clip(card.name, 500, "Untitled card")
            self.cut_titles += cut
            task = Task(
                project_id=self.project_id,
                board_id=board_id,
                column_id=column.id,
                number=self.first_number + index,
                title=title,
                description=card.desc,
                priority=card.gauPriority or "none",
                due_at=card.due,
                completed_at=self.now if column.is_done else None,
                position=next(keys[card.idList]),
                archived=card.closed or card.idList in self.closed_lists,
                reminders=[] if card.dueComplete else card.gauReminders,
                created_by=self.user_id,
                created_at=self.now,
                updated_at=self.now,
            )
            self.task_of[card.id] = task
            for label_id in dict.fromkeys(card.idLabels):
                if label_id in self.label_of:
                    links.append(TaskLabel(task_id=task.id, label_id=self.label_of[label_id].id))
                else:
                    unknown_labels += 1
            for member_id in dict.fromkeys(card.idMembers):
                user = self.member(member_id)
                if user is not None:
                    assignees.append(TaskAssignee(task_id=task.id, user_id=user, assigned_at=self.now))
        rows = list(self.task_of.values())
        for start in range(0, total, BATCH):
            Task.objects.bulk_create(rows[start : start + BATCH])
            self.on_progress(15 + 50 * min(start + BATCH, total) // total)
        TaskLabel.objects.bulk_create(links, batch_size=BATCH)
        TaskAssignee.objects.bulk_create(assignees, batch_size=BATCH)
        if unknown_labels:
            self.warnings.append(f"{unknown_labels} label references name no label in the file and were skipped.")
        self.counts["tasks"] = total

    def checklists(self) -> None:
        """A card's checklists in pos order, each one's items in pos order, as the task's one checklist."""
        of_card: dict[str, list[TrelloChecklist]] = defaultdict(list)
        orphans = 0
        for _, checklist in sorted(enumerate(self.data.checklists), key=lambda pair: (pair[1].pos, pair[0])):
            if checklist.idCard in self.task_of:
                of_card[checklist.idCard].append(checklist)
            else:
                orphans += 1
        items: list[ChecklistItem] = []
        cut_items = 0
        for card_id, card_checklists in of_card.items():
            task = self.task_of[card_id]
            entries = [
                item
                for checklist in card_checklists
                for _, item in sorted(enumerate(checklist.checkItems), key=lambda pair: (pair[1].pos, pair[0]))
            ]
            for item, position in zip(entries, _chain(len(entries)), strict=True):
                title, cut = _clip(item.name, 500, "Untitled item")
                cut_items += cut
                items.append(
                    ChecklistItem(
                        task_id=task.id,
                        title=title,
                        done=item.state == "complete",
                        position=position,
                        created_at=self.now,
                    )
                )
        ChecklistItem.objects.bulk_create(items, batch_size=BATCH)
        if self.cut_titles or cut_items:
            self.warnings.append(
                f"{self.cut_titles} card and {cut_items} checklist item titles were cut to 500 characters."
            )
        if orphans:
            self.warnings.append(f"{orphans} checklists belong to cards not in the file and were skipped.")
        self.counts["checklist_items"] = len(items)

    def comments(self) -> None:
        """``commentCard`` actions, oldest first (Trello lists actions newest first; file order breaks ties)."""
        actions = [a for a in reversed(self.data.actions) if isinstance(a, TrelloComment)]
        actions.sort(key=lambda a: a.date)
        comments: list[Comment] = []
        orphans = 0
        for action in actions:
            target = self.task_of.get(action.data.card.id)
            if target is None:
                orphans += 1
                continue
            member_id = action.idMemberCreator or (action.memberCreator.id if action.memberCreator else "")
            author = self.member(member_id, action.memberCreator) if member_id else None
            body = action.data.text
            if author is None:
                ref = self.members_by_id.get(member_id) or action.memberCreator
                body = f"Originally by {_member_label(ref) if ref else 'an unknown Trello member'}:\n\n{body}"
            comments.append(
                Comment(task_id=target.id, author_id=author or self.user_id, body=body, created_at=action.date)
            )
        Comment.objects.bulk_create(comments, batch_size=BATCH)
        if orphans:
            self.warnings.append(
                f"{orphans} comments belong to cards not in the file (deleted in Trello) and were skipped."
            )
        self.counts["comments"] = len(comments)

    def member_warnings(self) -> None:
        """One warning per Trello member (of the board, a card or a comment) that matched nobody."""
        for board_member in self.data.members:
            self.member(board_member.id)
        for member in self.unmatched.values():
            handle = f" (@{member.username})" if member.username else ""
            self.warnings.append(
                f"Trello member {_member_label(member)}{handle} matches no project member: not assigned; their "
                "comments are posted by the importer with an “Originally by” line."
            )


def import_board(
    *,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    data: TrelloBoard,
    matcher: MemberMatcher,
    import_id: uuid.UUID | None = None,
    on_progress: Progress = lambda _: None,
) -> ImportResult:
    """Create a board in ``project_id`` from ``data`` (project admins). Must run inside ``atomic``.

    404 for a non-member, 403 below admin. Everything written here is rolled back with the caller's
    transaction if anything fails.
    """
    access = project_access(project_id=project_id, user_id=user_id, role=Role.ADMIN)
    state = _Import(user_id=user_id, project_id=project_id, data=data, matcher=matcher, on_progress=on_progress)
    board_name, _ = _clip(data.name, 200, "Imported board")
    board = boards.board_create(user_id=user_id, project_id=project_id, name=board_name)
    state.columns(board.id)
    state.labels(board.id)
    on_progress(15)
    state.tasks(board.id)
    on_progress(70)
    state.checklists()
    on_progress(85)
    state.comments()
    on_progress(95)
    state.member_warnings()
    counts = {k: state.counts[k] for k in ("columns", "tasks", "labels", "checklist_items", "comments")}
    total = counts["tasks"]
    changes.record(
        verb="board.imported",
        project_id=project_id,
        board_id=board.id,
        actor_id=user_id,
        data={
            "source": "trello",
            "import_id": str(import_id) if import_id else None,
            "name": board.name,
            "counts": counts,
            "numbers": (
                {"first": state.first_number, "last": state.first_number + total - 1, "key": access.project.key}
                if total
                else None
            ),
            "warnings": len(state.warnings),
        },
    )
    return ImportResult(board_id=board.id, counts=counts, warnings=state.warnings)


# --- the import job ---------------------------------------------------------------------------------


def import_create(
    *, user_id: uuid.UUID, project_id: uuid.UUID, filename: str, size: int, blob_key: str = ""
) -> BoardImport:
    """Record a queued import of a stored file (project admins) and start it after commit.

    ``blob_key`` is where the file is in default storage (empty when the caller runs the import itself,
    as the management command does). 404 for a non-member, 403 below admin.
    """
    from apps.kanban import tasks  # the task module imports this one

    project_access(project_id=project_id, user_id=user_id, role=Role.ADMIN)
    import_id = uuid.uuid4()
    with transaction.atomic():
        row = BoardImport.objects.create(
            id=import_id,
            project_id=project_id,
            created_by=user_id,
            filename=filename[:255],
            size=size,
            blob_key=blob_key,
        )
        if blob_key:
            tasks.import_board.delay_on_commit(str(row.id))
    return row


def import_access(*, import_id: uuid.UUID, user_id: uuid.UUID) -> BoardImport:
    """An import, for an admin of its project: 404 for a missing id or a non-member, 403 below admin."""
    row = BoardImport.objects.filter(id=import_id).first()
    if row is None:
        raise KanbanNotFoundError()
    project_access(project_id=row.project_id, user_id=user_id, role=Role.ADMIN)
    return row


def current_progress(row: BoardImport) -> int:
    """The row's progress, or the live figure from the cache while it runs."""
    if row.status == ImportStatus.RUNNING:
        live = cache.get(progress_key(row.id))
        if isinstance(live, int):
            return max(row.progress, live)
    return row.progress


def run_import(import_id: uuid.UUID, *, raw: bytes | None = None, on_progress: Progress | None = None) -> BoardImport:
    """Run a queued (or interrupted) import to ``done`` or ``failed``; a finished one is left alone.

    Reads the file from storage unless ``raw`` is given. Idempotent: a redelivered task finds the import
    finished and returns; a worker killed mid-import rolled its transaction back, so the rerun starts clean
    (within :func:`stuck_after` of the first start; later, the import is failed as interrupted).
    """
    now = timezone.now()
    # The first run stamps ``started_at``; a rerun (its worker was killed mid-import and the task
    # redelivered) keeps it, so an import that keeps losing its worker is failed once STUCK_AFTER is up.
    claimed = BoardImport.objects.filter(id=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, progress=0
    ) or BoardImport.objects.filter(
        id=import_id, status=ImportStatus.RUNNING, started_at__gt=now - timedelta(seconds=stuck_after())
    ).update(progress=0)
    if not claimed:
        sweep_stuck(import_ids=[import_id])  # running past its time: failed, not run again
        return BoardImport.objects.get(id=import_id)
    row = BoardImport.objects.get(id=import_id)

    def report(percent: int) -> None:
        cache.set(progress_key(import_id), percent, PROGRESS_TTL)
        if on_progress is not None:
            on_progress(percent)

    try:
        if raw is None:
            raw = blobs.read_bytes(row.blob_key) if row.blob_key else None
            if raw is None:
                raise ImportFileMissingError()
        report(2)
        data = parse_board(raw)
        del raw
        report(10)
        assert row.created_by is not None
        matcher = member_matcher(row.project_id)
        with transaction.atomic():
            locked = BoardImport.objects.select_for_update().get(id=import_id)
            if locked.status != ImportStatus.RUNNING:  # a concurrent run finished it
                return locked
            result = import_board(
                user_id=row.created_by,
                project_id=row.project_id,
                data=data,
                matcher=matcher,
                import_id=import_id,
                on_progress=report,
            )
            BoardImport.objects.filter(id=import_id).update(
                status=ImportStatus.DONE,
                progress=100,
                board_id=result.board_id,
                counts=result.counts,
                warnings=result.warnings,
                error=None,
                finished_at=timezone.now(),
            )
        report(100)
    except ServiceError as exc:
        _fail(import_id, {"code": exc.code, "message": exc.message, "details": exc.extra})
    except Exception as exc:
        logger.exception("kanban import %s failed", import_id)
        _fail(
            import_id,
            {
                "code": "kanban.import_failed",
                "message": "The import failed unexpectedly; nothing was imported.",
                "details": {"reason": type(exc).__name__},
            },
        )
    finally:
        cache.delete(progress_key(import_id))
    row.refresh_from_db()
    if row.blob_key and row.status in {ImportStatus.DONE, ImportStatus.FAILED}:
        try:
            blobs.delete(row.blob_key)
        except ServiceError:  # storage down: the file stays; the import's outcome is recorded
            logger.warning("kanban import %s: could not delete %s", import_id, row.blob_key)
    return row


def stuck_after() -> int:
    return int(getattr(settings, "KANBAN_IMPORT_STUCK_AFTER", STUCK_AFTER))


def sweep_stuck(*, import_ids: list[uuid.UUID] | None = None) -> int:
    """Fail the imports ``running`` for longer than :func:`stuck_after` since their first start (a worker
    killed mid-import whose task never came back, or one that keeps killing its worker); their
    transactions rolled back, so there is nothing to undo. Returns how many were failed (beat and the
    embedded scheduler call it; :func:`run_import` calls it for an import it will not run again)."""
    cutoff = timezone.now() - timedelta(seconds=stuck_after())
    stuck = BoardImport.objects.filter(status=ImportStatus.RUNNING, started_at__lte=cutoff)
    if import_ids is not None:
        stuck = stuck.filter(id__in=import_ids)
    failed = 0
    for row in stuck.only("id", "blob_key"):
        changed = BoardImport.objects.filter(id=row.id, status=ImportStatus.RUNNING, started_at__lte=cutoff).update(
            status=ImportStatus.FAILED, error=INTERRUPTED, finished_at=timezone.now(), board_id=None
        )
        if not changed:
            continue
        failed += 1
        logger.warning("kanban import %s: interrupted and past its time, marked failed", row.id)
        if row.blob_key:
            try:
                blobs.delete(row.blob_key)
            except ServiceError:
                logger.warning("kanban import %s: could not delete %s", row.id, row.blob_key)
    return failed


def _fail(import_id: uuid.UUID, error: dict[str, Any]) -> None:
    BoardImport.objects.filter(id=import_id).update(
        status=ImportStatus.FAILED, error=error, finished_at=timezone.now(), board_id=None
    )
