"""Arguments many fields take, each with its one description."""

from datetime import date
from typing import Annotated

import strawberry

from api.graphql.scalars import Position

AtLeast = Annotated[
    Position | None,
    strawberry.argument(
        description="Read your own writes: wait (a few seconds at most) until the read models"
        " have applied this ledger position (a mutation's `position`)."
    ),
]
ContractNumber = Annotated[
    str, strawberry.argument(description="The contract number of the pupil's account.")
]
Since = Annotated[
    date | None, strawberry.argument(description="The first school-local day (inclusive).")
]
Until = Annotated[
    date | None,
    strawberry.argument(description="The last school-local day (inclusive); today by default."),
]
First = Annotated[
    int, strawberry.argument(description="How many items at most in this page (1 to 200).")
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="The cursor after which the page starts (`pageInfo.endCursor` of the"
        " previous page); from the start when absent."
    ),
]
