"""What the listeners share: settings, the moderator directory and the IVS Chat gateway."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from ..kick.cases import CaseStore
from ..kick.ivs import IvsChatGateway
from ..kick.moderators import ModeratorDirectory
from ..kick.rooms import RoomDirectory
from ..outbox import AuditOutbox
from ..settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    moderators: ModeratorDirectory
    gateway: IvsChatGateway
    store: CaseStore
    outbox: AuditOutbox
    rooms: RoomDirectory
    background: Executor  # for follow-up work that should not hold a listener thread
