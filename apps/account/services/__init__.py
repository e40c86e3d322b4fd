"""The account app's public surface: the only module other apps may import.

``account_service`` is the in-process implementation, or a remote proxy when GAU_SERVICE_URLS names
"account".
"""

from apps.account.services.dto import *  # noqa: F403
from apps.account.services.errors import *  # noqa: F403
from apps.account.services.interface import AccountService

account_service = AccountService.resolve()
