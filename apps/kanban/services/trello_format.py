"""The shape of a Trello board JSON export ("Menu → Print, export and share → Export as JSON"), as pydantic
models: only the fields the importer reads, everything else ignored.

Also the ``gau*`` extension fields our own export writes (``gauColor`` on labels, ``gauIsDone`` on lists,
``gauPriority`` and ``gauReminders`` on cards) so an export imports back without losing what Trello has no
field for. Trello itself ignores unknown fields, and so does this model for Trello's many extra ones.

:func:`parse_board` turns bytes into a :class:`TrelloBoard` or raises :class:`ImportInvalidError` whose
message names the problem (``cards[3].idList: Field required``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from apps.kanban.services.errors import ImportInvalidError

#: Trello's label colours (the classic palette and its light/dark variants) as hex; ``None`` → grey.
TRELLO_COLORS: dict[str, str] = {
    "green": "#61bd4f",
    "yellow": "#f2d600",
    "orange": "#ff9f1a",
    "red": "#eb5a46",
    "purple": "#c377e0",
    "blue": "#0079bf",
    "sky": "#00c2e0",
    "lime": "#51e898",
    "pink": "#ff78cb",
    "black": "#344563",
    "green_dark": "#519839",
    "yellow_dark": "#d9b51c",
    "orange_dark": "#cd8313",
    "red_dark": "#b04632",
    "purple_dark": "#89609e",
    "blue_dark": "#055a8c",
    "sky_dark": "#026aa7",
    "lime_dark": "#49852e",
    "pink_dark": "#c9558f",
    "black_dark": "#091e42",
    "green_light": "#b7ddb0",
    "yellow_light": "#f5ea92",
    "orange_light": "#fad29c",
    "red_light": "#efb3ab",
    "purple_light": "#dfc0eb",
    "blue_light": "#8bbdd9",
    "sky_light": "#8fdfeb",
    "lime_light": "#b3f1d0",
    "pink_light": "#f9c2e4",
    "black_light": "#c1c7d0",
}
#: What a label without a colour gets.
NO_COLOR = "#b3bac5"
#: Hex back to the Trello colour name, for the export.
COLOR_NAMES: dict[str, str] = {hex_: name for name, hex_ in TRELLO_COLORS.items()}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TrelloList(_Model):
    id: str
    name: str
    closed: bool = False
    pos: float
    softLimit: int | None = None
    gauIsDone: bool = False


class TrelloLabel(_Model):
    id: str
    name: str | None = ""
    color: str | None = None
    gauColor: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class TrelloCard(_Model):
    id: str
    name: str
    desc: str = ""
    idList: str
    pos: float
    closed: bool = False
    due: datetime | None = None
    dueComplete: bool = False
    idLabels: list[str] = []
    idMembers: list[str] = []
    gauPriority: Literal["none", "low", "medium", "high", "urgent"] | None = None
    gauReminders: list[int] | None = None


class TrelloCheckItem(_Model):
    id: str
    name: str
    state: Literal["complete", "incomplete"]
    pos: float = 0


class TrelloChecklist(_Model):
    id: str
    idCard: str
    name: str = ""
    pos: float = 0
    checkItems: list[TrelloCheckItem] = []


class TrelloMemberRef(_Model):
    id: str
    username: str | None = None
    fullName: str | None = None


class TrelloMember(TrelloMemberRef):
    pass


class TrelloCardRef(_Model):
    id: str


class TrelloCommentData(_Model):
    text: str
    card: TrelloCardRef


class TrelloComment(_Model):
    """A ``commentCard`` action: a comment on a card."""

    id: str
    type: Literal["commentCard"]
    date: datetime
    data: TrelloCommentData
    idMemberCreator: str | None = None
    memberCreator: TrelloMemberRef | None = None


class TrelloOtherAction(_Model):
    """Every other action (createCard, updateList…): not imported."""

    type: str
    data: dict[str, Any] = {}


def _action_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return "comment" if kind == "commentCard" else "other"


TrelloAction = Annotated[
    Annotated[TrelloComment, Tag("comment")] | Annotated[TrelloOtherAction, Tag("other")],
    Discriminator(_action_kind),
]


class TrelloBoard(_Model):
    """A Trello board export (the top-level object)."""

    name: str
    desc: str = ""
    lists: list[TrelloList]
    cards: list[TrelloCard]
    labels: list[TrelloLabel] = []
    checklists: list[TrelloChecklist] = []
    actions: list[TrelloAction] = []
    members: list[TrelloMember] = []


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if part in {"comment", "other"}:  # the discriminator's tag: noise for a reader
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def parse_board(raw: bytes) -> TrelloBoard:
    """Validate ``raw`` (the file's bytes) as a Trello board export; :class:`ImportInvalidError` if not."""
    try:
        board = TrelloBoard.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        problems = [{"location": _location(tuple(e["loc"])), "problem": e["msg"]} for e in errors[:20]]
        if errors and errors[0]["type"] == "json_invalid":
            message = f"The file is not valid JSON: {errors[0]['msg']}."
        else:
            shown = "; ".join(f"{p['location']}: {p['problem']}" for p in problems[:3])
            more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            message = f"The file is not a Trello board export: {shown}{more}."
        raise ImportInvalidError(message, problems=problems) from None
    _check_references(board)
    return board


def _check_references(board: TrelloBoard) -> None:
    """Ids must be unique and every card must sit in a list of the file (else nothing can be placed)."""
    groups: tuple[tuple[str, list[str]], ...] = (
        ("lists", [row.id for row in board.lists]),
        ("cards", [row.id for row in board.cards]),
        ("labels", [row.id for row in board.labels]),
    )
    for name, ids in groups:
        seen: set[str] = set()
        for index, row_id in enumerate(ids):
            if row_id in seen:
                raise ImportInvalidError(
                    f"The file is not a Trello board export: {name}[{index}].id {row_id!r} appears twice.",
                    problems=[{"location": f"{name}[{index}].id", "problem": "duplicate id"}],
                )
            seen.add(row_id)
    list_ids = {lst.id for lst in board.lists}
    for index, card in enumerate(board.cards):
        if card.idList not in list_ids:
            raise ImportInvalidError(
                f"The file is not a Trello board export: cards[{index}].idList {card.idList!r} names no list "
                "in the file.",
                problems=[{"location": f"cards[{index}].idList", "problem": "names no list in the file"}],
            )
