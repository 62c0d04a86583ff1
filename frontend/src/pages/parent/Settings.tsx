import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { TARIFFS } from "../../labels";
import { formatKopecks, parseRoubles } from "../../money";
import { Button, Checkbox, Field, Loading, Notice, Panel, Select } from "../../ui";
import { payloadOutcome, type Result } from "./outcome";
import { ACCOUNT } from "./queries";

const TARIFF_LIST = graphql(`
  query Tariffs { tariffs { tariff monthlyFee description } }
`);
const LIMIT = graphql(`
  mutation Limit($contract: String!, $limit: Kopecks!) {
    changeDailyLimit(input: { contractNumber: $contract, limit: $limit }) { userErrors { code message } position }
  }
`);
const TARIFF = graphql(`
  mutation ChangeTariff($contract: String!, $tariff: Tariff!) {
    changeTariff(input: { contractNumber: $contract, tariff: $tariff }) { userErrors { code message } position }
  }
`);
const PREFS = graphql(`
  mutation Prefs($contract: String!, $serviceOnly: Boolean!) {
    changeNotificationPreferences(input: { contractNumber: $contract, serviceOnly: $serviceOnly }) { userErrors { code message } position }
  }
`);
const CONTACT = graphql(`
  mutation Contact($contract: String!, $phone: String, $email: String) {
    changeContact(input: { contractNumber: $contract, phone: $phone, email: $email }) { userErrors { code message } position }
  }
`);
const REPRESENTATIVE = graphql(`
  mutation Representative($contract: String!, $phone: String!) {
    addRepresentative(input: { contractNumber: $contract, phone: $phone }) { userErrors { code message } position }
  }
`);
const REFUND = graphql(`
  mutation Refund($contract: String!, $destination: RefundDestination!, $bankDetails: String) {
    requestRefund(input: { contractNumber: $contract, destination: $destination, bankDetails: $bankDetails }) { userErrors { code message } position }
  }
`);
const PASSWORD = graphql(`
  mutation ChangePassword($old: String!, $new: String!) {
    changePassword(input: { oldPassword: $old, newPassword: $new }) { userErrors { code message } }
  }
`);

export function Settings({ contract, manage }: { contract: string; manage: boolean }) {
  const [{ data }, refetch] = useQuery({ query: ACCOUNT, variables: { contract } });
  const [{ data: tariffs }] = useQuery({ query: TARIFF_LIST });
  const account = data?.account;
  const [limit, setLimit] = useState("");
  const [tariff, setTariff] = useState("");
  const [serviceOnly, setServiceOnly] = useState(false);
  const [phone, setPhone] = useState("");
  const [email, setEmail] = useState("");
  const [rep, setRep] = useState("");
  const [bank, setBank] = useState("");
  const [oldPw, setOldPw] = useState("");
  const [newPw, setNewPw] = useState("");
  const [results, setResults] = useState<Record<string, Result>>({});
  const [, changeLimit] = useMutation(LIMIT);
  const [, changeTariff] = useMutation(TARIFF);
  const [, changePrefs] = useMutation(PREFS);
  const [, changeContact] = useMutation(CONTACT);
  const [, addRep] = useMutation(REPRESENTATIVE);
  const [, refund] = useMutation(REFUND);
  const [, changePassword] = useMutation(PASSWORD);
  if (!account) return <Loading />;
  const show = (key: string, r: Result) => setResults((all) => ({ ...all, [key]: r }));
  const note = (key: string) => results[key] && <Notice kind={results[key]!.kind}>{results[key]!.text}</Notice>;
  const disabled = !manage;

  return (
    <>
      <Panel title="Дневной лимит">
        <form onSubmit={async (e) => {
          e.preventDefault();
          const k = parseRoubles(limit);
          if (k === null) return show("limit", { kind: "error", text: "Введите сумму в рублях" });
          show("limit", payloadOutcome((await changeLimit({ contract, limit: String(k) })).data?.changeDailyLimit, "Лимит изменён"));
          refetch({ requestPolicy: "network-only" });
        }}>
          <p>Сейчас: {formatKopecks(account.dailyLimit)} в день</p>
          <Field label="Новый лимит, ₽" inputMode="decimal" value={limit} onChange={(e) => setLimit(e.target.value)} disabled={disabled} required />
          <Button type="submit" disabled={disabled}>Сохранить лимит</Button>
          {note("limit")}
        </form>
      </Panel>
      <Panel title="Тариф и уведомления">
        <form onSubmit={async (e) => {
          e.preventDefault();
          show("tariff", payloadOutcome((await changeTariff({ contract, tariff: (tariff || account.tariff) as never })).data?.changeTariff, "Тариф изменён"));
          refetch({ requestPolicy: "network-only" });
        }}>
          <Select
            label="Тариф"
            value={tariff || account.tariff}
            onChange={(e) => setTariff(e.target.value)}
            disabled={disabled}
            options={(tariffs?.tariffs ?? []).map((t) => [t.tariff, `${TARIFFS[t.tariff]} — ${formatKopecks(t.monthlyFee)} в месяц: ${t.description}`])}
          />
          <Button type="submit" disabled={disabled}>Сменить тариф</Button>
          {note("tariff")}
        </form>
        <form onSubmit={async (e) => {
          e.preventDefault();
          show("prefs", payloadOutcome((await changePrefs({ contract, serviceOnly })).data?.changeNotificationPreferences, "Настройки уведомлений сохранены"));
        }}>
          <Checkbox label="Только служебные сообщения" checked={serviceOnly} onChange={(e) => setServiceOnly(e.target.checked)} disabled={disabled} />
          <Button type="submit" variant="secondary" disabled={disabled}>Сохранить</Button>
          {note("prefs")}
        </form>
      </Panel>
      <Panel title="Контакты">
        <form onSubmit={async (e) => {
          e.preventDefault();
          show("contact", payloadOutcome((await changeContact({ contract, phone: phone || null, email: email || null })).data?.changeContact, "Контакты сохранены"));
        }}>
          <Field label="Телефон для сообщений" type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} disabled={disabled} />
          <Field label="Электронная почта" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} disabled={disabled} />
          <Button type="submit" disabled={disabled}>Сохранить контакты</Button>
          {note("contact")}
        </form>
        <form onSubmit={async (e) => {
          e.preventDefault();
          show("rep", payloadOutcome((await addRep({ contract, phone: rep })).data?.addRepresentative, "Представитель получит пароль по СМС"));
        }}>
          <Field label="Телефон представителя (бабушки, дедушки)" type="tel" value={rep} onChange={(e) => setRep(e.target.value)} disabled={disabled} required />
          <Button type="submit" variant="secondary" disabled={disabled}>Дать доступ на просмотр</Button>
          {note("rep")}
        </form>
      </Panel>
      <Panel title="Возврат средств">
        <form onSubmit={async (e) => {
          e.preventDefault();
          if (!window.confirm("Вернуть весь остаток основного кошелька?")) return;
          const destination = bank.trim() ? "BANK_DETAILS" : "ORIGINAL_METHOD";
          show("refund", payloadOutcome((await refund({ contract, destination, bankDetails: bank.trim() || null })).data?.requestRefund, "Заявка на возврат принята"));
        }}>
          <Field label="Реквизиты (если не на исходный способ оплаты)" value={bank} onChange={(e) => setBank(e.target.value)} disabled={disabled} />
          <Button type="submit" variant="danger" disabled={disabled}>Запросить возврат</Button>
          {note("refund")}
        </form>
      </Panel>
      <Panel title="Пароль">
        <form onSubmit={async (e) => {
          e.preventDefault();
          show("pw", payloadOutcome((await changePassword({ old: oldPw, new: newPw })).data?.changePassword, "Пароль изменён; войдите снова на других устройствах"));
        }}>
          <Field label="Текущий пароль" type="password" autoComplete="current-password" value={oldPw} onChange={(e) => setOldPw(e.target.value)} required />
          <Field label="Новый пароль" type="password" autoComplete="new-password" value={newPw} onChange={(e) => setNewPw(e.target.value)} required />
          <Button type="submit">Сменить пароль</Button>
          {note("pw")}
        </form>
      </Panel>
    </>
  );
}
