"""moto's server on loopback, standing in for STS (and DynamoDB) for the bot process under test."""

from __future__ import annotations

from dataclasses import dataclass

from moto.server import ThreadedMotoServer
from moto.sts.models import sts_backends

from rig.world import free_port


@dataclass(frozen=True)
class AssumedRole:
    access_key: str
    secret_key: str
    session_token: str
    session_name: str
    role_arn: str
    account: str


def assumed_roles() -> list[AssumedRole]:
    """Every role session moto's STS has handed out, oldest first."""
    return [
        AssumedRole(r.access_key_id, r.secret_access_key, r.session_token, r.session_name, r.role_arn, account)
        for account, regions in sts_backends.items()
        for backend in regions.values()
        for r in backend.assumed_roles
    ]


def issued_by_moto(access_key: str) -> tuple[str, str, str | None] | None:
    """For FakeIvsChat.trust_issuer: the secret of a key moto's STS issued, so signatures are still checked."""
    for role in assumed_roles():
        if role.access_key == access_key:
            return role.secret_key, role.account, role.session_token
    return None


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def __enter__(self) -> "MotoServer":
        sts_backends.reset()
        self._server.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.stop()


def dynamodb_table(server: MotoServer, table: str) -> None:
    """Create the bot's case table in moto's DynamoDB, as an operator would with create-table."""
    import boto3

    from bot.store.dynamodb import create_table

    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=server.url,
        aws_access_key_id="AKIDIVSKICKTEST", aws_secret_access_key="unused-by-moto",
    )  # fmt: skip
    create_table(client, table)
