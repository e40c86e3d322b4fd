"""The cdn app's public surface: the only module other apps may import.

``cdn_service`` is the in-process implementation, or a remote proxy when GAU_SERVICE_URLS names
"cdn".
"""

from apps.cdn.services import dto, errors
from apps.cdn.services.dto import *  # noqa: F403
from apps.cdn.services.errors import *  # noqa: F403
from apps.cdn.services.interface import CdnService

cdn_service = CdnService.resolve()

__all__ = ["CdnService", "cdn_service"]
__all__ += dto.__all__
__all__ += errors.__all__
