import { useCallback, useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { declineReason } from "../../labels";
import { formatKopecks, parseRoubles } from "../../money";
import type { Session } from "../../session";
import { DeviceSetup, useDevice } from "../../terminal/DeviceSetup";
import { OfflineTill, type Item } from "../../terminal/offline";
import { signedFetch, signedJson, TerminalError, type Device } from "../../terminal/signing";
import { localToday, useSchoolToday } from "../../today";
import { Button, Checkbox, Field, Layout, Link, Loading, Money, Notice, Panel } from "../../ui";
import { MENU } from "../parent/MenuToday";
import { LogoutButton } from "../parent/Cabinet";

interface Decision {
  outcome: "approved" | "declined";
  reason: string | null;
  amount: number;
  from_regular?: number;
  from_subsidised?: number;
  regular_after?: number | null;
  subsidised_after?: number | null;
  spent_today?: number | null;
  daily_limit?: number | null;
  pupil?: { name: string | null; class: string | null; photo_url: string | null } | null;
  offline?: boolean;
  replayed?: boolean;
}

const till = new OfflineTill(window.localStorage);
const SYNC_MS = 10_000;

function isoWithOffset(d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}

function newTapId(): string {
  return `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function Till({ session }: { session: Session | null }) {
  const { device, setUp, forget } = useDevice("till");
  if (device === undefined) return <Layout title="Касса столовой"><Loading /></Layout>;
  if (device === null)
    return (
      <Layout title="Касса столовой">
        <DeviceSetup what="касса столовой" onSetUp={setUp} />
      </Layout>
    );
  return <TillScreen device={device} session={session} onForget={forget} />;
}

function useSync(device: Device) {
  const [online, setOnline] = useState(true);
  const [pending, setPending] = useState(till.pending().length);
  const sync = useCallback(async () => {
    try {
      const deny = await signedJson<{ version: number; uids: string[]; offline_cap: number }>(device, "GET", "/terminal/v1/deny-list?since=0");
      till.saveDenyList(deny);
      const taps = till.pending();
      if (taps.length) {
        const answer = await signedJson<{ results: { tap_id: string | null }[] }>(device, "POST", "/terminal/v1/taps/batch", { taps });
        till.uploaded(answer.results.map((r) => r.tap_id ?? "").filter(Boolean));
      }
      setOnline(true);
    } catch (e) {
      if (e instanceof TypeError) setOnline(false);
    }
    setPending(till.pending().length);
  }, [device]);
  useEffect(() => {
    sync();
    const timer = window.setInterval(sync, SYNC_MS);
    return () => window.clearInterval(timer);
  }, [sync]);
  return { online, setOnline, pending, setPending, sync };
}

function TillScreen({ device, session, onForget }: { device: Device; session: Session | null; onForget: () => void }) {
  const [order, setOrder] = useState<Item[]>([]);
  const [subsidyFirst, setSubsidyFirst] = useState(true);
  const [uid, setUid] = useState("");
  const [decision, setDecision] = useState<Decision | null>(null);
  const [photo, setPhoto] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { online, setOnline, pending, setPending, sync } = useSync(device);
  const schoolDay = useSchoolToday(session?.viewer.schoolIds[0]);
  const card = useRef<HTMLInputElement>(null);
  const total = order.reduce((s, i) => s + i.price * i.quantity, 0);

  async function tap(e: React.FormEvent) {
    e.preventDefault();
    const cardUid = uid.trim().toUpperCase();
    if (!cardUid || !order.length) return setError(order.length ? "Приложите карту" : "Сначала выберите блюда");
    setBusy(true);
    setError(null);
    setDecision(null);
    if (photo) URL.revokeObjectURL(photo);
    setPhoto(null);
    const base = { tap_id: newTapId(), card_uid: cardUid, tapped_at: isoWithOffset() };
    // Online, the operator's choice is the tap's `paying_wallet`, recorded on the purchase; the
    // reader offline cannot take it, so there own money pays by the meals counting as none.
    const body = { ...base, items: order.map((i) => ({ ...i, meal: i.meal !== false })), ...(subsidyFirst ? {} : { paying_wallet: "regular" }) };
    const offlineBody = { ...base, items: order.map((i) => ({ ...i, meal: subsidyFirst && i.meal !== false })) };
    try {
      const d = await signedJson<Decision>(device, "POST", "/terminal/v1/taps", body);
      setOnline(true);
      setDecision(d);
      if (d.outcome === "approved") setOrder([]);
      if (d.pupil?.photo_url) {
        const r = await signedFetch(device, "GET", d.pupil.photo_url);
        if (r.ok) setPhoto(URL.createObjectURL(await r.blob()));
      }
    } catch (err) {
      if (err instanceof TerminalError) setError(`${err.message} (${err.code})`);
      else {
        // No network: decide as the reader does, journal it, upload later.
        setOnline(false);
        const d = till.decide(offlineBody, localToday(new Date(), schoolDay?.timeZone)); // the school's day
        setPending(till.pending().length);
        setDecision({ ...d, offline: true });
        if (d.outcome === "approved") setOrder([]);
      }
    } finally {
      setBusy(false);
      setUid("");
      card.current?.focus();
    }
  }

  return (
    <Layout
      title="Касса столовой"
      wide
      actions={
        <>
          <span aria-live="polite">{online ? "На связи" : "Нет связи"}{pending ? ` · к отправке: ${pending}` : ""}</span>
          {session && <LogoutButton />}
        </>
      }
    >
      {!online && <Notice kind="warning">Нет связи с сервером: касса продаёт в пределах офлайн-лимита и отправит покупки позже.</Notice>}
      <div className="till">
        <div>
          <Order order={order} setOrder={setOrder} session={session} />
          <Panel title="Оплата">
            <p>Итого: <strong className="big"><Money value={total} /></strong></p>
            <Checkbox label="Сначала за счёт дотации (комплексное питание); снимите, чтобы оплатить с основного счёта" checked={subsidyFirst} onChange={(e) => setSubsidyFirst(e.target.checked)} />
            <form onSubmit={tap}>
              <Field label="Карта ученика (поднесите к считывателю)" ref={card} value={uid} onChange={(e) => setUid(e.target.value)} autoComplete="off" autoFocus />
              <Button type="submit" disabled={busy}>Списать</Button>
            </form>
            {error && <Notice kind="error">{error}</Notice>}
          </Panel>
        </div>
        <div>
          <Panel title="Результат">
            {decision ? <DecisionView decision={decision} photo={photo} /> : <p className="muted">Здесь появятся фото ученика и решение по оплате.</p>}
          </Panel>
          <Panel title="Касса">
            <p className="muted">Терминал {device.terminalId}</p>
            <div className="row">
              <Button variant="secondary" onClick={sync}>Синхронизировать</Button>
              <Button variant="secondary" onClick={() => window.confirm("Отвязать кассу от этого компьютера?") && onForget()}>Отвязать кассу</Button>
            </div>
          </Panel>
        </div>
      </div>
    </Layout>
  );
}

function DecisionView({ decision: d, photo }: { decision: Decision; photo: string | null }) {
  const ok = d.outcome === "approved";
  return (
    <div className={`decision ${ok ? "ok" : "no"}`} data-testid="decision">
      {d.pupil?.photo_url || photo ? (
        photo ? <img src={photo} alt={`Фото: ${d.pupil?.name ?? "ученик"}`} /> : <div className="photo-missing">Загрузка фото…</div>
      ) : (
        <div className="photo-missing">{d.offline ? "Без связи: фото нет" : "Фото нет"}</div>
      )}
      {d.pupil && (
        <p className="big">
          {d.pupil.name ?? "Имя не указано"}
          {d.pupil.class && <>, {d.pupil.class}</>}
        </p>
      )}
      <p className={`big ${ok ? "approved" : "declined"}`} role="status">
        {ok ? `Оплачено ${formatKopecks(d.amount)}` : `Отказ: ${declineReason(d.reason)}`}
      </p>
      {d.offline && <p>Решение принято без связи; сервер проверит покупку позже.</p>}
      {ok && !d.offline && (
        <p>
          Из дотации <Money value={d.from_subsidised} />, из основного кошелька <Money value={d.from_regular} />
        </p>
      )}
      {d.regular_after != null && (
        <p className="muted">
          Остаток: <Money value={d.regular_after} />, дотация <Money value={d.subsidised_after} />; сегодня{" "}
          <Money value={d.spent_today} /> из <Money value={d.daily_limit} />
        </p>
      )}
    </div>
  );
}

function Order({ order, setOrder, session }: { order: Item[]; setOrder: (o: Item[]) => void; session: Session | null }) {
  const school = session?.viewer.schoolIds[0];
  const day = useSchoolToday(school)?.date; // the school's day, not this device's
  const [{ data, error }, reload] = useQuery({ query: MENU, variables: { school: school ?? "", date: day ?? "" }, pause: !school || !day });
  const [name, setName] = useState("");
  const [price, setPrice] = useState("");
  const add = (item: Item) => {
    const same = order.find((i) => i.code === item.code);
    setOrder(same ? order.map((i) => (i === same ? { ...i, quantity: i.quantity + 1 } : i)) : [...order, item]);
  };
  return (
    <Panel title="Заказ">
      {school ? (
        <div className="row" role="group" aria-label="Меню на сегодня">
          {(data?.menu.items ?? []).map((i) => (
            <Button key={i.code} variant="secondary" onClick={() => add({ code: i.code, name: i.name, price: Number(i.price), quantity: 1, meal: true })}>
              {i.name} · {formatKopecks(i.price)}
            </Button>
          ))}
          {data && !data.menu.items.length && <p className="muted">Меню на сегодня не опубликовано.</p>}
          {error && !data && (
            <p>
              Меню не загрузилось. <Button variant="secondary" onClick={() => reload({ requestPolicy: "network-only" })}>Повторить</Button>
            </p>
          )}
        </div>
      ) : (
        <p className="muted">
          Чтобы выбирать блюда из меню, <Link to="/">войдите как сотрудник столовой</Link>. Без входа позиции вводятся вручную.
        </p>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          const k = parseRoubles(price);
          if (!name.trim() || !k) return;
          add({ code: `free-${name.trim().slice(0, 40)}`, name: name.trim(), price: k, quantity: 1, meal: true });
          setName("");
          setPrice("");
        }}
      >
        <Field label="Позиция" value={name} onChange={(e) => setName(e.target.value)} />
        <Field label="Цена, ₽" inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />
        <Button type="submit" variant="secondary">Добавить</Button>
      </form>
      {order.length > 0 && (
        <table>
          <thead><tr><th>Позиция</th><th className="num">Кол-во</th><th className="num">Сумма</th><th><span className="visually-hidden">Убрать</span></th></tr></thead>
          <tbody>
            {order.map((i) => (
              <tr key={i.code}>
                <td>{i.name}</td>
                <td className="num">{i.quantity}</td>
                <td className="num"><Money value={i.price * i.quantity} /></td>
                <td><Button variant="secondary" aria-label={`Убрать ${i.name}`} onClick={() => setOrder(order.filter((o) => o !== i))}>×</Button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
