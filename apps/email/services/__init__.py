"""The email app's public surface: the only module other apps may import.

``email_service`` is the in-process implementation, or a remote proxy when GAU_SERVICE_URLS names
"email".
"""

from apps.email.services import dto, errors
from apps.email.services.dto import *  # noqa: F403
from apps.email.services.errors import *  # noqa: F403
from apps.email.services.interface import EmailService

email_service = EmailService.resolve()

__all__ = ["EmailService", "email_service"]
__all__ += dto.__all__
__all__ += errors.__all__
