"""Where IVS Chat exists: the regions the AWS SDK's own endpoint data lists for the service, in every partition.

A room ARN names its region, and the bot keeps an AWS client per region. A room ARN, alias or `IVS_KICK_REGIONS`
entry naming any other region is refused before any AWS call or cache entry, so thousands of made-up regions
cannot grow the bot's memory. The list comes from botocore's `endpoints.json` (what
`boto3.session.Session().get_available_regions("ivschat", partition)` returns), read once: a region where AWS
launches IVS Chat later is accepted once botocore is upgraded.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from botocore.loaders import Loader
from botocore.regions import EndpointResolver

SERVICE = "ivschat"
_SHOWN_REGIONS = 12


@cache
def ivschat_regions() -> Mapping[str, str]:
    """{region: its partition} for every region with an IVS Chat endpoint, e.g. {"us-west-2": "aws", …}.

    Read with botocore's endpoint resolver directly, as boto3's session does, but without a session: a session
    reads the AWS profile, and a missing profile must not stop the bot from checking a room ARN.
    """
    resolver = EndpointResolver(Loader().load_data("endpoints"))
    return MappingProxyType(
        {
            region: partition
            for partition in resolver.get_available_partitions()
            for region in resolver.get_available_endpoints(SERVICE, partition)
        }
    )


def has_ivschat(region: str, partition: str | None = None) -> bool:
    """Whether IVS Chat exists in `region` and, when an ARN's `partition` is given, the region belongs to it."""
    regions = ivschat_regions()
    return region in regions and partition in (None, regions[region])


def ivschat_regions_text() -> str:
    """The regions for a message: "ap-northeast-1, …, us-west-2", shortened after 12 with how many more."""
    regions = sorted(ivschat_regions())
    shown = ", ".join(regions[:_SHOWN_REGIONS])
    more = len(regions) - _SHOWN_REGIONS
    return f"{shown} and {more} more" if more > 0 else shown
