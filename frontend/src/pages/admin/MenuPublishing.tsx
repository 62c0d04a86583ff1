import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import { problemText } from "../../labels";
import { parseRoubles } from "../../money";
import { useSchoolToday } from "../../today";
import { Button, Field, Notice, Panel, Unavailable } from "../../ui";

const PUBLISH = graphql(`
  mutation PublishMenu($school: UUID!, $date: Date!, $items: [MenuItemInput!]!) {
    publishMenu(input: { school: $school, date: $date, items: $items }) { userErrors { code message } position }
  }
`);

type Row = { code: string; name: string; price: string; allergens: string };
const empty = (): Row => ({ code: "", name: "", price: "", allergens: "" });

export function MenuPublishing({ school }: { school: string }) {
  const today = useSchoolToday(school)?.date;
  const [chosen, setDate] = useState<string | null>(null);
  const date = chosen ?? today ?? ""; // the school's today until one is chosen
  const [rows, setRows] = useState<Row[]>([empty()]);
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [, publish] = useMutation(PUBLISH);
  const set = (i: number, patch: Partial<Row>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const items = rows.filter((r) => r.name.trim()).map((r, i) => ({
      code: r.code.trim() || `dish-${i + 1}`,
      name: r.name.trim(),
      price: String(parseRoubles(r.price) ?? 0),
      allergens: r.allergens.split(",").map((a) => a.trim()).filter(Boolean),
    }));
    const r = (await publish({ school, date, items })).data?.publishMenu;
    const refusal = r?.userErrors[0];
    if (refusal) setResult({ kind: "error", text: problemText(refusal) });
    else if (r) setResult({ kind: "success", text: "Меню опубликовано" });
  }

  return (
    <>
      <Panel title="Опубликовать меню">
        <form onSubmit={submit}>
          <Field label="Дата" type="date" value={date} onChange={(e) => setDate(e.target.value)} required />
          {rows.map((r, i) => (
            <fieldset key={i} className="row">
              <legend>Блюдо {i + 1}</legend>
              <Field label="Код" value={r.code} onChange={(e) => set(i, { code: e.target.value })} />
              <Field label="Название" value={r.name} onChange={(e) => set(i, { name: e.target.value })} />
              <Field label="Цена, ₽" inputMode="decimal" value={r.price} onChange={(e) => set(i, { price: e.target.value })} />
              <Field label="Аллергены (через запятую)" value={r.allergens} onChange={(e) => set(i, { allergens: e.target.value })} />
            </fieldset>
          ))}
          <div className="row">
            <Button variant="secondary" onClick={() => setRows([...rows, empty()])}>Добавить блюдо</Button>
            <Button type="submit">Опубликовать</Button>
          </div>
          {result && <Notice kind={result.kind}>{result.text}</Notice>}
        </form>
      </Panel>
      <Panel title="Отзывы родителей">
        <Unavailable what="Отзывы о меню" needs="список отзывов родителей о меню" />
      </Panel>
    </>
  );
}
