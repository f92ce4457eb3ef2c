"""Slack surfaces → the moderation domain. One package per surface, each with `register(app, services)`."""

from __future__ import annotations

from slack_bolt import App

from . import actions, commands, events, options, views
from .services import Services


def register(app: App, services: Services) -> None:
    commands.register(app, services)
    actions.register(app, services)
    options.register(app, services)
    views.register(app, services)
    events.register(app, services)
