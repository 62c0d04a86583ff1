"""Abuse limits and error hygiene.

Before anything else a document's cost over its fully expanded selection is checked
(`cost.py`, ≤ `max_query_cost`); only a document within it meets the other rules (depth ≤ 8,
aliases ≤ 15, whose own walks expand fragments) and graphql-core's. Validation runs in
GraphQL's thread pool, never on the event loop; only a document that passed every rule before
(the same text: a client's queries are a few fixed documents) has its cost checked on the
loop, a walk linear in its size (≤ 2,000 tokens, each fragment costed once), without a thread
hand-off. ≤ 2,000 tokens per document; ≤ 10 operations
per batch (each batched `login` still counts as an attempt in the throttle). In production:
no introspection and no "did you mean" suggestions of any kind (fields, arguments, types,
enum values, input fields; at validation and when variables are coerced). Unexpected
exceptions reach the client as "Unexpected error." with no message or trace; GraphQL errors
we raise on purpose (FORBIDDEN, UNAUTHENTICATED, BAD_USER_INPUT …) and validation errors
pass through.
"""

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    KnownFragmentNamesRule,
    NoFragmentCyclesRule,
    NoSchemaIntrospectionCustomRule,
    validate,
)
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType

from api.graphql.cost import cost_errors, query_cost_rule

MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_TOKENS = 2_000
MAX_OPERATIONS = 10
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")  # names never hold "?"

log = logging.getLogger("infoshkola.graphql")


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class ValidDocuments:
    """The texts of documents that passed every rule, per schema and configuration, so that
    a client asking the same query again pays only for its cost (which depends on the
    variables). Validation depends on nothing else: not on the variables' values, the
    viewer or the data. Bounded: the oldest text goes first; long documents are not kept.
    (Also the texts, with their integer variables, whose cost was within the limit.)"""

    def __init__(self, size: int = 512, longest: int = 20_000) -> None:
        self.size, self.longest = size, longest
        self._seen: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: tuple[Any, ...]) -> bool:
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
            return False

    def add(self, key: tuple[Any, ...]) -> None:
        if len(key[3]) > self.longest:  # the text
            return
        with self._lock:
            self._seen[key] = None
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)


VALID_DOCUMENTS = ValidDocuments()
WITHIN_COST = ValidDocuments(size=2048)


def validate_within_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: Sequence[type[ASTValidationRule]],
    variables: Mapping[str, Any] | None,
    max_cost: int,
    hide_suggestions: bool,
    text: str | None = None,
) -> list[GraphQLError]:
    """The cost rule first, with the fragment rules strawberry's limiters assume (they raise
    `KeyError` on an unknown fragment); every other rule only for a document that passed.
    `text`, the document's source: when it passed before, only its cost is checked."""
    if text is not None and passed_before(schema, max_cost, hide_suggestions, text):
        return cost_errors(schema, document, variables, max_cost)
    first = [query_cost_rule(max_cost, variables), KnownFragmentNamesRule, NoFragmentCyclesRule]
    refused = validate(schema, document, first)
    if refused:
        return refused
    every = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    errors = validate(schema, document, every, hide_suggestions=hide_suggestions)
    if not errors and text is not None:
        VALID_DOCUMENTS.add((id(schema), max_cost, hide_suggestions, text))
    return errors


def passed_before(schema: GraphQLSchema, max_cost: int, hide_suggestions: bool, text: str) -> bool:
    return (id(schema), max_cost, hide_suggestions, text) in VALID_DOCUMENTS


def known_cost_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    max_cost: int,
    hide_suggestions: bool,
    text: str,
) -> list[GraphQLError]:
    """`cost_errors` of a document that passed before, remembered when there are none: the
    cost depends only on the text and its integer variables (page sizes)."""
    sizes = tuple(
        sorted(
            (name, value)
            for name, value in (variables or {}).items()
            if isinstance(value, int) and not isinstance(value, bool)
        )
    )
    key = (id(schema), max_cost, hide_suggestions, text, sizes)
    if key in WITHIN_COST:
        return []
    errors = cost_errors(schema, document, variables, max_cost)
    if not errors:
        WITHIN_COST.add(key)
    return errors


class CostFirstValidation(SchemaExtension):
    """Runs the whole validation step (cost first) in GraphQL's threads, off the event loop;
    a document that passed before: only its cost, on the loop.

    Strawberry skips its own validation when an extension has set `pre_execution_errors`.
    A subscription outside a WebSocket (a plain or multipart POST) is refused here too: over
    plain HTTP strawberry executed it as a query, an "Unexpected error.".
    """

    def __init__(self, max_cost: int, development: bool) -> None:
        super().__init__()
        self.max_cost = max_cost
        self.development = development

    async def on_validate(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        assert ctx.graphql_document is not None
        if ctx.operation_type is OperationType.SUBSCRIPTION and not over_websocket(ctx.context):
            ctx.pre_execution_errors = [
                GraphQLError(
                    "subscriptions are served over WebSocket (graphql-transport-ws) only",
                    extensions={"code": "BAD_REQUEST"},
                )
            ]
            yield
            return
        schema, hide = ctx.schema._schema, not self.development
        if ctx.query is not None and passed_before(schema, self.max_cost, hide, ctx.query):
            ctx.pre_execution_errors = known_cost_errors(
                schema, ctx.graphql_document, ctx.variables, self.max_cost, hide, ctx.query
            )
            yield
            return
        args = (
            schema,
            ctx.graphql_document,
            tuple(ctx.validation_rules),
            ctx.variables,
            self.max_cost,
            hide,
            ctx.query,
        )
        services = getattr(ctx.context, "services", None)
        if services is not None:
            ctx.pre_execution_errors = await services.run(validate_within_cost, *args)
        else:
            ctx.pre_execution_errors = await run_in_threadpool(validate_within_cost, *args)
        yield


def over_websocket(context: Any) -> bool:
    return isinstance(getattr(context, "request", None), WebSocket)


def extensions(development: bool, max_cost: int) -> list[Callable[[], SchemaExtension]]:
    """Factories: strawberry builds fresh extensions for every request. The depth and alias
    limiters' rules are made once here: strawberry's limiters make a new rule class in every
    instance (about 0.25 ms a request), and the rules of a limit never change. Their rules and,
    in production, introspection's refusal (`DisableIntrospection`'s rule) are added by one
    extension, in that order: each extension's hooks cost every request."""
    rules = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
        *(() if development else (NoSchemaIntrospectionCustomRule,)),
    ]
    found: list[Callable[[], SchemaExtension]] = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskErrors(should_mask_error=should_mask),
        # a document asked again is not parsed again (bounded LRU keyed by the text and the
        # token limit; a document that does not parse is never kept)
        lambda: ParserCache(maxsize=256),
        lambda: CostFirstValidation(max_cost, development),
    ]
    return found


def hide_suggestions(errors: list[GraphQLError]) -> None:
    """Cut every "Did you mean …?" sentence graphql-core or strawberry put in a message."""
    for error in errors:
        error.message = SUGGESTION.sub("", error.message)


def log_errors(errors: list[GraphQLError]) -> None:
    """Expected errors in one line; unexpected ones with their traceback, server-side only."""
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            log.info("graphql: %s (path %s)", error.message, error.path)
        else:
            log.error("graphql: unexpected error at %s", error.path, exc_info=original)
