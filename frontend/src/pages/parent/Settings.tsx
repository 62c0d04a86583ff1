import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { TARIFFS } from "../../labels";
import { formatKopecks, parseRoubles } from "../../money";
import { Checkbox, Field, Loading, Panel, Select } from "../../ui";
import { ActionForm, textOf, usePayloadMutation } from "./forms";
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
  const [tariff, setTariff] = useState("");
  const changeLimit = usePayloadMutation(LIMIT, "changeDailyLimit");
  const changeTariff = usePayloadMutation(TARIFF, "changeTariff");
  const changePrefs = usePayloadMutation(PREFS, "changeNotificationPreferences");
  const changeContact = usePayloadMutation(CONTACT, "changeContact");
  const addRep = usePayloadMutation(REPRESENTATIVE, "addRepresentative");
  const refund = usePayloadMutation(REFUND, "requestRefund");
  const changePassword = usePayloadMutation(PASSWORD, "changePassword");
  if (!account) return <Loading />;
  const disabled = !manage;
  const reload = () => refetch({ requestPolicy: "network-only" });

  return (
    <>
      <Panel title="Дневной лимит">
        <ActionForm submit="Сохранить лимит" disabled={disabled} onSubmit={async (form) => {
          const k = parseRoubles(textOf(form, "limit"));
          if (k === null) return { kind: "error", text: "Введите сумму в рублях" };
          const r = await changeLimit({ contract, limit: String(k) }, "Лимит изменён");
          reload();
          return r;
        }}>
          <p>Сейчас: {formatKopecks(account.dailyLimit)} в день</p>
          <Field label="Новый лимит, ₽" name="limit" inputMode="decimal" disabled={disabled} required />
        </ActionForm>
      </Panel>
      <Panel title="Тариф и уведомления">
        <ActionForm submit="Сменить тариф" disabled={disabled} onSubmit={async () => {
          const r = await changeTariff({ contract, tariff: (tariff || account.tariff) as never }, "Тариф изменён");
          reload();
          return r;
        }}>
          <Select
            label="Тариф"
            value={tariff || account.tariff}
            onChange={(e) => setTariff(e.target.value)}
            disabled={disabled}
            options={(tariffs?.tariffs ?? []).map((t) => [t.tariff, `${TARIFFS[t.tariff]} — ${formatKopecks(t.monthlyFee)} в месяц: ${t.description}`])}
          />
        </ActionForm>
        <ActionForm submit="Сохранить" variant="secondary" disabled={disabled}
          onSubmit={(form) => changePrefs({ contract, serviceOnly: form.has("serviceOnly") }, "Настройки уведомлений сохранены")}>
          <Checkbox label="Только служебные сообщения" name="serviceOnly" disabled={disabled} />
        </ActionForm>
      </Panel>
      <Panel title="Контакты">
        <ActionForm submit="Сохранить контакты" disabled={disabled}
          onSubmit={(form) => changeContact({ contract, phone: textOf(form, "phone") || null, email: textOf(form, "email") || null }, "Контакты сохранены")}>
          <Field label="Телефон для сообщений" name="phone" type="tel" autoComplete="tel" disabled={disabled} />
          <Field label="Электронная почта" name="email" type="email" autoComplete="email" disabled={disabled} />
        </ActionForm>
        <ActionForm submit="Дать доступ на просмотр" variant="secondary" disabled={disabled}
          onSubmit={(form) => addRep({ contract, phone: textOf(form, "rep") }, "Представитель получит пароль по СМС")}>
          <Field label="Телефон представителя (бабушки, дедушки)" name="rep" type="tel" disabled={disabled} required />
        </ActionForm>
      </Panel>
      <Panel title="Возврат средств">
        <ActionForm submit="Запросить возврат" variant="danger" disabled={disabled} onSubmit={async (form) => {
          if (!window.confirm("Вернуть весь остаток основного кошелька?")) return undefined;
          const bank = textOf(form, "bank").trim();
          const destination = bank ? "BANK_DETAILS" : "ORIGINAL_METHOD";
          return refund({ contract, destination, bankDetails: bank || null }, "Заявка на возврат принята");
        }}>
          <Field label="Реквизиты (если не на исходный способ оплаты)" name="bank" disabled={disabled} />
        </ActionForm>
      </Panel>
      <Panel title="Пароль">
        <ActionForm submit="Сменить пароль"
          onSubmit={(form) => changePassword({ old: textOf(form, "old"), new: textOf(form, "new") }, "Пароль изменён; войдите снова на других устройствах")}>
          <Field label="Текущий пароль" name="old" type="password" autoComplete="current-password" required />
          <Field label="Новый пароль" name="new" type="password" autoComplete="new-password" required />
        </ActionForm>
      </Panel>
    </>
  );
}
