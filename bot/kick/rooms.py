"""Which IVS Chat room a moderator means: a room ARN, a room ID, a room name or a configured alias.

Moderators think in names, not ARNs. Names and IDs are looked up with ListRooms in every configured region at
once, and the answers are cached so a second kick in the same room asks AWS nothing. The Slack room picker has
three seconds to answer, more than a slow AWS may take, so it is served only from the cache and the cache is
refreshed behind it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from botocore.loaders import Loader

from .ivs import Pacer
from .regions import has_ivschat, ivschat_regions_text
from .request import EXAMPLE_ROOM_ARN, FieldRule, partition_of, region_of, room_rule, shown

log = logging.getLogger(__name__)

ROOMS_ENV = "IVS_KICK_ROOMS"
REGIONS_ENV = "IVS_KICK_REGIONS"
LIST_ACTION = "ivschat:ListRooms"
GET_ACTION = "ivschat:GetRoom"

_ALIAS = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# After a failed refresh the picker waits this long (or the TTL, if shorter) before asking AWS again,
# so every keystroke in a picker does not become a ListRooms call while AWS is failing.
_RETRY_SECONDS = 30.0
# IVS Chat allows 5 GetRoom and 5 ListRooms calls a second per account and region (not adjustable): one instance
# stays below, leaving the client's retries for what other instances and tools in the account add.
ROOM_READS_PER_SECOND = 4.0

T = TypeVar("T")


def _load_rules() -> tuple[FieldRule, FieldRule]:
    """What a room ID and a room name may look like, from the service model ListRooms is checked against."""
    shapes = Loader().load_service_model("ivschat", "service-2")["shapes"]

    def rule(shape: str) -> FieldRule:
        spec = shapes[shape]
        return FieldRule(spec.get("min", 0), spec["max"], re.compile(spec["pattern"]))

    return rule("RoomID"), rule("RoomName")


_ID_RULE, _NAME_RULE = _load_rules()


def _fits(rule: FieldRule, value: str) -> bool:
    pattern_ok = rule.pattern is None or rule.pattern.fullmatch(value) is not None
    return rule.min_len <= len(value) <= rule.max_len and pattern_ok


def is_room_arn(value: str) -> bool:
    """A room ARN as IVS Chat's model allows it, in a region where IVS Chat exists."""
    return _fits(room_rule(), value) and has_ivschat(region_of(value), partition_of(value))


@dataclass(frozen=True)
class Room:
    """One IVS Chat room. `name` is None when not known yet (the room was never read from AWS); "" when AWS says
    the room has no name. `review_handler` is the URI (a Lambda ARN) of its message review handler, from GetRoom or
    ListRooms: None when it has none, or when the room was never read (see `has_review_handler`)."""

    arn: str
    name: str | None = None
    review_handler: str | None = None

    @property
    def has_review_handler(self) -> bool | None:
        """Whether IVS Chat sends this room's messages to a review handler; None when the bot has not read the
        room from AWS (a room known only by its ARN or alias)."""
        return None if self.name is None else self.review_handler is not None

    @property
    def region(self) -> str:
        return region_of(self.arn)

    @property
    def id(self) -> str:
        return self.arn.split(":room/", 1)[1]

    def label(self) -> str:
        """How pickers and messages show the room: its name and region, or its ID when it has no name."""
        return f"{self.name} ({self.region})" if self.name else self.id


@dataclass(frozen=True)
class Found:
    """Exactly one room matched. With `unsearched`, regions that could not be asked might hold another."""

    room: Room
    unsearched: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ambiguous:
    """Several rooms matched (sorted by region, then ARN): the moderator has to pick one."""

    reference: str
    candidates: tuple[Room, ...]
    unsearched: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unknown:
    """No room matched in `regions`; `unsearched` regions could not be asked."""

    reference: str
    regions: tuple[str, ...]
    unsearched: tuple[str, ...] = ()


@dataclass(frozen=True)
class LookupFailed:
    """No region could be searched; `message` says why in words a moderator or admin can act on."""

    reference: str
    message: str


Resolution = Found | Ambiguous | Unknown | LookupFailed


def parse_aliases(text: str) -> dict[str, str]:
    """`IVS_KICK_ROOMS` ("main=arn:…, backstage=arn:…") → {alias in lower case: room ARN}."""
    aliases: dict[str, str] = {}
    for pair in (item.strip() for item in text.split(",")):
        if not pair:
            continue
        alias, _, arn = (part.strip() for part in pair.partition("="))
        if not (_ALIAS.fullmatch(alias) and _fits(room_rule(), arn)):
            raise ValueError(
                f"{ROOMS_ENV} has {shown(pair)}, which is not an alias=ARN pair. Write pairs such as "
                f"main={EXAMPLE_ROOM_ARN}, separated by commas: the alias 1–64 letters, digits, '_', '.' or '-', "
                "the value an IVS Chat room ARN (arn:aws:ivschat:<region>:<account>:room/<id>)."
            )
        if not is_room_arn(arn):
            raise ValueError(
                f"{ROOMS_ENV} has {shown(pair)}, a room in region {shown(region_of(arn))}, where IVS Chat does not "
                f"exist. IVS Chat rooms are in {ivschat_regions_text()}."
            )
        key = alias.lower()
        earlier = aliases.get(key, arn)
        if earlier != arn:
            raise ValueError(
                f"{ROOMS_ENV} gives the alias {shown(alias)} to two rooms, {earlier} and {arn}; aliases ignore case, "
                "so give each room its own."
            )
        aliases[key] = arn
    return aliases


def parse_regions(text: str) -> tuple[str, ...]:
    """`IVS_KICK_REGIONS` ("us-west-2, eu-central-1") → the regions, in order, each once.

    ValueError names the first entry that is not a region where IVS Chat exists (see regions.py).
    """
    regions: list[str] = []
    for region in (item.strip() for item in text.split(",")):
        if not region:
            continue
        if not has_ivschat(region):
            raise ValueError(
                f"{REGIONS_ENV} has {shown(region)}, which is not a region where IVS Chat exists. List regions "
                f"separated by commas, from {ivschat_regions_text()}."
            )
        if region not in regions:
            regions.append(region)
    return tuple(regions)


def _problem(action: str, region: str, error: BaseException) -> str:
    """Why a region could not be asked, naming the IAM action when AWS refused it."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "")
        if code == "AccessDeniedException":
            return (
                f"AWS denied {action} in {region}; allow the bot's AWS identity {action} "
                "(see the IAM policy in the README)"
            )
        message = details.get("Message", "")
        return f"IVS Chat in {region} answered {action} with {code or 'an error'}" + (f": {message}" if message else "")
    return f"could not ask IVS Chat in {region} ({type(error).__name__}: {error})"


def _read(summary: Mapping[str, Any], arn: str | None = None) -> Room:
    """A room as GetRoom or ListRooms describes it; an empty `messageReviewHandler.uri` (detached) counts as none."""
    handler = (summary.get("messageReviewHandler") or {}).get("uri") or None
    return Room(summary.get("arn") or arn or "", summary.get("name", ""), handler)


def _dedupe(rooms: Iterable[Room]) -> tuple[Room, ...]:
    """One room per ARN, preferring the entry that knows the room's name."""
    by_arn: dict[str, Room] = {}
    for room in rooms:
        if by_arn.get(room.arn) is None or by_arn[room.arn].name is None:
            by_arn[room.arn] = room
    return tuple(by_arn.values())


def _classify(
    reference: str, rooms: Sequence[Room], searched: tuple[str, ...], unsearched: tuple[str, ...]
) -> Resolution:
    if not rooms:
        return Unknown(reference, searched, unsearched)
    if len(rooms) == 1:
        return Found(rooms[0], unsearched)
    return Ambiguous(reference, tuple(sorted(rooms, key=lambda room: (room.region, room.arn))), unsearched)


@dataclass(frozen=True)
class _Listing:
    """Every room of one region, as of `at`. Not `complete` when it was cut short at the size bound."""

    rooms: Mapping[str, Room]  # by ARN
    at: float
    complete: bool


class RoomDirectory:
    """Turns what a moderator typed into a room, asking AWS (in the bot's own name) only when the cache cannot.

    AWS is asked at most `reads_per_second` times a second per region (ROOM_READS_PER_SECOND: under IVS Chat's
    quota). Caches, each bounded by `max_rooms` and trusted for `ttl` seconds: rooms by ARN and the answers to names and
    IDs (least recently used evicted first), and each region's full listing (cut short at `max_rooms` rooms).
    Only positive answers are cached: a room created a moment ago is found on the next try. Listings and AWS
    clients are kept per region, and only for configured regions and room ARNs in regions where IVS Chat exists,
    so there are at most as many as those regions. A look-up in flight (shared by concurrent callers for the same
    reference) is held only while its caller waits, so there are at most as many as threads calling `resolve`.
    """

    def __init__(
        self,
        client_for: Callable[[str], Any],
        regions: Sequence[str],
        aliases: Mapping[str, str] | None = None,
        *,
        ttl: float = 300.0,
        max_rooms: int = 2000,
        clock: Callable[[], float] = time.monotonic,
        lookup_timeout: float = 10.0,
        reads_per_second: float = ROOM_READS_PER_SECOND,
    ) -> None:
        if ttl <= 0 or max_rooms < 1 or lookup_timeout <= 0 or reads_per_second <= 0:
            raise ValueError("ttl, lookup_timeout and reads_per_second must be positive and max_rooms at least 1")
        bad = [arn for arn in (aliases or {}).values() if not is_room_arn(arn)]
        if bad:
            given = ", ".join(shown(arn) for arn in bad)
            raise ValueError(f"room aliases must name room ARNs in regions where IVS Chat exists; got {given}")
        self._client_for = client_for
        self._regions = tuple(dict.fromkeys(regions))
        self._aliases = {alias.lower(): arn for alias, arn in (aliases or {}).items()}
        self._ttl = ttl
        self._max_rooms = max_rooms
        self._clock = clock
        self._lookup_timeout = lookup_timeout
        self._reads_per_second = reads_per_second
        self._lock = threading.Lock()
        self._rooms: OrderedDict[str, tuple[Room, float]] = OrderedDict()
        self._answers: OrderedDict[str, tuple[tuple[Room, ...], float]] = OrderedDict()
        self._listings: dict[str, _Listing] = {}
        self._refreshing: Future[None] | None = None
        self._resolving: dict[str, Future[Resolution]] = {}
        self._refresh_started: float | None = None
        self._closed = False
        self._clients: dict[str, Any] = {}
        self._pacers: dict[str, Pacer] = {}
        self._clients_lock = threading.Lock()  # client factories (boto3 sessions) are not safe to share
        workers = max(2, min(16, 2 * len(self._regions)))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="room-lookup")
        # The refresh waits on regional look-ups, so it runs outside the pool that serves them.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="room-refresh")

    @property
    def cache_sizes(self) -> dict[str, int]:
        """Entries held now: rooms, answers (names and IDs), listings, clients, in_flight (look-ups)."""
        with self._lock:
            sizes = {
                "rooms": len(self._rooms),
                "answers": len(self._answers),
                "listings": len(self._listings),
                "in_flight": len(self._resolving),
            }
        with self._clients_lock:
            sizes["clients"] = len(self._clients)
        return sizes

    # -- answers from the cache only -----------------------------------------------------

    def known(self, reference: str) -> Room | None:
        """The room, if it can be told without AWS: for code with a Slack deadline."""
        reference = reference.strip()
        arn = self._arn_for(reference)
        with self._lock:
            if arn is not None:
                return self._cached_room(arn) or Room(arn)
            matches = self._cached_matches(reference)
        return matches[0] if matches is not None and len(matches) == 1 else None

    def rooms(self, query: str = "", limit: int = 100, wait: float = 0.0, refresh: bool = True) -> list[Room]:
        """Rooms for the picker, at most `limit`, whose name, ID or alias contains `query` (case-insensitive).

        Served from the cache; a stale listing is served while it is refreshed behind (unless not `refresh`: then
        AWS is not asked at all). Only while a region has had no listing at all (just after start-up) is the
        listing in flight waited on, for at most `wait` seconds, so the first picker after a start answers with
        the rooms instead of an empty list.
        """
        if wait > 0:
            self._await_first_listing(wait)
        with self._lock:
            listings = [self._listings.get(region) for region in self._regions]
            stale = any(listing is None or not self._fresh(listing.at) for listing in listings)
            candidates: dict[str, Room] = {}
            for listing in listings:
                if listing is not None:
                    candidates.update(listing.rooms)
            for arn in self._aliases.values():
                if arn not in candidates:
                    candidates[arn] = self._cached_room(arn) or Room(arn)
        if stale and refresh and self._may_refresh():
            self._start_refresh()
        needle = query.strip().casefold()
        aliases_of: dict[str, list[str]] = {}
        for alias, arn in self._aliases.items():
            aliases_of.setdefault(arn, []).append(alias)
        matches = [
            room
            for room in candidates.values()
            if any(needle in text.casefold() for text in (room.name or "", room.id, *aliases_of.get(room.arn, ())))
        ]
        matches.sort(key=lambda room: (room.label().casefold(), room.arn))
        return matches[: max(limit, 0)]

    # -- answers that may ask AWS --------------------------------------------------------

    def resolve(self, reference: str) -> Resolution:
        """The room a reference names; may wait up to `lookup_timeout` on AWS, so never under a Slack deadline.

        Concurrent calls for the same reference (a burst of kicks in one room) share one look-up.
        """
        reference = reference.strip()
        with self._lock:
            shared = self._resolving.get(reference)
            if shared is None:
                self._resolving[reference] = mine = Future[Resolution]()
        if shared is not None:
            return shared.result()
        try:
            resolution = self._resolve(reference)
        except BaseException as error:
            mine.set_exception(error)
            raise
        finally:
            with self._lock:
                self._resolving.pop(reference, None)
        mine.set_result(resolution)
        return resolution

    def _resolve(self, reference: str) -> Resolution:
        arn = self._arn_for(reference)
        if arn is not None:
            return self._resolve_arn(reference, arn)
        if not self._regions:
            return Unknown(reference, ())
        with self._lock:
            cached = self._cached_matches(reference)
        if cached:
            return _classify(reference, cached, self._regions, ())
        by_name = bool(reference) and _fits(_NAME_RULE, reference)
        by_id = _fits(_ID_RULE, reference)
        if not (by_name or by_id):
            return Unknown(reference, self._regions)  # no room can have this name or ID: nothing to ask
        tasks = {region: partial(self._search_region, region, reference, by_name, by_id) for region in self._regions}
        answers, problems = self._gather(LIST_ACTION, tasks)
        if not answers:
            log.warning("room look-up failed", extra={"fields": {"reference": reference, "problems": problems}})
            why = "; ".join(problems.values())
            return LookupFailed(reference, f"{why[:1].upper()}{why[1:]}.")  # the caller names the reference
        if problems:
            log.warning("room look-up incomplete", extra={"fields": {"reference": reference, "problems": problems}})
        found = _dedupe(room for rooms in answers.values() for room in rooms)
        with self._lock:
            for room in found:
                self._remember_room(room)
            if found and not problems:
                self._remember(self._answers, reference, found)
        searched = tuple(region for region in self._regions if region in answers)
        return _classify(reference, found, searched, tuple(problems))

    def refresh(self, wait: bool = False) -> None:
        """List every room of every configured region into the cache (one refresh at a time)."""
        future = self._start_refresh()
        if wait:
            future.result()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._background.shutdown(wait=False, cancel_futures=True)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- cache (call with self._lock held) -----------------------------------------------

    def _fresh(self, at: float) -> bool:
        return self._clock() - at < self._ttl

    def _remember(self, cache: OrderedDict[str, tuple[T, float]], key: str, value: T) -> None:
        cache[key] = (value, self._clock())
        cache.move_to_end(key)
        while len(cache) > self._max_rooms:
            cache.popitem(last=False)

    def _remember_room(self, room: Room) -> None:
        known = self._rooms.get(room.arn)
        if room.name is None and known is not None and known[0].name is not None and self._fresh(known[1]):
            return  # keep the name a better answer already gave
        self._remember(self._rooms, room.arn, room)

    def _cached_room(self, arn: str) -> Room | None:
        entry = self._rooms.get(arn)
        if entry is not None and self._fresh(entry[1]):
            self._rooms.move_to_end(arn)
            return entry[0]
        for listing in self._listings.values():
            if arn in listing.rooms and self._fresh(listing.at):
                return listing.rooms[arn]
        return None

    def _cached_matches(self, reference: str) -> tuple[Room, ...] | None:
        """Rooms the cache is sure a name or ID matches; None when only AWS can tell."""
        if not reference:
            return None
        entry = self._answers.get(reference)
        if entry is not None and self._fresh(entry[1]):
            self._answers.move_to_end(reference)
            return entry[0]
        listings = [self._listings.get(region) for region in self._regions]
        if not all(listing is not None and listing.complete and self._fresh(listing.at) for listing in listings):
            return None
        matches = tuple(
            room
            for listing in listings
            if listing is not None
            for room in listing.rooms.values()
            if room.name == reference or room.id == reference
        )
        return matches or None  # a room created since the listing is still worth asking AWS about

    def _await_first_listing(self, seconds: float) -> None:
        """Wait up to `seconds` for the refresh in flight (or a new one) while some region has no listing."""
        with self._lock:
            cold = any(region not in self._listings for region in self._regions)
            in_flight = self._refreshing if self._refreshing is not None and not self._refreshing.done() else None
        if not cold:
            return
        if in_flight is None:
            if not self._may_refresh():
                return  # the last attempt failed moments ago: answer with what there is
            in_flight = self._start_refresh()
        wait([in_flight], timeout=seconds)  # its outcome is logged by the refresh itself

    def _may_refresh(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            started = self._refresh_started
            return started is None or self._clock() - started >= min(self._ttl, _RETRY_SECONDS)

    # -- AWS -----------------------------------------------------------------------------

    def _arn_for(self, reference: str) -> str | None:
        """An ARN given directly or through an alias; aliases win over room names."""
        if is_room_arn(reference):
            return reference
        return self._aliases.get(reference.lower())

    def _client(self, region: str) -> Any:
        """The region's client, once this instance's pace (`reads_per_second` there) allows another call."""
        with self._clients_lock:
            if region not in self._clients:
                self._clients[region] = self._client_for(region)
                self._pacers[region] = Pacer(self._reads_per_second)
            client, pacer = self._clients[region], self._pacers[region]
        pacer.wait()
        return client

    def _gather(self, action: str, tasks: Mapping[str, Callable[[], T]]) -> tuple[dict[str, T], dict[str, str]]:
        """Run one look-up per region at once: what answered in time, and why each other region did not."""
        futures = {region: self._pool.submit(task) for region, task in tasks.items()}
        done, _ = wait(futures.values(), timeout=self._lookup_timeout)
        answers: dict[str, T] = {}
        problems: dict[str, str] = {}
        for region, future in futures.items():
            if future.cancelled():
                problems[region] = f"the look-up in {region} was cancelled: the room directory is closed"
            elif future not in done:
                future.cancel()  # if it has not started; one already waiting on AWS finishes into the cache
                problems[region] = f"IVS Chat in {region} did not answer within {self._lookup_timeout:g} s"
            elif (error := future.exception()) is not None:
                problems[region] = _problem(action, region, error)
            else:
                answers[region] = future.result()
        return answers, problems

    def _resolve_arn(self, reference: str, arn: str) -> Resolution:
        """A room ARN is usable as it is; GetRoom only adds its name, or says it does not exist."""
        with self._lock:
            cached = self._cached_room(arn)
        if cached is not None:
            return Found(cached)
        region = region_of(arn)
        answers, problems = self._gather(GET_ACTION, {region: partial(self._get_room, arn)})
        if region in answers:
            room = answers[region]
            if room is None:
                return Unknown(reference, (region,))
        else:
            # The kick itself will report what AWS says about this room, so a missing name must not stop it.
            log.warning("room name unavailable", extra={"fields": {"room": arn, "problem": problems[region]}})
            room = Room(arn)
        with self._lock:
            self._remember_room(room)
        return Found(room)

    def _get_room(self, arn: str) -> Room | None:
        try:
            answer = self._client(region_of(arn)).get_room(identifier=arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
        return _read(answer, arn)

    def _list_rooms(self, region: str, name: str | None = None) -> tuple[list[Room], bool]:
        """ListRooms through every page, stopping at `max_rooms`; whether the list is complete."""
        params: dict[str, str] = {"name": name} if name else {}
        rooms: list[Room] = []
        while True:
            page = self._client(region).list_rooms(**params)
            rooms.extend(_read(summary) for summary in page.get("rooms", []))
            token = page.get("nextToken")
            if not token:
                return rooms, True
            if len(rooms) >= self._max_rooms or token == params.get("nextToken"):
                return rooms[: self._max_rooms], False
            params["nextToken"] = token

    def _search_region(self, region: str, reference: str, by_name: bool, by_id: bool) -> list[Room]:
        rooms = self._list_rooms(region, name=reference)[0] if by_name else []
        if by_id:
            with self._lock:
                listing = self._listings.get(region)
            if listing is None or not self._fresh(listing.at):
                listing = self._fetch_listing(region)
            rooms.extend(room for room in listing.rooms.values() if room.id == reference)
        return rooms

    def _fetch_listing(self, region: str) -> _Listing:
        started = self._clock()
        rooms, complete = self._list_rooms(region)
        if not complete:
            log.warning("room listing cut short", extra={"fields": {"region": region, "rooms": len(rooms)}})
        listing = _Listing({room.arn: room for room in rooms}, started, complete)
        with self._lock:
            current = self._listings.get(region)
            if current is None or current.at <= started:
                self._listings[region] = listing
        return listing

    def _start_refresh(self) -> Future[None]:
        """The refresh in flight, or a new one: concurrent callers share it."""
        with self._lock:
            if self._refreshing is None or self._refreshing.done():
                self._refresh_started = self._clock()
                self._refreshing = self._background.submit(self._refresh_all)
            return self._refreshing

    def _refresh_all(self) -> None:
        futures = {region: self._pool.submit(self._fetch_listing, region) for region in self._regions}
        for region, future in futures.items():
            try:
                error = future.exception()
            except CancelledError:
                return  # closing
            if error is not None:
                log.warning(
                    "room listing failed",
                    extra={"fields": {"region": region, "problem": _problem(LIST_ACTION, region, error)}},
                )
