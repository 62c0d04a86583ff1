import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import { TERMINAL_KINDS, problemText } from "../../labels";
import { Button, Field, Notice, Panel, Select, Unavailable } from "../../ui";

const REGISTER = graphql(`
  mutation RegisterTerminal($school: UUID!, $kind: TerminalKind!, $label: String!) {
    registerTerminal(input: { school: $school, kind: $kind, label: $label }) {
      terminalId secret userErrors { code message }
    }
  }
`);
const REVOKE = graphql(`
  mutation RevokeTerminal($id: UUID!, $reason: String!) {
    revokeTerminal(input: { terminalId: $id, reason: $reason }) { userErrors { code message } position }
  }
`);

export function Terminals({ school }: { school: string }) {
  const [kind, setKind] = useState("CANTEEN_POS");
  const [label, setLabel] = useState("");
  const [created, setCreated] = useState<{ terminalId: string; secret: string } | null>(null);
  const [revokeId, setRevokeId] = useState("");
  const [reason, setReason] = useState("");
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, register] = useMutation(REGISTER);
  const [, revoke] = useMutation(REVOKE);
  return (
    <>
      <Panel title="Новый терминал">
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setCreated(null);
            const r = (await register({ school, kind: kind as never, label: label.trim() })).data?.registerTerminal;
            const refusal = r?.userErrors[0];
            if (refusal) setResult({ kind: "error", text: problemText(refusal) });
            else if (r?.terminalId && r.secret) setCreated({ terminalId: r.terminalId, secret: r.secret });
          }}
        >
          <Select label="Вид" value={kind} onChange={(e) => setKind(e.target.value)} options={Object.entries(TERMINAL_KINDS)} />
          <Field label="Где стоит" value={label} onChange={(e) => setLabel(e.target.value)} required placeholder="Столовая, касса 1" />
          <Button type="submit">Зарегистрировать</Button>
        </form>
        {created && (
          <Notice kind="warning">
            <p>Номер терминала: <span className="secret">{created.terminalId}</span></p>
            <p>Секрет (показан один раз): <span className="secret">{created.secret}</span></p>
            <p>Введите их на самом устройстве: страница «/till» для кассы, «/kiosk» для терминала пополнения. Не пересылайте секрет по почте и мессенджерам.</p>
          </Notice>
        )}
      </Panel>
      <Panel title="Отключить терминал">
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            const r = (await revoke({ id: revokeId.trim(), reason: reason.trim() })).data?.revokeTerminal;
            const refusal = r?.userErrors[0];
            if (refusal) setResult({ kind: "error", text: problemText(refusal) });
            else if (r) setResult({ kind: "success", text: "Терминал отключён" });
          }}
        >
          <Field label="Номер терминала" value={revokeId} onChange={(e) => setRevokeId(e.target.value)} required />
          <Field label="Причина" value={reason} onChange={(e) => setReason(e.target.value)} required />
          <Button type="submit" variant="danger">Отключить</Button>
        </form>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </Panel>
      <Panel title="Терминалы школы">
        <Unavailable what="Список терминалов" needs="список терминалов школы" />
      </Panel>
    </>
  );
}
