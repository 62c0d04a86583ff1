import { useClient } from "urql";
import { REGULAR_BALANCE } from "./planQueries";
import { ACCOUNT } from "./queries";

/** After a write that moved money: wait until the read models hold its ledger position, then
 * refresh the children's accounts so every card and balance in the cabinet follows. */
export function useBalancesAfterWrite(): (contracts: string[], position: string | null | undefined) => Promise<void> {
  const client = useClient();
  return async (contracts, position) => {
    await Promise.all(
      contracts.map(async (contract) => {
        await client.query(REGULAR_BALANCE, { contract, atLeast: position }, { requestPolicy: "network-only" }).toPromise();
        await client.query(ACCOUNT, { contract }, { requestPolicy: "network-only" }).toPromise();
      }),
    );
  };
}
