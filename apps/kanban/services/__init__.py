"""The kanban app's public surface: the only module other apps may import.

``kanban_service`` is the in-process implementation, or a remote proxy when GAU_SERVICE_URLS names
"kanban".
"""

from apps.kanban.services import dto, errors
from apps.kanban.services.dto import *  # noqa: F403
from apps.kanban.services.errors import *  # noqa: F403
from apps.kanban.services.interface import KanbanService

kanban_service = KanbanService.resolve()

__all__ = ["KanbanService", "kanban_service"]
__all__ += dto.__all__
__all__ += errors.__all__
