"""Query cost over the fully expanded selection, computed before anything else validates.

A field costs 1 plus the cost of its sub-selection, times its page size when it takes a
`first` or `limit` argument (a literal or a variable's value; the argument's default in the
schema when absent). A fragment spread costs what its fragment costs, counted once per spread, so
`fragment F0 on Query { ...F1 ...F1 }` doubles at each level exactly as execution would
expand it. Each fragment is costed once (memoised), so the count itself is linear in the
document's size however large the expansion: the depth and alias limiters walk the expanded
tree, so this rule runs first, alone, and the others only on documents it let through.
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)

MAX_COST = 10_000  # the 21-level fan-out of issue 10 costs 2**20
PAGE_ARGUMENTS = frozenset({"first", "limit"})
MAX_PAGE_FACTOR = 10_000  # a page argument beyond this is refused by its resolver anyway
CODE = "QUERY_TOO_COSTLY"


class QueryCost:
    """Costs of one document's operations; `variables` gives page sizes passed as variables."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None
    ) -> None:
        self.schema = schema
        self.variables = variables or {}
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.known: dict[str, int] = {}
        self.open: set[str] = set()  # fragments being costed: a cycle adds nothing

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self.selection(operation.selection_set, root)

    def selection(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        """The cost of a selection on type `parent` (None where the type is unknown)."""
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                fields = getattr(parent, "fields", None) or {}
                field = fields.get(node.name.value)
                inner = get_named_type(field.type) if field else None
                total += 1 + self.page_factor(node, field) * self.selection(
                    node.selection_set, inner
                )
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, on)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value)
        return total

    def fragment(self, name: str) -> int:
        if name in self.known:
            return self.known[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            return 0  # unknown fragments and cycles are other rules' errors
        self.open.add(name)
        on = self.schema.get_type(definition.type_condition.name.value)
        cost = self.selection(definition.selection_set, on)
        self.open.discard(name)
        self.known[name] = cost
        return cost

    def page_factor(self, node: FieldNode, field: GraphQLField | None) -> int:
        sizes = {name: arg.default_value for name, arg in (field.args if field else {}).items()}
        for argument in node.arguments or ():
            value = argument.value
            if isinstance(value, IntValueNode):
                sizes[argument.name.value] = int(value.value)
            elif isinstance(value, VariableNode):
                sizes[argument.name.value] = self.variables.get(value.name.value)
        found = [
            size
            for name, size in sizes.items()
            if name in PAGE_ARGUMENTS and isinstance(size, int) and not isinstance(size, bool)
        ]
        return min(max([1, *found]), MAX_PAGE_FACTOR)


def cost_errors(
    schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None,
    max_cost: int,
) -> list[GraphQLError]:  # fmt: skip
    """An error for every operation of `document` that costs more than `max_cost`."""
    cost = QueryCost(schema, document, variables)
    errors = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        found = cost.operation(definition)
        if found > max_cost:
            name = definition.name.value if definition.name else "anonymous"
            errors.append(
                GraphQLError(
                    f"'{name}' costs {found} (fields after fragments are expanded, times"
                    f" page sizes); at most {max_cost}",
                    definition,
                    extensions={"code": CODE},
                )
            )
    return errors


def query_cost_rule(max_cost: int, variables: Mapping[str, Any] | None) -> type[ValidationRule]:
    """A graphql-core validation rule refusing every operation that costs more than `max_cost`."""

    class QueryCostRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> Any:
            for error in cost_errors(self.context.schema, node, variables, max_cost):
                self.report_error(error)
            return BREAK

    return QueryCostRule
