import { useState } from "react";
import { declineReason } from "../../labels";
import { formatKopecks } from "../../money";
import { DeviceSetup, useDevice } from "../../terminal/DeviceSetup";
import { signedJson, TerminalError, type Device } from "../../terminal/signing";
import { Button, Checkbox, Field, Layout, Loading, Money, Notice, Panel } from "../../ui";

// The offer a parent accepts at activation; its version goes into the activation event.
export const OFFER_VERSION = "offer-2025";
/** The consent to the processing of personal data (152-FZ) accepted with the offer. */
export const CONSENT_VERSION = "pd-2026-01";
const MIN_DEPOSIT = 10_000;
const NOTES = [10_000, 50_000, 100_000];

interface Receipt {
  receipt: Record<string, string | number | null>;
  replayed: boolean;
}

function receiptId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

function failure(e: unknown): string {
  if (e instanceof TerminalError) return `${declineReason(e.code) || e.message}`;
  return "Нет связи с сервером, попробуйте ещё раз";
}

/** One signed kiosk request (POST `path`): its receipt once it came, and why it failed if it did
 * (`problem`, the notice to show; `setError` for a refusal of the kiosk's own). `send` answers
 * the receipt, or null on a failure. */
function useKioskRequest(device: Device, path: string) {
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function send(body: Record<string, unknown>): Promise<Receipt | null> {
    setError(null);
    try {
      const r = await signedJson<Receipt>(device, "POST", path, body);
      setReceipt(r);
      return r;
    } catch (e) {
      setError(failure(e));
      return null;
    }
  }
  return { receipt, send, setError, problem: error && <Notice kind="error">{error}</Notice> };
}

type Mode = "home" | "activate" | "deposit" | "duplicate" | "pin";

export function Kiosk() {
  const { device, setUp } = useDevice("kiosk");
  const [mode, setMode] = useState<Mode>("home");
  if (device === undefined) return <Layout title="Терминал пополнения"><Loading /></Layout>;
  if (device === null) return <Layout title="Терминал пополнения"><DeviceSetup what="терминал пополнения" onSetUp={setUp} /></Layout>;
  const back = <Button variant="secondary" onClick={() => setMode("home")}>В начало</Button>;
  return (
    <Layout title="Терминал пополнения" actions={mode !== "home" ? back : undefined}>
      <div className="kiosk">
        {mode === "home" && (
          <Panel title="Что вы хотите сделать?">
            <div className="row">
              <Button onClick={() => setMode("activate")}>Активировать карту</Button>
              <Button onClick={() => setMode("deposit")}>Пополнить наличными</Button>
              <Button onClick={() => setMode("duplicate")}>Заказать дубликат карты</Button>
              <Button variant="secondary" onClick={() => setMode("pin")}>Баланс по ПИН-коду</Button>
            </div>
          </Panel>
        )}
        {mode === "activate" && <Activation device={device} />}
        {mode === "deposit" && <Deposit device={device} />}
        {mode === "duplicate" && <Duplicate device={device} />}
        {mode === "pin" && <Balance device={device} />}
      </div>
    </Layout>
  );
}

const STEPS = ["Карта", "Оферта", "Телефон", "Наличные", "Чек"];

function Steps({ step }: { step: number }) {
  return (
    <ol className="steps" aria-label="Шаги активации">
      {STEPS.map((s, i) => (
        <li key={s} aria-current={i === step ? "step" : undefined}>{i + 1}. {s}</li>
      ))}
    </ol>
  );
}

function Cash({ inserted, setInserted }: { inserted: number; setInserted: (n: number) => void }) {
  // The bill acceptor reports each note; on this screen the notes are buttons.
  return (
    <>
      <p>Внесено: <strong className="big" data-testid="inserted"><Money value={inserted} /></strong></p>
      <div className="row" role="group" aria-label="Купюроприёмник">
        {NOTES.map((n) => (
          <Button key={n} variant="secondary" onClick={() => setInserted(inserted + n)}>Внести {formatKopecks(n)}</Button>
        ))}
      </div>
    </>
  );
}

function ReceiptView({ receipt }: { receipt: Receipt }) {
  const r = receipt.receipt;
  return (
    <div className="receipt" data-testid="receipt">
      <p><strong>ЧЕК</strong>{receipt.replayed && " (повтор)"}</p>
      <p>Договор № {r.contract_number}</p>
      {r.amount != null && <p>Зачислено: {formatKopecks(r.amount)}</p>}
      {r.commission != null && <p>Комиссия: {formatKopecks(r.commission)}</p>}
      {r.fee != null && <p>Плата за дубликат: {formatKopecks(r.fee)}</p>}
      {r.new_card_uid != null && <p>Новая карта: {r.new_card_uid}</p>}
      <p>Баланс: {formatKopecks(r.regular_after)}</p>
      {r.receipt_id != null && <p>Чек № {r.receipt_id}</p>}
    </div>
  );
}

function Activation({ device }: { device: Device }) {
  const [step, setStep] = useState(0);
  const [uid, setUid] = useState("");
  const [accepted, setAccepted] = useState(false);
  const [phone, setPhone] = useState("");
  const [inserted, setInserted] = useState(0);
  const { receipt, send, setError, problem } = useKioskRequest(device, "/terminal/v1/kiosk/activations");
  const [id] = useState(receiptId);

  async function finish() {
    const r = await send({
      card_uid: uid.trim().toUpperCase(), offer_version: OFFER_VERSION, consent_version: CONSENT_VERSION, parent_phone: phone.trim(), deposit: inserted, receipt_id: id,
    });
    if (r) setStep(4);
  }

  return (
    <Panel title="Активация карты">
      <Steps step={step} />
      {step === 0 && (
        <form onSubmit={(e) => { e.preventDefault(); if (uid.trim()) setStep(1); }}>
          <Field label="Приложите новую карту к считывателю" value={uid} onChange={(e) => setUid(e.target.value)} autoFocus autoComplete="off" required />
          <Button type="submit">Далее</Button>
        </form>
      )}
      {step === 1 && (
        <>
          <div className="offer" tabIndex={0} aria-label="Текст оферты">
            <p>Оферта об оказании услуг по безналичной оплате питания и учёту посещений (редакция {OFFER_VERSION}).</p>
            <p>Родитель пополняет лицевой счёт ребёнка; школьная карта оплачивает питание в столовой в пределах дневного лимита и баланса; сведения о покупках и проходах доступны в личном кабинете.</p>
            <p>Персональные данные обрабатываются для исполнения договора и хранятся отдельно от истории операций; принимая оферту, родитель даёт согласие на их обработку (редакция {CONSENT_VERSION}) и может отозвать его в личном кабинете.</p>
          </div>
          <Checkbox label="Я принимаю условия оферты и даю согласие на обработку персональных данных" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} />
          <Button disabled={!accepted} onClick={() => setStep(2)}>Далее</Button>
        </>
      )}
      {step === 2 && (
        <form onSubmit={(e) => { e.preventDefault(); if (/^\+?[\d\s()-]{10,20}$/.test(phone.trim())) setStep(3); else setError("Введите номер телефона, например +7 913 123-45-67"); }}>
          <Field label="Телефон родителя: на него придёт логин и пароль" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} autoFocus required />
          <Button type="submit">Далее</Button>
        </form>
      )}
      {step === 3 && (
        <>
          <p>Внесите не меньше {formatKopecks(MIN_DEPOSIT)} наличными.</p>
          <Cash inserted={inserted} setInserted={setInserted} />
          <Button disabled={inserted < MIN_DEPOSIT} onClick={finish}>Завершить активацию</Button>
        </>
      )}
      {step === 4 && receipt && (
        <>
          <Notice kind="success">Карта активирована. Логин и пароль от личного кабинета придут по СМС на {phone}.</Notice>
          <ReceiptView receipt={receipt} />
        </>
      )}
      {problem}
    </Panel>
  );
}

/** The card on the reader, or the contract's number typed in: exactly one goes to the API. */
function named(uid: string, contract: string): Record<string, string> {
  return uid.trim() ? { card_uid: uid.trim().toUpperCase() } : { contract_number: contract.trim() };
}

function CardOrContract({ uid, setUid, contract, setContract }: {
  uid: string; setUid: (v: string) => void; contract: string; setContract: (v: string) => void;
}) {
  return (
    <>
      <Field label="Приложите карту" value={uid} onChange={(e) => { setUid(e.target.value); setContract(""); }} autoFocus autoComplete="off" />
      <Field label="или введите номер договора" value={contract} onChange={(e) => { setContract(e.target.value); setUid(""); }} autoComplete="off" />
    </>
  );
}

function Deposit({ device }: { device: Device }) {
  const [uid, setUid] = useState("");
  const [contract, setContract] = useState("");
  const [inserted, setInserted] = useState(0);
  const { receipt, send, problem } = useKioskRequest(device, "/terminal/v1/kiosk/deposits");
  const [id] = useState(receiptId);
  return (
    <Panel title="Пополнение наличными">
      {receipt ? (
        <ReceiptView receipt={receipt} />
      ) : (
        <>
          <CardOrContract uid={uid} setUid={setUid} contract={contract} setContract={setContract} />
          <Cash inserted={inserted} setInserted={setInserted} />
          <Button
            disabled={!(uid.trim() || contract.trim()) || inserted <= 0}
            onClick={() => send({ ...named(uid, contract), amount: inserted, receipt_id: id })}
          >
            Зачислить
          </Button>
        </>
      )}
      {problem}
    </Panel>
  );
}

function PinField({ pin, setPin }: { pin: string; setPin: (v: string) => void }) {
  return <Field label="ПИН-код" type="password" inputMode="numeric" maxLength={4} value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, ""))} required autoComplete="off" />;
}

function Balance({ device }: { device: Device }) {
  const [uid, setUid] = useState("");
  const [contract, setContract] = useState("");
  const [pin, setPin] = useState("");
  const { receipt: shown, send, problem } = useKioskRequest(device, "/terminal/v1/kiosk/balances");
  const r = shown?.receipt;
  return (
    <Panel title="Баланс по карте и ПИН-коду">
      {r ? (
        <div className="receipt" data-testid="balance">
          <p>Договор № {r.contract_number}</p>
          <p>Основной счёт: {formatKopecks(r.regular)}</p>
          <p>Льготный счёт: {formatKopecks(r.subsidised)}</p>
          <p>Потрачено сегодня: {formatKopecks(r.spent_today)} из {formatKopecks(r.daily_limit)}</p>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            send({ ...named(uid, contract), pin });
          }}
        >
          <CardOrContract uid={uid} setUid={setUid} contract={contract} setContract={setContract} />
          <PinField pin={pin} setPin={setPin} />
          <Button type="submit" disabled={!(uid.trim() || contract.trim()) || pin.length !== 4}>Показать баланс</Button>
        </form>
      )}
      {problem}
    </Panel>
  );
}

function Duplicate({ device }: { device: Device }) {
  const [contract, setContract] = useState("");
  const [pin, setPin] = useState("");
  const [newUid, setNewUid] = useState("");
  const { receipt, send, problem } = useKioskRequest(device, "/terminal/v1/kiosk/duplicates");
  return (
    <Panel title="Дубликат карты">
      {receipt ? (
        <ReceiptView receipt={receipt} />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            send({ contract_number: contract.trim(), new_card_uid: newUid.trim().toUpperCase(), pin });
          }}
        >
          <p>Потерянную карту сначала заблокируйте в личном кабинете. Дубликат стоит 50 ₽ и оплачивается с баланса.</p>
          <Field label="Номер договора" value={contract} onChange={(e) => setContract(e.target.value)} required />
          <Field label="Приложите новую карту" value={newUid} onChange={(e) => setNewUid(e.target.value)} required autoComplete="off" />
          <PinField pin={pin} setPin={setPin} />
          <Button type="submit">Заказать</Button>
        </form>
      )}
      {problem}
    </Panel>
  );
}
