"""Abuse limits and error hygiene.

Depth ≤ 8, aliases ≤ 15, tokens ≤ 2,000 per document; ≤ 10 operations per batch (each
batched `login` still counts as an attempt in the throttle). In production: no
introspection and no "did you mean" suggestions. Unexpected exceptions reach the client as
"Unexpected error." with no message or trace; GraphQL errors we raise on purpose (FORBIDDEN,
UNAUTHENTICATED, BAD_USER_INPUT …) and validation errors pass through.
"""

import logging
from collections.abc import Callable

from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_OPERATIONS = 10

log = logging.getLogger("infoshkola.graphql")


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def extensions(development: bool) -> list[Callable[[], SchemaExtension]]:
    """Factories: strawberry builds fresh extensions for every request."""
    found: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskErrors(should_mask_error=should_mask),
    ]
    if not development:
        found.append(DisableIntrospection)
    return found


def log_errors(errors: list[GraphQLError]) -> None:
    """Expected errors in one line; unexpected ones with their traceback, server-side only."""
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            log.info("graphql: %s (path %s)", error.message, error.path)
        else:
            log.error("graphql: unexpected error at %s", error.path, exc_info=original)
