import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { TARIFFS } from "../../labels";
import { Button, Checkbox, Field, Loading, Notice, Panel } from "../../ui";
import { payloadOutcome, type Result } from "./outcome";
import { currentEndpoint, pushSupported, subscribeBrowser, unsubscribeBrowser } from "./push";

const SETTINGS = graphql(`
  query NotificationSettings($contract: String!) {
    notificationSettings(contractNumber: $contract) {
      tariff serviceOnly
      kinds { kind channels { channel allowed enabled } }
      quietHours { start end }
    }
  }
`);
const CHANGE = graphql(`
  mutation ChangeNotificationSettings($input: ChangeNotificationSettingsInput!) {
    changeNotificationSettings(input: $input) {
      settings { kinds { kind channels { channel allowed enabled } } quietHours { start end } }
      userErrors { field code message }
    }
  }
`);
const WEB_PUSH = graphql(`
  query WebPush($contract: String!) {
    webPush(contractNumber: $contract) { publicKey browsers { endpoint } }
  }
`);
const REGISTER = graphql(`
  mutation RegisterPushSubscription($input: RegisterPushSubscriptionInput!) {
    registerPushSubscription(input: $input) { webPush { browsers { endpoint } } userErrors { field code message } }
  }
`);
const UNREGISTER = graphql(`
  mutation UnregisterPushSubscription($input: UnregisterPushSubscriptionInput!) {
    unregisterPushSubscription(input: $input) { webPush { browsers { endpoint } } userErrors { field code message } }
  }
`);

const KINDS: Record<string, string> = {
  PURCHASES: "Покупки и отказы",
  PASSES: "Проходы через турникет",
  TOP_UPS: "Пополнения",
  LOW_BALANCE: "Низкий баланс",
  FEES: "Абонентская плата",
  CASEWORK: "Споры и возвраты",
};
const CHANNELS: Record<string, string> = { EMAIL: "e-mail", PUSH: "push", SMS: "СМС" };

function host(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint.slice(0, 40);
  }
}

/** Per kind and channel, quiet hours, and push to this browser. */
export function Notifications({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data }, refetch] = useQuery({ query: SETTINGS, variables: { contract } });
  const [, change] = useMutation(CHANGE);
  const [switches, setSwitches] = useState<Record<string, boolean>>({});
  const [start, setStart] = useState<string | null>(null);
  const [end, setEnd] = useState<string | null>(null);
  const [results, setResults] = useState<Record<string, Result>>({});
  const s = data?.notificationSettings;
  if (!s) return <Loading />;
  const show = (key: string, r: Result) => setResults((all) => ({ ...all, [key]: r }));
  const note = (key: string) => results[key] && <Notice kind={results[key]!.kind}>{results[key]!.text}</Notice>;
  const startText = start ?? s.quietHours?.start ?? "";
  const endText = end ?? s.quietHours?.end ?? "";

  return (
    <>
      <Panel title="Что и куда присылать">
        <form onSubmit={async (e) => {
          e.preventDefault();
          const list = Object.entries(switches).map(([key, enabled]) => {
            const [kind, channel] = key.split(":");
            return { kind: kind as never, channel: channel as never, enabled };
          });
          show("kinds", payloadOutcome((await change({ input: { contractNumber: contract, switches: list } })).data?.changeNotificationSettings, "Настройки сохранены"));
          setSwitches({});
          refetch({ requestPolicy: "network-only" });
        }}>
          <p>Тариф {TARIFFS[s.tariff]}: каналы, которых нет в тарифе, недоступны.{s.serviceOnly && " Сейчас включены только служебные сообщения."}</p>
          {s.kinds.map((k) => (
            <fieldset key={k.kind}>
              <legend>{KINDS[k.kind] ?? k.kind}</legend>
              {k.channels.map((c) => {
                const key = `${k.kind}:${c.channel}`;
                return (
                  <Checkbox key={key} label={`${KINDS[k.kind] ?? k.kind}: ${CHANNELS[c.channel]}`} disabled={!manage || !c.allowed}
                    checked={switches[key] ?? c.enabled} onChange={(e) => setSwitches((all) => ({ ...all, [key]: e.target.checked }))} />
                );
              })}
            </fieldset>
          ))}
          <Button type="submit" disabled={!manage}>Сохранить</Button>
          {note("kinds")}
        </form>
      </Panel>
      <Panel title="Тихие часы">
        <form onSubmit={async (e) => {
          e.preventDefault();
          const input = startText && endText
            ? { contractNumber: contract, quietHours: { start: startText, end: endText } }
            : { contractNumber: contract, clearQuietHours: true };
          show("quiet", payloadOutcome((await change({ input })).data?.changeNotificationSettings, startText && endText ? `Тихие часы: ${startText}–${endText}` : "Тихие часы выключены"));
          setStart(null);
          setEnd(null);
          refetch({ requestPolicy: "network-only" });
        }}>
          <p>В тихие часы (по времени школы) не приходят push и СМС; письма приходят как обычно.</p>
          <Field label="С" type="time" value={startText} onChange={(e) => setStart(e.target.value)} disabled={!manage} />
          <Field label="До" type="time" value={endText} onChange={(e) => setEnd(e.target.value)} disabled={!manage} />
          <Button type="submit" disabled={!manage}>Сохранить тихие часы</Button>
          {(s.quietHours || startText) && (
            <Button variant="secondary" disabled={!manage} onClick={() => { setStart(""); setEnd(""); }}>Очистить</Button>
          )}
          {note("quiet")}
        </form>
      </Panel>
      <BrowserPush contract={contract} manage={manage} pushAllowed={s.kinds.some((k) => k.channels.some((c) => c.channel === "PUSH" && c.allowed))} />
    </>
  );
}

function BrowserPush({ contract, manage, pushAllowed }: { contract: string; manage: boolean; pushAllowed: boolean }) {
  const [{ data }, refetch] = useQuery({ query: WEB_PUSH, variables: { contract } });
  const [, register] = useMutation(REGISTER);
  const [, unregister] = useMutation(UNREGISTER);
  const [mine, setMine] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result>(null);
  useEffect(() => {
    currentEndpoint().then(setMine).catch(() => setMine(null));
  }, []);
  const push = data?.webPush;
  if (!push) return <Loading />;
  const browsers = push.browsers;
  const here = mine !== null && browsers.some((b) => b.endpoint === mine);
  const reload = () => refetch({ requestPolicy: "network-only" });

  async function enable() {
    setBusy(true);
    const sub = await subscribeBrowser(push!.publicKey!);
    if (typeof sub === "string") {
      setResult({ kind: "error", text: sub });
    } else {
      const r = (await register({ input: { contractNumber: contract, ...sub } })).data?.registerPushSubscription;
      setResult(payloadOutcome(r, "Push-уведомления включены на этом устройстве"));
      setMine(sub.endpoint);
      reload();
    }
    setBusy(false);
  }

  async function disable(endpoint: string) {
    setBusy(true);
    if (endpoint === mine) await unsubscribeBrowser().catch(() => undefined);
    const r = (await unregister({ input: { contractNumber: contract, endpoint } })).data?.unregisterPushSubscription;
    setResult(payloadOutcome(r, "Устройство больше не получает push-уведомления"));
    reload();
    setBusy(false);
  }

  return (
    <Panel title="Push-уведомления в браузере">
      {!push.publicKey ? (
        <p className="muted">На этом сервере push-уведомления не настроены.</p>
      ) : (
        <>
          {!pushAllowed && <Notice kind="warning">В вашем тарифе нет push-уведомлений: смените тариф в «Настройках».</Notice>}
          <p>{browsers.length === 0 ? "Push-уведомления не включены ни на одном устройстве." : `Push-уведомления включены на устройствах: ${browsers.length}.`}</p>
          {browsers.length > 0 && (
            <ul className="list" aria-label="Устройства с push-уведомлениями">
              {browsers.map((b, n) => (
                <li key={b.endpoint}>
                  <span>{b.endpoint === mine ? "Это устройство" : `Устройство ${n + 1}`} ({host(b.endpoint)})</span>{" "}
                  <Button variant="secondary" disabled={!manage || busy} onClick={() => disable(b.endpoint)}>
                    Отключить{b.endpoint === mine ? "" : ` устройство ${n + 1}`}
                  </Button>
                </li>
              ))}
            </ul>
          )}
          {!here && (
            <Button disabled={!manage || busy || !pushSupported()} onClick={enable}>Включить push-уведомления на этом устройстве</Button>
          )}
          {!pushSupported() && <p className="muted">Этот браузер не поддерживает push-уведомления.</p>}
        </>
      )}
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
    </Panel>
  );
}
