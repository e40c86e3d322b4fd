"""The account app's public surface: the only module other apps may import.

``account_service`` is the in-process implementation, or a remote proxy when GAU_SERVICE_URLS names
"account".
"""

from apps.account.services import dto, errors
from apps.account.services.dto import *  # noqa: F403
from apps.account.services.errors import *  # noqa: F403
from apps.account.services.interface import AccountService

account_service = AccountService.resolve()

__all__ = ["AccountService", "account_service"]
__all__ += dto.__all__
__all__ += errors.__all__
