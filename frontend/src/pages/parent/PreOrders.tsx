// «Предзаказ» (issue 13, point 1): the coming days' published menus, a meal ordered and paid
// before the school's cut-off, the child's pre-orders with their status, one cancelled.
import { useEffect, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import type { PreOrderFieldsFragment } from "../../gql/graphql";
import { formatDate } from "../../labels";
import { formatKopecks } from "../../money";
import { serverNow } from "../../session";
import { Button, Loading, Money, Notice, Panel, Select } from "../../ui";
import { useBalancesAfterWrite } from "./afterWrite";
import { MENU } from "./MenuToday";
import { comingDates, cutoffState, planProblemText, PREORDER_STATUSES } from "./plan";
import { CANCEL_PRE_ORDER, PLACE_PRE_ORDER, PRE_ORDER_CUTOFF, PRE_ORDERS } from "./planQueries";
import { ACCOUNT } from "./queries";

type Dish = { code: string; name: string; price: string };
type Day = { date: string; cutoffAt: string; dishes: Dish[] };
type Result = { kind: "success" | "error"; text: string };
const PORTIONS: [string, string][] = ["0", "1", "2", "3", "4", "5"].map((n) => [n, n]);
const PAGE = 20; // pre-orders a page; more with «Показать ещё»
type Page = { orders: PreOrderFieldsFragment[]; next: string | null };

/** The coming days with a published menu, each with its cut-off. */
function useComingMenus(school: string | undefined, dates: string[]): Day[] | null {
  const client = useClient();
  const [days, setDays] = useState<Day[] | null>(null);
  const key = dates.join(","); // the dates by value: a new array each render
  useEffect(() => {
    if (!school) return;
    let live = true;
    Promise.all(
      dates.map(async (date) => {
        const [menu, cutoff] = await Promise.all([
          client.query(MENU, { school, date }, { requestPolicy: "network-only" }).toPromise(),
          client.query(PRE_ORDER_CUTOFF, { school, date }, { requestPolicy: "network-only" }).toPromise(),
        ]);
        const dishes = menu.data?.menu.items ?? [];
        const cutoffAt = cutoff.data?.preOrderCutoff;
        return cutoffAt && dishes.length ? [{ date, cutoffAt, dishes }] : [];
      }),
    ).then((found) => live && setDays(found.flat()));
    return () => {
      live = false;
    };
  }, [client, school, key]);
  return days;
}

export function PreOrders({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data: acc }] = useQuery({ query: ACCOUNT, variables: { contract } });
  const school = acc?.account?.schoolId;
  const today = acc?.account?.today; // the school's day, not this device's
  const days = useComingMenus(today ? school : undefined, today ? comingDates(today) : []);
  const opening = { contract, since: today ?? "", first: PAGE, after: null };
  const [{ data: listed }] = useQuery({ query: PRE_ORDERS, variables: opening, pause: !today, requestPolicy: "cache-and-network" });
  const [more, setMore] = useState<Page | null>(null); // the pages after the first, when asked for
  // The mutations answer the pre-order as it now stands: shown at once, before the read models catch up.
  const [recent, setRecent] = useState<Record<string, PreOrderFieldsFragment>>({});
  const refresh = useBalancesAfterWrite();
  const client = useClient();
  const remember = async (p: PreOrderFieldsFragment, position: string | null | undefined) => {
    setRecent((r) => ({ ...r, [p.preOrderId]: p }));
    await refresh([contract], position); // the read models now hold the write
    const fresh = await client.query(PRE_ORDERS, opening, { requestPolicy: "network-only" }).toPromise();
    if (fresh.data?.preOrders.edges.some(({ node: s }) => s.preOrderId === p.preOrderId && s.status === p.status)) {
      setRecent(({ [p.preOrderId]: _, ...rest }) => rest);
    }
  };
  const firstPage = listed?.preOrders;
  const next = more ? more.next : firstPage?.pageInfo.hasNextPage ? firstPage.pageInfo.endCursor ?? null : null;
  const loadMore = async (after: string) => {
    const r = await client.query(PRE_ORDERS, { ...opening, after }, { requestPolicy: "network-only" }).toPromise();
    const page = r.data?.preOrders;
    if (page) {
      const orders = page.edges.map((e) => e.node);
      setMore((m) => ({ orders: [...(m?.orders ?? []), ...orders], next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor ?? null : null }));
    }
  };
  const server = [...(firstPage?.edges.map((e) => e.node) ?? []), ...(more?.orders ?? [])].filter(
    (p, i, all) => all.findIndex((q) => q.preOrderId === p.preOrderId) === i, // a later page may repeat a moved one
  );
  const orders = [
    ...server.map((p) => recent[p.preOrderId] ?? p),
    ...Object.values(recent).filter((p) => !server.some((s) => s.preOrderId === p.preOrderId)),
  ].sort((a, b) => b.mealDate.localeCompare(a.mealDate));
  if (!school || days === null) return <Loading />;
  return (
    <>
      {days.length === 0 && (
        <Panel title="Меню на ближайшие дни">
          <p className="muted">Школа ещё не опубликовала меню на ближайшие дни.</p>
        </Panel>
      )}
        {days.map((day) => (
          <DayMenu
            key={day.date}
            contract={contract}
            day={day}
            manage={manage}
            ordered={orders.some((p) => p.mealDate === day.date && p.status === "PLACED")}
            onPlaced={remember}
          />
        ))}
      <Panel title="Мои предзаказы">
        {orders.length === 0 ? (
          <p className="muted">Предзаказов пока нет.</p>
        ) : (
          <ul className="live" aria-label="Предзаказы">
            {orders.map((p) => (
              <PreOrderItem key={p.preOrderId} contract={contract} order={p} manage={manage} onCancelled={remember} />
            ))}
          </ul>
        )}
        {next && <Button variant="secondary" onClick={() => loadMore(next)}>Показать ещё</Button>}
      </Panel>
    </>
  );
}

function DayMenu({ contract, day, manage, ordered, onPlaced }: {
  contract: string; day: Day; manage: boolean; ordered: boolean; onPlaced: (p: PreOrderFieldsFragment, position: string | null | undefined) => void;
}) {
  const [portions, setPortions] = useState<Record<string, string>>({});
  const [result, setResult] = useState<Result | null>(null);
  const [{ fetching }, place] = useMutation(PLACE_PRE_ORDER);
  const cutoff = cutoffState(day.cutoffAt, serverNow());
  const canOrder = manage && cutoff.open && !ordered;
  const items = day.dishes
    .map((d) => ({ code: d.code, quantity: Number(portions[d.code] ?? "0") }))
    .filter((i) => i.quantity > 0);
  const total = day.dishes.reduce((sum, d) => sum + Number(d.price) * Number(portions[d.code] ?? "0"), 0);
  const title = `Меню на ${formatDate(day.date)}`;
  return (
    <Panel title={title}>
      <form
        aria-label={title}
        onSubmit={async (e) => {
          e.preventDefault();
          if (items.length === 0) return setResult({ kind: "error", text: "Выберите хотя бы одно блюдо" });
          const r = (await place({ input: { contractNumber: contract, mealDate: day.date, items } })).data?.placePreOrder;
          const refusal = r?.userErrors[0];
          if (refusal) setResult({ kind: "error", text: planProblemText(refusal) });
          else if (r?.preOrder) {
            setResult({ kind: "success", text: `Заказ на ${formatDate(day.date)} оплачен` });
            setPortions({});
            onPlaced(r.preOrder, r.position);
          } else setResult({ kind: "error", text: "Не удалось оформить заказ, попробуйте ещё раз" });
        }}
      >
        <p className={cutoff.open ? "muted" : undefined}>{cutoff.text}</p>
        {ordered && <p>На этот день уже есть заказ.</p>}
        {canOrder ? (
          day.dishes.map((d) => (
            <Select
              key={d.code}
              label={`${d.name}, ${formatKopecks(d.price)} — порций`}
              value={portions[d.code] ?? "0"}
              onChange={(e) => setPortions((p) => ({ ...p, [d.code]: e.target.value }))}
              options={PORTIONS}
            />
          ))
        ) : (
          <table>
            <thead><tr><th>Блюдо</th><th className="num">Цена</th></tr></thead>
            <tbody>
              {day.dishes.map((d) => (
                <tr key={d.code}><td>{d.name}</td><td className="num"><Money value={d.price} /></td></tr>
              ))}
            </tbody>
          </table>
        )}
        {canOrder && (
          <Button type="submit" disabled={fetching}>
            Заказать на {formatDate(day.date)}{total > 0 && <> за <Money value={total} /></>}
          </Button>
        )}
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </form>
    </Panel>
  );
}

function PreOrderItem({ contract, order, manage, onCancelled }: {
  contract: string; order: PreOrderFieldsFragment; manage: boolean; onCancelled: (p: PreOrderFieldsFragment, position: string | null | undefined) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, cancel] = useMutation(CANCEL_PRE_ORDER);
  const cutoff = cutoffState(order.cutoffAt, serverNow());
  const cancellable = manage && order.status === "PLACED" && cutoff.open;
  return (
    <li>
      <strong>{formatDate(order.mealDate)}</strong> — {PREORDER_STATUSES[order.status] ?? order.status}
      <div>{order.items.map((i) => `${i.name} × ${i.quantity}`).join(", ")}</div>
      <div>
        Оплачено <Money value={order.amount} />
        {order.refunded !== "0" && <>, возвращено <Money value={order.refunded} /></>}
      </div>
      {order.cancelReason && <div className="muted">Причина отмены: {order.cancelReason}</div>}
      {order.status === "PLACED" && <div className="muted">{cutoff.text}</div>}
      {cancellable && (
        <Button
          variant="danger"
          disabled={fetching}
          onClick={async () => {
            setError(null);
            const r = (await cancel({ input: { contractNumber: contract, preOrderId: order.preOrderId } })).data?.cancelPreOrder;
            const refusal = r?.userErrors[0];
            if (refusal) setError(planProblemText(refusal));
            else if (r?.preOrder) onCancelled(r.preOrder, r.position);
            else setError("Не удалось отменить заказ, попробуйте ещё раз");
          }}
        >
          Отменить заказ на {formatDate(order.mealDate)}
        </Button>
      )}
      {error && <Notice kind="error">{error}</Notice>}
    </li>
  );
}
