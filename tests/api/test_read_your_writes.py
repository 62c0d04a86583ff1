"""Read your writes with the projections running as their own process (as `make run` does):
a mutation's position passed as `atLeast` returns the new state, with no catch-up by the test."""

from pathlib import Path

from projections.positions import wait_for
from tests.api.stack import Stack
from tests.projections.helpers import start_runner

ACCOUNT = """query($c: String!, $atLeast: Position) {
  account(contractNumber: $c, atLeast: $atLeast) { dailyLimit } }"""


def test_the_position_of_a_mutation_reads_its_write(stack: Stack, tmp_path: Path) -> None:
    family = stack.family(stack.school())
    runner = start_runner(stack.database_url, tmp_path / "projections.log")
    try:
        # The runner's start-up and its catch-up on the module's earlier events are not what is
        # tested here (on a loaded machine they alone can outlast a read's wait): let it reach
        # the family's own position first, then every read below gets only the server's wait.
        opened = family.client.recorded(
            "changeDailyLimit", contractNumber=family.contract, limit="100"
        )
        wait_for(stack.database_url, "balances", int(opened), timeout=300)
        for limit in ("12300", "45600", "7800"):
            c = family.contract
            position = family.client.recorded("changeDailyLimit", contractNumber=c, limit=limit)
            found = family.client.data(ACCOUNT, c=c, atLeast=position)
            assert found["account"] == {"dailyLimit": limit}
    finally:
        runner.terminate()
        runner.wait(timeout=30)
