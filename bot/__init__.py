"""ivs-kick: remove abusive viewers from Amazon IVS Chat without leaving Slack."""

__version__ = "0.1.0"
