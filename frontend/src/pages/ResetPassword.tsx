import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { problemText } from "../labels";
import { Button, Field, Layout, Link, Notice, Panel } from "../ui";

const REQUEST = graphql(`
  mutation RequestReset($username: String!) {
    requestPasswordReset(input: { username: $username }) {
      userErrors { field code message }
    }
  }
`);

const RESET = graphql(`
  mutation ResetPassword($username: String!, $code: String!, $newPassword: String!) {
    resetPassword(input: { username: $username, code: $code, newPassword: $newPassword }) {
      userErrors { field code message }
    }
  }
`);

export function ResetPassword() {
  const [username, setUsername] = useState("");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [sent, setSent] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [, request] = useMutation(REQUEST);
  const [, reset] = useMutation(RESET);

  async function ask(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const r = (await request({ username: username.trim() })).data?.requestPasswordReset;
    if (r?.userErrors.length) setError(problemText(r.userErrors[0]));
    else if (r) setSent(true);
    else setError("Сервер недоступен");
  }

  async function confirm(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const r = (await reset({ username: username.trim(), code: code.trim(), newPassword: password })).data?.resetPassword;
    if (r?.userErrors.length) setError(problemText(r.userErrors[0]));
    else if (r) setDone(true);
  }

  return (
    <Layout title="Восстановление пароля">
      <Panel title={sent ? "Код из СМС" : "Получить код"}>
        {done ? (
          <Notice kind="success">
            Пароль изменён. <Link to="/">Войти</Link>
          </Notice>
        ) : !sent ? (
          <form onSubmit={ask}>
            <Field label="Номер договора или телефон" value={username} onChange={(e) => setUsername(e.target.value)} required />
            <Button type="submit">Отправить код по СМС</Button>
          </form>
        ) : (
          <form onSubmit={confirm}>
            <Notice>Если такой вход есть, код отправлен на телефон родителя.</Notice>
            <Field label="Код из СМС" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required />
            <Field label="Новый пароль" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            <Button type="submit">Сменить пароль</Button>
          </form>
        )}
        {error && <Notice kind="error">{error}</Notice>}
        <p><Link to="/">Ко входу</Link></p>
      </Panel>
    </Layout>
  );
}
