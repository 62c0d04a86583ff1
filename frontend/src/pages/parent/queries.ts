import { useQuery } from "urql";
import { graphql } from "../../gql";
import { useSchoolToday } from "../../today";

export const ACCOUNT = graphql(`
  query Account($contract: String!) {
    account(contractNumber: $contract) {
      contractNumber
      schoolId
      regular
      subsidised
      spentToday
      today
      dailyLimit
      tariff
      position
      cards { uid state }
    }
  }
`);

/** The time zone of the contract's school: its pupil's times are shown in it, wherever the
 * reader is (a grandparent in Moscow, a pupil in Novosibirsk); undefined while not known. */
export function useSchoolZone(contract: string): string | undefined {
  const [{ data }] = useQuery({ query: ACCOUNT, variables: { contract } });
  return useSchoolToday(data?.account?.schoolId)?.timeZone;
}

export const STATEMENT = graphql(`
  query Statement($contract: String!, $since: Date, $first: Int!, $after: String) {
    statement(contractNumber: $contract, since: $since, first: $first, after: $after) {
      edges {
        node {
          id position at localAt localDate kind terminalKind amount regularChange subsidisedChange
          commission declined refusedAmount regularAfter subsidisedAfter reason
          items { code name price quantity }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const LIVE = graphql(`
  subscription Live($contract: String!, $after: Position) {
    accountEvents(contractNumber: $contract, after: $after) {
      position kind at amount regularAfter terminalKind reason
    }
  }
`);

export const LOGOUT = graphql(`
  mutation Logout { logout(input: {}) { endedSessions } }
`);

export const CHARGE_FIELDS = graphql(`
  fragment ChargeFields on Charge {
    id key tappedAt localDate terminalKind terminalName amount fromRegular fromSubsidised payingWallet
    offline items { code name price quantity } inside photoCheck flags disputeStatus
    evidence { localTime schoolOpen passes { direction localTime } onlineReason }
  }
`);

// One school day's charges (the dispute form looks for the one a statement line stands for).
export const CHARGES = graphql(`
  query Charges($contract: String!, $on: Date!) {
    charges(contractNumber: $contract, on: $on, first: 200) {
      edges { node { ...ChargeFields } }
    }
  }
`);
