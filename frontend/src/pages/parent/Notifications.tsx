import { useEffect, useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { TARIFFS } from "../../labels";
import { Button, Checkbox, Field, Loading, Notice, Panel } from "../../ui";
import { ActionForm, ResultNotice, usePayloadMutation } from "./forms";
import type { Result } from "./outcome";
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
  const change = usePayloadMutation(CHANGE, "changeNotificationSettings");
  const [switches, setSwitches] = useState<Record<string, boolean>>({});
  const [start, setStart] = useState<string | null>(null);
  const [end, setEnd] = useState<string | null>(null);
  const s = data?.notificationSettings;
  if (!s) return <Loading />;
  const reload = () => refetch({ requestPolicy: "network-only" });
  const startText = start ?? s.quietHours?.start ?? "";
  const endText = end ?? s.quietHours?.end ?? "";

  return (
    <>
      <Panel title="Что и куда присылать">
        <ActionForm submit="Сохранить" disabled={!manage} onSubmit={async () => {
          const list = Object.entries(switches).map(([key, enabled]) => {
            const [kind, channel] = key.split(":");
            return { kind: kind as never, channel: channel as never, enabled };
          });
          const r = await change({ input: { contractNumber: contract, switches: list } }, "Настройки сохранены");
          setSwitches({});
          reload();
          return r;
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
        </ActionForm>
      </Panel>
      <Panel title="Тихие часы">
        <ActionForm submit="Сохранить тихие часы" disabled={!manage} after={(s.quietHours || startText) && (
          <Button variant="secondary" disabled={!manage} onClick={() => { setStart(""); setEnd(""); }}>Очистить</Button>
        )} onSubmit={async () => {
          const input = startText && endText
            ? { contractNumber: contract, quietHours: { start: startText, end: endText } }
            : { contractNumber: contract, clearQuietHours: true };
          const r = await change({ input }, startText && endText ? `Тихие часы: ${startText}–${endText}` : "Тихие часы выключены");
          setStart(null);
          setEnd(null);
          reload();
          return r;
        }}>
          <p>В тихие часы (по времени школы) не приходят push и СМС; письма приходят как обычно.</p>
          <Field label="С" type="time" value={startText} onChange={(e) => setStart(e.target.value)} disabled={!manage} />
          <Field label="До" type="time" value={endText} onChange={(e) => setEnd(e.target.value)} disabled={!manage} />
        </ActionForm>
      </Panel>
      <BrowserPush contract={contract} manage={manage} pushAllowed={s.kinds.some((k) => k.channels.some((c) => c.channel === "PUSH" && c.allowed))} />
    </>
  );
}

function BrowserPush({ contract, manage, pushAllowed }: { contract: string; manage: boolean; pushAllowed: boolean }) {
  const [{ data }, refetch] = useQuery({ query: WEB_PUSH, variables: { contract } });
  const register = usePayloadMutation(REGISTER, "registerPushSubscription");
  const unregister = usePayloadMutation(UNREGISTER, "unregisterPushSubscription");
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
      setResult(await register({ input: { contractNumber: contract, ...sub } }, "Push-уведомления включены на этом устройстве"));
      setMine(sub.endpoint);
      reload();
    }
    setBusy(false);
  }

  async function disable(endpoint: string) {
    setBusy(true);
    if (endpoint === mine) await unsubscribeBrowser().catch(() => undefined);
    setResult(await unregister({ input: { contractNumber: contract, endpoint } }, "Устройство больше не получает push-уведомления"));
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
      <ResultNotice result={result} />
    </Panel>
  );
}
