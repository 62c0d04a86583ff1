// «Списания» (issue 12, point 6): the child's charges over a chosen period, filtered, each with
// its evidence (terminal, items, photo check, inside or not, the flags), a page at a time.
import { useEffect, useState } from "react";
import { useClient, useQuery } from "urql";
import { graphql } from "../../gql";
import type { ChargeFieldsFragment } from "../../gql/graphql";
import { TERMINAL_KINDS } from "../../labels";
import { formatKopecks } from "../../money";
import { Button, Checkbox, Field, Loading, Money, Notice, Panel, Select } from "../../ui";
import {
  CHARGING_KINDS,
  DISPUTE_CHOICES,
  DISPUTE_STATES,
  type ChargeFilter,
  type ChargeVariables,
  chargeVariables,
  defaultFilter,
  evidenceLines,
  flagText,
  localTimeText,
} from "./charges";
import { ACCOUNT } from "./queries";

const CHARGES_PAGE = graphql(`
  query ChargesPage(
    $contract: String!, $since: Date, $until: Date, $terminalKinds: [TerminalKind!], $flaggedOnly: Boolean!,
    $disputeStatuses: [ChargeDisputeStatus!], $minAmount: Kopecks, $maxAmount: Kopecks, $first: Int!, $after: String
  ) {
    charges(
      contractNumber: $contract, since: $since, until: $until, terminalKinds: $terminalKinds, flaggedOnly: $flaggedOnly,
      disputeStatuses: $disputeStatuses, minAmount: $minAmount, maxAmount: $maxAmount, first: $first, after: $after
    ) {
      edges { node { ...ChargeFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const PAGE = 20; // charges a page; more with «Показать ещё»
type Pages = { charges: ChargeFieldsFragment[]; next: string | null };

/** The charges the filter lets through, page after page: the first at once, the rest on «more». */
function useChargePages(contract: string, asked: ChargeVariables) {
  const client = useClient();
  const [pages, setPages] = useState<Pages | null>(null);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify(asked); // the filter by value

  const fetchPage = (after: string | null) =>
    client.query(CHARGES_PAGE, { contract, ...asked, first: PAGE, after }, { requestPolicy: "network-only" }).toPromise();

  useEffect(() => {
    let live = true;
    setPages(null);
    setFailed(false);
    fetchPage(null).then((r) => {
      if (!live) return;
      const page = r.data?.charges;
      if (!page) return setFailed(true);
      setPages({ charges: page.edges.map((e) => e.node), next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor ?? null : null });
    });
    return () => {
      live = false;
    };
  }, [client, contract, key]);

  async function more() {
    if (!pages?.next) return;
    setBusy(true);
    const r = await fetchPage(pages.next);
    setBusy(false);
    const page = r.data?.charges;
    if (!page) return setFailed(true);
    setPages({ charges: [...pages.charges, ...page.edges.map((e) => e.node)], next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor ?? null : null });
  }

  return { pages, failed, busy, more };
}

export function Charges({ contract }: { contract: string }) {
  const [{ data: acc }] = useQuery({ query: ACCOUNT, variables: { contract } });
  const today = acc?.account?.today; // the school's day, not this device's
  return today ? <ChargesFrom contract={contract} today={today} /> : <Loading />;
}

function ChargesFrom({ contract, today }: { contract: string; today: string }) {
  const [filter, setFilter] = useState<ChargeFilter>(() => defaultFilter(today));
  const [asked, setAsked] = useState<ChargeVariables>(() => {
    const found = chargeVariables(filter);
    if ("error" in found) throw new Error(found.error); // the default filter is always valid
    return found.variables;
  });
  const [error, setError] = useState<string | null>(null);
  const { pages, failed, busy, more } = useChargePages(contract, asked);
  const set = (change: Partial<ChargeFilter>) => setFilter((f) => ({ ...f, ...change }));

  return (
    <>
      <Panel title="Отбор списаний">
        <form
          aria-label="Отбор списаний"
          onSubmit={(e) => {
            e.preventDefault();
            const found = chargeVariables(filter);
            if ("error" in found) return setError(found.error);
            setError(null);
            setAsked(found.variables);
          }}
        >
          <div className="row">
            <Field label="С даты" type="date" value={filter.since} onChange={(e) => set({ since: e.target.value })} required />
            <Field label="По дату" type="date" value={filter.until} onChange={(e) => set({ until: e.target.value })} required />
          </div>
          <fieldset>
            <legend>Где</legend>
            {CHARGING_KINDS.map(([kind, text]) => (
              <Checkbox
                key={kind}
                label={text}
                checked={filter.kinds.includes(kind)}
                onChange={(e) => set({ kinds: e.target.checked ? [...filter.kinds, kind] : filter.kinds.filter((k) => k !== kind) })}
              />
            ))}
          </fieldset>
          <Checkbox label="Только сомнительные списания" checked={filter.flaggedOnly} onChange={(e) => set({ flaggedOnly: e.target.checked })} />
          <Select
            label="Спор"
            value={filter.dispute}
            onChange={(e) => set({ dispute: DISPUTE_CHOICES.find(([s]) => s === e.target.value)?.[0] ?? "" })}
            options={[["", "Все"], ...DISPUTE_CHOICES]}
          />
          <div className="row">
            <Field label="Сумма от, ₽" inputMode="decimal" value={filter.min} onChange={(e) => set({ min: e.target.value })} />
            <Field label="Сумма до, ₽" inputMode="decimal" value={filter.max} onChange={(e) => set({ max: e.target.value })} />
          </div>
          <Button type="submit">Показать</Button>
          {error && <Notice kind="error">{error}</Notice>}
        </form>
      </Panel>
      <Panel title="Списания">
        {failed ? (
          <Notice kind="error">Не удалось загрузить списания, попробуйте ещё раз</Notice>
        ) : !pages ? (
          <Loading />
        ) : pages.charges.length === 0 ? (
          <p className="muted">За этот период таких списаний нет.</p>
        ) : (
          <ul className="live" aria-label="Списания за период">
            {pages.charges.map((c) => <ChargeItem key={c.id} charge={c} />)}
          </ul>
        )}
        {pages?.next && (
          <Button variant="secondary" disabled={busy} onClick={more}>Показать ещё</Button>
        )}
      </Panel>
    </>
  );
}

function ChargeItem({ charge: c }: { charge: ChargeFieldsFragment }) {
  const title = `${localTimeText(c.evidence.localTime)}, ${TERMINAL_KINDS[c.terminalKind] ?? c.terminalKind}`;
  return (
    <li className={c.flags.length ? "flagged" : undefined}>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <strong>{title}</strong>
        <Money value={c.amount} />
      </div>
      {c.items.length > 0 && (
        <div>{c.items.map((i) => `${i.name} × ${i.quantity}${i.price ? ` по ${formatKopecks(i.price)}` : ""}`).join("; ")}</div>
      )}
      <div className="muted">
        Основной счёт <Money value={c.fromRegular} />, дотация <Money value={c.fromSubsidised} />
      </div>
      <ul className="muted" aria-label={`Основание списания: ${title}`}>
        {evidenceLines(c).map((line) => <li key={line}>{line}</li>)}
      </ul>
      {c.flags.length > 0 ? (
        <div role="note">
          <strong>Сомнения:</strong> {c.flags.map(flagText).join("; ")}
        </div>
      ) : (
        <div className="muted">Сомнений нет</div>
      )}
      {c.disputeStatus !== "NONE" && <div>{DISPUTE_STATES[c.disputeStatus] ?? c.disputeStatus}</div>}
    </li>
  );
}
