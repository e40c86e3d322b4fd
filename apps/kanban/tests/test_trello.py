"""Trello import (API, worker, management command) and board export (JSON round trip, CSV).

The real Trello exports live in ``../shared/fixtures/trello/`` next to the repository (CI clones the repo
with ``shared/`` beside it); :func:`fixture` fails with a clear message if they are missing.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
import uuid
from collections import defaultdict
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from apps.account.services import account_service
from apps.kanban.models import (
    Activity,
    Board,
    BoardImport,
    ChecklistItem,
    Column,
    Comment,
    Label,
    Membership,
    Project,
    Role,
    Task,
    TaskAssignee,
)
from apps.kanban.services import projects, trello_import
from apps.kanban.tests.factories import API, client_for, make_task

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "trello"
#: What the fixture's README says an import of board-team.json must produce.
TEAM_COUNTS = {"columns": 5, "tasks": 30, "labels": 4, "checklist_items": 56, "comments": 26}


def fixture(name: str) -> Path:
    """``../shared/fixtures/trello/<name>`` relative to the repository root; fails clearly if missing."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(
            f"Trello fixture {path} is missing: the tests expect ../shared/fixtures/trello/ beside the "
            "repository root (clone the repository with shared/ next to it).",
            pytrace=False,
        )
    return path


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture(name).read_bytes())
    return data


class Team:
    """A project whose admin imports; two members match Trello members (by username, by full name)."""

    def __init__(self) -> None:
        self.owner = uuid.uuid4()
        self.project = projects.project_create(user_id=self.owner, name="Imports", key="IMP").project
        self.users: dict[str, uuid.UUID] = {"owner": self.owner, "stranger": uuid.uuid4()}
        suffix = uuid.uuid4().hex[:8]
        for role in (Role.MEMBER, Role.VIEWER):
            self.users[role] = self.add(uuid.uuid4(), role)
        # The importer is a real account: the export names comment authors from the account app.
        self.users[Role.ADMIN] = self.add(
            account_service.create_user(
                email=f"admin-{suffix}@example.com", password="correct horse battery staple", display_name="Admin"
            ).id,
            Role.ADMIN,
        )
        # Trello "lan.nguyen" matches by username (the email's local part) ...
        self.lan = account_service.create_user(
            email=f"lan.nguyen@{suffix}.example.com", password="correct horse battery staple", display_name="Lan N"
        ).id
        # ... and "Trần Minh" by full name (the display name, case-insensitive).
        self.minh = account_service.create_user(
            email=f"minh-{suffix}@example.com", password="correct horse battery staple", display_name="trần minh"
        ).id
        self.add(self.lan, Role.MEMBER)
        self.add(self.minh, Role.MEMBER)

    def add(self, user_id: uuid.UUID, role: str) -> uuid.UUID:
        Membership.objects.create(project=self.project, user_id=user_id, role=role)
        return user_id

    def client(self, role: str) -> Any:
        return client_for(self.users[role])

    def upload(self, role: str, content: bytes, name: str = "board.json", project_id: Any = None) -> Any:
        return self.client(role).post(
            f"{API}/imports/trello",
            {
                "file": SimpleUploadedFile(name, content, "application/json"),
                "project_id": project_id or self.project.id,
            },
            format="multipart",
        )


def snapshot(board_id: uuid.UUID) -> dict[str, Any]:
    """Everything an import carries over, in board order, without ids or timestamps of the import."""
    columns = list(Column.objects.filter(board_id=board_id).order_by("position"))
    labels = [(lab.name, lab.color) for lab in Label.objects.filter(board_id=board_id).order_by("created_at", "id")]
    tasks_by_column: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for column in columns:
        for task in Task.objects.filter(column=column).order_by("position"):
            tasks_by_column[column.name].append(
                {
                    "title": task.title,
                    "description": task.description,
                    "archived": task.archived,
                    "due_at": task.due_at,
                    "priority": task.priority,
                    "reminders": task.reminders,
                    "labels": sorted(task.labels.values_list("name", flat=True)),
                    "assignees": sorted(str(u) for u in task.assignees.values_list("user_id", flat=True)),
                    "checklist": list(task.checklist.order_by("position").values_list("title", "done")),
                    "comments": list(task.comments.order_by("created_at", "id").values_list("author_id", "body")),
                }
            )
    return {
        "columns": [(c.name, c.wip_limit, c.is_done) for c in columns],
        "labels": labels,
        "tasks": dict(tasks_by_column),
    }


def wait_done(client: Any, import_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"{API}/imports/{import_id}").json()
        if body["status"] in {"done", "failed"} or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


# --- the fixture, through the API (in-process after commit, as on the embedded default) ----------------


@pytest.mark.django_db(transaction=True)
def test_team_fixture_imports_with_exact_counts_order_and_mapping(s3: Any) -> None:
    team = Team()
    raw = fixture("board-team.json").read_bytes()
    trello = json.loads(raw)
    before = Project.objects.get(id=team.project.id).next_number

    response = team.upload("admin", raw, "board-team.json")

    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) >= {"id", "status"}
    result = team.client("admin").get(f"{API}/imports/{body['id']}").json()
    assert result["status"] == "done", result
    assert result["progress"] == 100
    assert result["counts"] == TEAM_COUNTS
    board_id = uuid.UUID(result["board_id"])
    assert Board.objects.get(id=board_id).name == trello["name"]

    # Lists → columns in pos order; the closed list is a column whose cards are all archived.
    lists = sorted(trello["lists"], key=lambda lst: lst["pos"])
    columns = list(Column.objects.filter(board_id=board_id).order_by("position"))
    assert [c.name for c in columns] == [lst["name"] for lst in lists]
    closed = next(lst for lst in lists if lst["closed"])
    # Cards → tasks per column in pos order; numbers 1..30 in board order, from the project's counter.
    expected_numbers = iter(range(before, before + 30))
    for lst, column in zip(lists, columns, strict=True):
        cards = sorted((c for c in trello["cards"] if c["idList"] == lst["id"]), key=lambda c: c["pos"])
        tasks = list(Task.objects.filter(column=column).order_by("position"))
        assert [t.title for t in tasks] == [c["name"] for c in cards]
        for card, task in zip(cards, tasks, strict=True):
            assert task.number == next(expected_numbers)
            assert task.archived == (card["closed"] or lst["id"] == closed["id"])
            assert task.description == card["desc"]
            assert (task.due_at.isoformat().replace("+00:00", ".000Z") if task.due_at else None) == card["due"]
            assert task.reminders == ([] if card["dueComplete"] else None)
            assert sorted(task.label_links.values_list("label__name", flat=True)) == sorted(
                lab["name"] or lab["color"] for lab in card["labels"]
            )
            checklists = sorted((c for c in trello["checklists"] if c["idCard"] == card["id"]), key=lambda c: c["pos"])
            items = [
                (i["name"], i["state"] == "complete")
                for cl in checklists
                for i in sorted(cl["checkItems"], key=lambda i: i["pos"])
            ]
            assert list(task.checklist.order_by("position").values_list("title", "done")) == items
    assert Project.objects.get(id=team.project.id).next_number == before + 30
    assert Task.objects.filter(board_id=board_id, archived=True).count() == 10  # 5 closed cards + closed list's 5

    # Label colours → hex; the nameless label is named after its colour.
    assert sorted(Label.objects.filter(board_id=board_id).values_list("name", "color")) == sorted(
        [("bug", "#eb5a46"), ("feature", "#61bd4f"), ("yellow", "#f2d600"), ("design", "#c377e0")]
    )

    # Comments: matched authors keep their name; Alex Kim (no match) → the importer, "Originally by".
    comments = Comment.objects.filter(task__board_id=board_id)
    assert comments.count() == 26
    by_author = defaultdict(list)
    for action in trello["actions"]:
        if action["type"] == "commentCard":
            by_author[action["memberCreator"]["username"]].append(action["data"]["text"])
    assert sorted(comments.filter(author_id=team.lan).values_list("body", flat=True)) == sorted(by_author["lan.nguyen"])
    assert sorted(comments.filter(author_id=team.minh).values_list("body", flat=True)) == sorted(by_author["minh.tran"])
    alex = sorted(comments.filter(author_id=team.users["admin"]).values_list("body", flat=True))
    assert alex == sorted(f"Originally by Alex Kim:\n\n{text}" for text in by_author["alex.k"])
    # Assignees: matched members only.
    assigned = set(TaskAssignee.objects.filter(task__board_id=board_id).values_list("user_id", flat=True))
    assert assigned <= {team.lan, team.minh}
    assert assigned
    # Comments of a card in order of their Trello dates.
    for task in Task.objects.filter(board_id=board_id):
        dates = list(task.comments.order_by("created_at").values_list("created_at", flat=True))
        assert dates == sorted(dates)

    # Warnings: the unmatched member and the closed list.
    assert any("Alex Kim (@alex.k)" in w for w in result["warnings"])
    assert any("'Done' is closed" in w for w in result["warnings"])
    assert not any("Trần Minh" in w or "lan.nguyen" in w for w in result["warnings"])

    # Activity: board.created and one board.imported, not a task.created per card.
    verbs = list(Activity.objects.filter(board_id=board_id).values_list("verb", flat=True))
    assert sorted(verbs) == ["board.created", "board.imported"]
    imported = Activity.objects.get(board_id=board_id, verb="board.imported")
    assert imported.data["counts"] == TEAM_COUNTS
    assert imported.data["numbers"] == {"first": before, "last": before + 29, "key": "IMP"}
    # The stored upload is gone once the import ended.
    assert not s3.keys("imports/")
    # The board reads like any other (archived tasks hidden).
    board = team.client("viewer").get(f"{API}/boards/{board_id}")
    assert board.status_code == 200
    assert sum(len(c["tasks"]) for c in board.json()["columns"]) == 20


@pytest.mark.django_db(transaction=True)
def test_import_runs_on_the_celery_worker_reading_the_file_from_storage(celery_worker: Any, s3: Any) -> None:
    team = Team()
    response = team.upload("owner", fixture("board-team.json").read_bytes())
    assert response.status_code == 202
    assert response.json()["status"] in {"queued", "running", "done"}
    result = wait_done(team.client("owner"), response.json()["id"])
    assert result["status"] == "done", result
    assert result["counts"] == TEAM_COUNTS
    assert not s3.keys("imports/")


# --- malformed files and failures ----------------------------------------------------------------------


def _team_json(mutate: Any) -> bytes:
    data = load("board-team.json")
    mutate(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not_json", "not valid JSON"),
        ("array", "(file): Input should be an object"),
        ("no_lists", "lists: Field required"),
        ("card_without_list", "cards[3].idList: Field required"),
        ("card_in_unknown_list", "cards[2].idList 'nope' names no list in the file"),
        ("bad_item_state", "checklists[0].checkItems[1].state: Input should be 'complete' or 'incomplete'"),
        ("comment_without_text", "actions[0].data.text: Field required"),
        ("duplicate_card", "cards[1].id"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_malformed_file_fails_with_the_problem_named_and_leaves_nothing(case: str, expected: str, s3: Any) -> None:
    mutations: dict[str, Any] = {
        "no_lists": lambda d: d.pop("lists"),
        "card_without_list": lambda d: d["cards"][3].pop("idList"),
        "card_in_unknown_list": lambda d: d["cards"][2].update(idList="nope"),
        "bad_item_state": lambda d: d["checklists"][0]["checkItems"][1].update(state="done"),
        "comment_without_text": lambda d: d["actions"][0]["data"].pop("text"),
        "duplicate_card": lambda d: d["cards"][1].update(id=d["cards"][0]["id"]),
    }
    if case == "not_json":
        raw = b'{"name": "x", "lists": ['
    elif case == "array":
        raw = b'[{"name": "x"}]'
    else:
        raw = _team_json(mutations[case])
    team = Team()
    before = Project.objects.get(id=team.project.id).next_number

    response = team.upload("admin", raw)

    assert response.status_code == 202
    result = team.client("admin").get(f"{API}/imports/{response.json()['id']}").json()
    assert result["status"] == "failed"
    assert result["board_id"] is None
    assert result["error"]["code"] == "kanban.import_invalid"
    assert expected in result["error"]["message"], result["error"]
    assert not Board.objects.filter(project=team.project).exists()
    assert Project.objects.get(id=team.project.id).next_number == before
    assert not s3.keys("imports/")


@pytest.mark.django_db(transaction=True)
def test_failure_mid_import_rolls_everything_back(monkeypatch: pytest.MonkeyPatch, s3: Any) -> None:
    team = Team()
    before = Project.objects.get(id=team.project.id).next_number
    activity_before = Activity.objects.filter(project=team.project).count()
    written: dict[str, int] = {}

    def explode(self: Any) -> None:  # after columns, labels, tasks and checklists were written
        written["tasks"] = Task.objects.filter(project=team.project).count()
        written["items"] = ChecklistItem.objects.filter(task__project=team.project).count()
        raise RuntimeError("database went away")

    monkeypatch.setattr(trello_import._Import, "comments", explode)
    response = team.upload("admin", fixture("board-team.json").read_bytes())

    result = team.client("admin").get(f"{API}/imports/{response.json()['id']}").json()
    assert written == {"tasks": 30, "items": 56}  # the failure really came mid-import
    assert result["status"] == "failed"
    assert result["error"]["code"] == "kanban.import_failed"
    assert result["board_id"] is None
    assert result["counts"] == {}
    assert not Board.objects.filter(project=team.project).exists()
    assert not Column.objects.filter(board__project=team.project).exists()
    assert not Task.objects.filter(project=team.project).exists()
    assert not Label.objects.filter(board__project=team.project).exists()
    assert not ChecklistItem.objects.filter(task__project=team.project).exists()
    assert Activity.objects.filter(project=team.project).count() == activity_before
    assert Project.objects.get(id=team.project.id).next_number == before
    assert not s3.keys("imports/")


@pytest.mark.django_db(transaction=True)
def test_upload_errors_are_4xx_in_the_error_shape(monkeypatch: pytest.MonkeyPatch, s3: Any) -> None:
    team = Team()
    client = team.client("admin")
    no_file = client.post(f"{API}/imports/trello", {"project_id": str(team.project.id)}, format="multipart")
    assert no_file.status_code == 400
    assert "file" in no_file.json()["error"]["details"]["fields"]
    bad_project = team.upload("admin", b"{}", project_id="not-a-uuid")
    assert bad_project.status_code == 400
    assert "project_id" in bad_project.json()["error"]["details"]["fields"]
    monkeypatch.setattr(trello_import, "MAX_FILE_BYTES", 10_000)
    too_big = team.upload("admin", b" " * 20_000)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "kanban.import_too_large"
    assert not BoardImport.objects.exists()
    assert not s3.keys("imports/")  # refused uploads leave no file in storage


# --- roles ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_role_matrix_for_import_status_and_export(s3: Any) -> None:
    team = Team()
    raw = fixture("board-small.json").read_bytes()
    expected_import = {"owner": 202, "admin": 202, "member": 403, "viewer": 403, "stranger": 404}
    for role, status in expected_import.items():
        response = team.upload(role, raw)
        assert response.status_code == status, (role, response.content)
        if status != 202:
            assert response.json()["error"]["code"] == ("kanban.not_found" if status == 404 else "kanban.role_required")
    assert not s3.keys("imports/")  # refused uploads were removed from storage
    done = BoardImport.objects.filter(project=team.project, status="done")
    assert done.count() == 2
    row = done.first()
    assert row is not None
    assert row.counts == {
        "columns": 1,
        "tasks": 1,
        "labels": 1,
        "checklist_items": 0,
        "comments": 0,
    }
    assert any("John Doe (@johndoe) matches no project member" in w for w in row.warnings)
    for role, status in {"owner": 200, "admin": 200, "member": 403, "viewer": 403, "stranger": 404}.items():
        assert team.client(role).get(f"{API}/imports/{row.id}").status_code == status, role
    assert team.client("admin").get(f"{API}/imports/{uuid.uuid4()}").status_code == 404
    for role, status in {"owner": 200, "admin": 200, "member": 200, "viewer": 200, "stranger": 404}.items():
        for kind in ("json", "csv"):
            response = team.client(role).get(f"{API}/boards/{row.board_id}/export?format={kind}")
            assert response.status_code == status, (role, kind)
            if status == 404:
                assert response.json()["error"]["code"] == "kanban.not_found"
    bad = team.client("viewer").get(f"{API}/boards/{row.board_id}/export?format=xml")
    assert bad.status_code == 400
    assert bad.json()["error"]["details"]["fields"]["format"]


# --- export ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_json_export_imports_back_to_the_same_board(s3: Any) -> None:
    team = Team()
    first = team.upload("admin", fixture("board-team.json").read_bytes()).json()
    board_id = BoardImport.objects.get(id=first["id"]).board_id
    assert board_id is not None
    # Something Trello has no field for: a WIP limit, a done column, a priority, an exact colour.
    column = Column.objects.filter(board_id=board_id).order_by("position").first()
    assert column is not None
    Column.objects.filter(id=column.id).update(wip_limit=7)
    Column.objects.filter(board_id=board_id, name="Review").update(is_done=True)
    Task.objects.filter(board_id=board_id, title__startswith="Card 0.0").update(priority="urgent", reminders=[60])
    Label.objects.filter(board_id=board_id, name="design").update(color="#123abc")

    export = team.client("viewer").get(f"{API}/boards/{board_id}/export?format=json")
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith("attachment; filename=")
    again = team.upload("admin", export.content, "export.json").json()
    result = team.client("admin").get(f"{API}/imports/{again['id']}").json()

    assert result["status"] == "done", result
    assert result["counts"] == TEAM_COUNTS
    original, copy = snapshot(board_id), snapshot(uuid.UUID(result["board_id"]))
    assert copy["columns"] == original["columns"]
    assert copy["labels"] == original["labels"]
    assert list(copy["tasks"]) == list(original["tasks"])
    for name in original["tasks"]:
        assert copy["tasks"][name] == original["tasks"][name], name
    assert copy == original


@pytest.mark.django_db(transaction=True)
def test_csv_export_one_row_per_task_with_formula_guard(s3: Any) -> None:
    team = Team()
    first = team.upload("admin", fixture("board-team.json").read_bytes()).json()
    board = Board.objects.get(id=first["board_id"])
    column = Column.objects.filter(board=board).order_by("position").first()
    assert column is not None
    make_task(column, title='=HYPERLINK("http://evil.example","click")', description='say "hi",\nthen -1')
    make_task(column, title="+SUM(A1:A2)")
    make_task(column, title="@cmd")

    response = team.client("viewer").get(f"{API}/boards/{board.id}/export?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 33
    assert [r["number"] for r in rows[:6]] == [f"IMP-{n:04d}" for n in range(1, 7)]
    titles = {r["title"] for r in rows}
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    assert "'+SUM(A1:A2)" in titles
    assert "'@cmd" in titles
    evil = next(r for r in rows if r["title"].startswith("'=HYPERLINK"))
    assert evil["description"] == 'say "hi",\nthen -1'  # quoted by the csv module, read back intact
    assert sum(r["archived"] == "yes" for r in rows) == 10
    first_row = rows[0]
    task = Task.objects.get(board=board, number=1)
    assert first_row["title"] == task.title
    assert first_row["column"] == "Backlog"
    assert int(first_row["checklist_total"]) == task.checklist.count()
    assert int(first_row["comments"]) == task.comments.count()


# --- management command -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_management_command_imports_with_a_progress_bar(s3: Any, tmp_path: Path) -> None:
    team = Team()
    admin = account_service.create_user(
        email=f"admin-{uuid.uuid4().hex[:8]}@example.com", password="correct horse battery staple"
    )
    team.add(admin.id, Role.ADMIN)
    out, err = StringIO(), StringIO()
    real_stderr = sys.stderr
    sys.stderr = err
    try:
        call_command(
            "kanban_import_trello",
            str(fixture("board-team.json")),
            "--project",
            str(team.project.id),
            "--as",
            admin.email,
            stdout=out,
        )
    finally:
        sys.stderr = real_stderr
    result = json.loads(out.getvalue())
    assert result["status"] == "done"
    assert result["counts"] == TEAM_COUNTS
    assert "100%" in err.getvalue()
    assert "importing [" in err.getvalue()
    assert Task.objects.filter(board_id=result["board_id"]).count() == 30
    assert Comment.objects.filter(task__board_id=result["board_id"], author_id=admin.id).count() > 0

    bad = fixture("board-team.json").read_bytes().replace(b'"lists"', b'"listz"', 1)
    tmp = tmp_path / "bad.json"
    tmp.write_bytes(bad)
    with pytest.raises(CommandError, match="lists: Field required"):
        call_command(
            "kanban_import_trello",
            str(tmp),
            "--project",
            str(team.project.id),
            "--as",
            admin.email,
            "--no-progress",
            stdout=StringIO(),
        )
    assert not Board.objects.filter(project=team.project).exclude(id=result["board_id"]).exists()
    member = account_service.create_user(
        email=f"member-{uuid.uuid4().hex[:8]}@example.com", password="correct horse battery staple"
    )
    team.add(member.id, Role.MEMBER)
    args = ["--project", str(team.project.id), "--as", member.email]
    with pytest.raises(CommandError, match=r"kanban\.role_required"):
        call_command("kanban_import_trello", str(fixture("board-small.json")), *args, stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_finished_import_never_runs_twice_and_progress_reads_the_cache(s3: Any) -> None:
    from django.core.cache import cache

    team = Team()
    first = team.upload("admin", fixture("board-small.json").read_bytes()).json()
    assert first["status"] == "done"
    again = trello_import.run_import(uuid.UUID(first["id"]), raw=fixture("board-small.json").read_bytes())
    assert again.status == "done"
    assert str(again.board_id) == first["board_id"]
    assert Board.objects.filter(project=team.project).count() == 1  # the redelivered task did nothing

    running = BoardImport.objects.create(project=team.project, created_by=team.users["admin"], status="running")
    cache.set(trello_import.progress_key(running.id), 42, 60)
    try:
        body = team.client("admin").get(f"{API}/imports/{running.id}").json()
    finally:
        cache.delete(trello_import.progress_key(running.id))
    assert body["status"] == "running"
    assert body["progress"] == 42
    assert body["board_id"] is None
