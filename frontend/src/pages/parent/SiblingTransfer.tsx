// «Перевод между детьми» (issue 12, point 5): money from one child's regular wallet to a
// sibling's under the same login; both balances change at once or nothing moves.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { Button, Field, Money, Notice, Panel, Select } from "../../ui";
import { planProblemText, transferAmount } from "./plan";
import { useBalancesAfterWrite } from "./afterWrite";
import { TRANSFER_BETWEEN_SIBLINGS } from "./planQueries";
import { ACCOUNT } from "./queries";

type Moved = { amount: string; from: string; fromAfter: string; to: string; toAfter: string };

export function SiblingTransfer({ contract, siblings }: { contract: string; siblings: string[] }) {
  const others = siblings.filter((c) => c !== contract);
  const [target, setTarget] = useState(others[0] ?? "");
  const [amount, setAmount] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [moved, setMoved] = useState<Moved | null>(null);
  // A per-attempt key: a double submit of the same form moves the money once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [{ fetching }, transfer] = useMutation(TRANSFER_BETWEEN_SIBLINGS);
  const refresh = useBalancesAfterWrite();
  if (others.length === 0) return null;
  return (
    <Panel title="Перевод между детьми">
      <form
        aria-label="Перевод между детьми"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setMoved(null);
          const parsed = transferAmount(amount);
          if ("error" in parsed) return setError(parsed.error);
          const r = (await transfer({
            input: { fromContractNumber: contract, toContractNumber: target, amount: parsed.kopecks, idempotencyKey: key },
          })).data?.transferBetweenSiblings;
          const refusal = r?.userErrors[0];
          if (refusal) return setError(planProblemText(refusal));
          const t = r?.transfer;
          if (!t) return setError("Перевод не выполнен, попробуйте ещё раз");
          setMoved({
            amount: t.amount, from: t.source.contractNumber, fromAfter: t.source.regularAfter,
            to: t.target.contractNumber, toAfter: t.target.regularAfter,
          });
          setAmount("");
          setKey(crypto.randomUUID());
          await refresh([t.source.contractNumber, t.target.contractNumber], r?.position);
        }}
      >
        <p>
          С договора № {contract}, сейчас на счёте <Balance contract={contract} />
        </p>
        <Select
          label="Кому перевести"
          value={target}
          onChange={(e) => setTarget(e.target.value)}
          options={others.map((c) => [c, `Договор № ${c}`])}
        />
        <Field
          label="Сумма перевода, ₽"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onChange={(e) => { setAmount(e.target.value); setKey(crypto.randomUUID()); }}
          hint="Из основного кошелька, не больше остатка"
          required
        />
        <Button type="submit" disabled={fetching || !target}>Перевести</Button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {moved && (
        <Notice kind="success">
          Переведено <Money value={moved.amount} />. На договоре № {moved.from} осталось{" "}
          <Money value={moved.fromAfter} />, на договоре № {moved.to} стало <Money value={moved.toAfter} />.
        </Notice>
      )}
    </Panel>
  );
}

function Balance({ contract }: { contract: string }) {
  const [{ data }] = useQuery({ query: ACCOUNT, variables: { contract } });
  return <Money value={data?.account?.regular} />;
}
