import { graphql } from "../../gql";

export const PRE_ORDER_CUTOFF = graphql(`
  query PreOrderCutoff($school: UUID!, $date: Date!) {
    preOrderCutoff(school: $school, mealDate: $date)
  }
`);

export const PRE_ORDER_FIELDS = graphql(`
  fragment PreOrderFields on PreOrder {
    preOrderId mealDate amount refunded status cancelReason cutoffAt
    items { code name price quantity }
  }
`);

export const PRE_ORDERS = graphql(`
  query PreOrders($contract: String!, $since: Date) {
    preOrders(contractNumber: $contract, since: $since) { ...PreOrderFields }
  }
`);

// Found by name: codegen adds it to the documents that spread it.
graphql(`
  fragment PreOrderChange on PreOrderPayload {
    preOrder { ...PreOrderFields }
    userErrors { field code message }
    position
  }
`);

export const PLACE_PRE_ORDER = graphql(`
  mutation PlacePreOrder($input: PlacePreOrderInput!) {
    placePreOrder(input: $input) { ...PreOrderChange }
  }
`);

export const CANCEL_PRE_ORDER = graphql(`
  mutation CancelPreOrder($input: CancelPreOrderInput!) {
    cancelPreOrder(input: $input) { ...PreOrderChange }
  }
`);

export const TRANSFER_BETWEEN_SIBLINGS = graphql(`
  mutation TransferBetweenSiblings($input: TransferBetweenSiblingsInput!) {
    transferBetweenSiblings(input: $input) {
      transfer {
        transferId amount replayed
        source { contractNumber regularAfter }
        target { contractNumber regularAfter }
      }
      userErrors { field code message }
      position
    }
  }
`);

export const REGULAR_BALANCE = graphql(`
  query RegularBalance($contract: String!, $atLeast: Position) {
    account(contractNumber: $contract, atLeast: $atLeast) { contractNumber regular }
  }
`);
