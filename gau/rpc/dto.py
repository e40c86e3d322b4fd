"""Base class for the plain data that crosses service boundaries."""

from pydantic import BaseModel, ConfigDict


class DataModel(BaseModel):
    """A frozen, strictly-shaped pydantic model: the one DTO style every interface uses.

    Bytes travel as base64 in JSON so binary payloads survive the remote transport unchanged.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")
