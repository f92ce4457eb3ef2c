"""What the listeners share: settings, the moderator directory and the IVS Chat gateway."""

from __future__ import annotations

from dataclasses import dataclass

from ..kick.ivs import IvsChatGateway
from ..kick.moderators import ModeratorDirectory
from ..settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    moderators: ModeratorDirectory
    gateway: IvsChatGateway
