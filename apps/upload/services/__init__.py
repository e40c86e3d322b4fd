"""The upload app's public surface: the only module other apps may import.

``upload_service`` is the in-process implementation, or a remote proxy when GAU_SERVICE_URLS names
"upload".
"""

from apps.upload.services import dto, errors
from apps.upload.services.dto import *  # noqa: F403
from apps.upload.services.errors import *  # noqa: F403
from apps.upload.services.interface import UploadService

upload_service = UploadService.resolve()

__all__ = ["UploadService", "upload_service"]
__all__ += dto.__all__
__all__ += errors.__all__
