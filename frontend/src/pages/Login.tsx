import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { problemText } from "../labels";
import { navigate } from "../router";
import { homeOf, saveSession, type Session } from "../session";
import { Button, Checkbox, Field, Layout, Link, Notice, Panel } from "../ui";

const LOGIN = graphql(`
  mutation Login($username: String!, $password: String!) {
    login(input: { username: $username, password: $password }) {
      session {
        accessToken
        refreshToken
        expiresAt
        viewer { id role contracts { contractNumber access } schoolIds allSchools }
      }
      userErrors { field code message }
    }
  }
`);

export function Login({ title = "Вход в личный кабинет" }: { title?: string }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [forget, setForget] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [state, login] = useMutation(LOGIN);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const result = await login({ username: username.trim(), password });
    const data = result.data?.login;
    if (data?.session) {
      saveSession(data.session as Session, !forget);
      navigate(homeOf(data.session.viewer));
    } else if (data?.userErrors.length) {
      setError(problemText(data.userErrors[0]));
    } else {
      setError("Сервер недоступен, попробуйте ещё раз");
    }
  }

  return (
    <Layout title={title}>
      <Panel title="Вход">
        <form onSubmit={submit}>
          <Field
            label="Номер договора или телефон"
            hint="Сотрудники школы входят по своему логину"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
          <Field label="Пароль" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          <Checkbox label="Не запоминать меня" checked={forget} onChange={(e) => setForget(e.target.checked)} />
          {error && <Notice kind="error">{error}</Notice>}
          <Button type="submit" disabled={state.fetching}>Войти</Button>
        </form>
        <p>
          <Link to="/reset">Забыли пароль?</Link>
        </p>
      </Panel>
    </Layout>
  );
}
