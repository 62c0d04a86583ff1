"""Relay connections served by keyset pages of the read models, and global ids.

A resolver asks its read model for up to `first + 1` rows past the cursor's key (an index
range scan, never the whole list), and `connection` turns them into `edges`, `pageInfo` and
opaque cursors. `Node` objects carry a global id (`relay.GlobalID`, base64 of
`Type:key`) so client caches normalise them; `Query.node` resolves one back.
"""

import base64
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context

N = TypeVar("N", bound=relay.Node)
MAX_PAGE = 200
ANY_KEY = "[^/]*"  # a key without a slash: the id splits at its last `/`
# How a connection pages: the end of every connection field's description
PAGING = "a page at a time: pass `pageInfo.endCursor` as `after` for the next page."


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise bad_input(f"first is 1 to {MAX_PAGE}")
    return first


def encode_cursor(key: int | tuple[str, ...]) -> str:
    """An opaque cursor for a row's sort key: a position, or a tuple of texts."""
    text = f"p:{key}" if isinstance(key, int) else "k:" + json.dumps(list(key))
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    """The key an `after` cursor stands for; a malformed cursor is the client's error."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith("p:") and text[2:].isdigit() and len(text) <= 20:
            return int(text[2:])
    except ValueError:
        pass
    raise bad_input("malformed cursor")


def decode_key(cursor: str | None, parts: int) -> tuple[str, ...] | None:
    """The text sort key of `parts` columns an `after` cursor stands for."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        key = json.loads(text[2:]) if text.startswith("k:") and len(text) <= 2000 else None
    except ValueError:
        key = None
    if isinstance(key, list) and len(key) == parts and all(isinstance(k, str) for k in key):
        return tuple(key)
    raise bad_input("malformed cursor")


def decode_moment(cursor: str | None) -> tuple[datetime, int] | None:
    """The key (a time with its offset, then a position or an entry number) an `after` cursor
    of a page in time order stands for."""
    past = decode_key(cursor, 2)
    if past is None:
        return None
    try:
        at = datetime.fromisoformat(past[0])
    except ValueError:
        raise bad_input("malformed cursor") from None
    if at.tzinfo is None or not past[1].isdigit() or len(past[1]) > 18:
        raise bad_input("malformed cursor")
    return at, int(past[1])


def connection(
    rows: Sequence[dict[str, Any]],
    first: int,
    key: Callable[[dict[str, Any]], int | tuple[str, ...]],
    node: Callable[[dict[str, Any]], N],
) -> relay.Connection[N]:
    """A page from `rows`, the read model's up to `first + 1` rows in page order: the extra
    row only says that there is a next page."""
    edges = [relay.Edge(cursor=encode_cursor(key(r)), node=node(r)) for r in rows[:first]]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=False,  # forward pagination only (Relay allows false)
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def school_nodes(
    info: Info[Context, None],
    node_ids: Iterable[str],
    read: Callable[..., dict[str, Any] | None],
    coordinate: str,
    node: Callable[[dict[str, Any]], N],
) -> list[N | None]:
    """Nodes of a school's list by id, each through that list's school rule (`coordinate`):
    a missing one is refused as one the viewer may not see."""
    found: list[N | None] = []
    for node_id in node_ids:
        row = await info.context.services.read(read, node_id)
        if row is None:
            raise perm.ForbiddenError()
        await perm.school(info, coordinate, row["school_id"])
        found.append(node(row))
    return found


def school_node(
    read: Callable[..., dict[str, Any] | None], coordinate: str, key: str
) -> tuple[Any, Any]:
    """`resolve_id` and `resolve_nodes` of a Node of a school's list, for its class body:
    the global id is the attribute `key`; `Query.node` reads the row with `read` and checks
    it through the list's school rule (`coordinate`), then builds it with the class's `of`."""

    def resolve_id(cls: type, root: Any, *, info: Info[Context, None]) -> str:
        return str(getattr(root, key))

    async def resolve_nodes(
        cls: Any, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await school_nodes(info, node_ids, read, coordinate, cls.of)

    return classmethod(resolve_id), classmethod(resolve_nodes)


def position_key(text: str) -> int | None:
    """The ledger position an account Node's key names (`parse` of `account_node` for lists
    in ledger order); None when malformed."""
    return int(text) if text.isdigit() and len(text) <= 19 else None


def account_node(
    read: Callable[..., dict[str, Any] | None],
    coordinate: str,
    key: str,
    key_pattern: str = ANY_KEY,
    parse: Callable[[str], object | None] = str,
) -> tuple[Any, Any]:
    """`resolve_id` and `resolve_nodes` of a Node of an account's list, for its class body: the
    global id is `contract/key` (`key` the attribute; see `account_nodes` for `key_pattern`);
    `Query.node` checks the contract through the list's account rule (`coordinate`), reads the
    row with `read(account_id, parse(key))` and builds it with the class's
    `of(row, contract)`; a missing row, or a key `parse` finds malformed (None), is none."""

    def resolve_id(cls: type, root: Any, *, info: Info[Context, None]) -> str:
        return f"{root.contract_number}/{getattr(root, key)}"

    async def resolve_nodes(
        cls: Any, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        async def fetch(ref: perm.AccountRef, text: str) -> Any:
            wanted = parse(text)
            if wanted is None:
                return None
            row = await info.context.services.read(read, ref.account_id, wanted)
            return cls.of(row, ref.contract_number) if row else None

        return await account_nodes(info, node_ids, coordinate, fetch, key_pattern)

    return classmethod(resolve_id), classmethod(resolve_nodes)


async def account_nodes(
    info: Info[Context, None],
    node_ids: Iterable[str],
    coordinate: str,
    fetch: Callable[[perm.AccountRef, str], Awaitable[N | None]],
    key_pattern: str = ANY_KEY,
) -> list[N | None]:
    """Nodes of an account's list by `contract/key`, each through that list's account rule
    (`coordinate`): `fetch(account, key)` builds one, None when the key is malformed or the
    object is gone (or no longer the account's). `key_pattern`, a regular expression that
    matches every key and no contract number's tail, splits the id (by default at its last
    `/`); an id it does not match is refused as an object one may not see."""
    node_id = re.compile(rf"(.+?)/({key_pattern})", re.DOTALL)
    found: list[N | None] = []
    for wanted in node_ids:
        parts = node_id.fullmatch(wanted)
        if parts is None:
            raise perm.ForbiddenError()  # as for an object one may not see
        found.append(await fetch(await perm.account(info, coordinate, parts[1]), parts[2]))
    return found
