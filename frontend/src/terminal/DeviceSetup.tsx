import { useEffect, useState } from "react";
import { Button, Field, Notice, Panel } from "../ui";
import { forgetDevice, loadDevice, saveDevice } from "./keystore";
import { importSecret, type Device } from "./signing";

/** The device's terminal key: loaded from IndexedDB, or set up once by the school's admin. */
export function useDevice(role: "till" | "kiosk") {
  const [device, setDevice] = useState<Device | null | undefined>(undefined);
  useEffect(() => {
    loadDevice(role).then((d) => setDevice(d ?? null), () => setDevice(null));
  }, [role]);
  return {
    device,
    async setUp(terminalId: string, secret: string) {
      const d = { terminalId, key: await importSecret(secret) };
      await saveDevice(role, d);
      setDevice(d);
    },
    async forget() {
      await forgetDevice(role);
      setDevice(null);
    },
  };
}

export function DeviceSetup({ what, onSetUp }: { what: string; onSetUp: (id: string, secret: string) => Promise<void> }) {
  const [id, setId] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string | null>(null);
  const secure = window.isSecureContext && !!window.crypto?.subtle;
  return (
    <Panel title={`Подключение: ${what}`}>
      <p>
        Администратор школы регистрирует терминал на странице «Терминалы» и один раз вводит здесь его номер и секрет.
        Секрет сразу превращается в неизвлекаемый ключ этого устройства и больше нигде не показывается.
      </p>
      {!secure && (
        <Notice kind="error">
          Подпись запросов требует защищённого соединения: откройте страницу по HTTPS (или на этом же компьютере по адресу localhost).
        </Notice>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          if (!/^[0-9a-f-]{36}$/i.test(id.trim())) return setError("Номер терминала — это UUID из 36 символов");
          try {
            await onSetUp(id.trim(), secret.trim());
            setSecret("");
          } catch {
            setError("Не удалось сохранить ключ на этом устройстве");
          }
        }}
      >
        <Field label="Номер терминала" value={id} onChange={(e) => setId(e.target.value)} required autoComplete="off" />
        <Field label="Секрет терминала" type="password" value={secret} onChange={(e) => setSecret(e.target.value)} required autoComplete="off" />
        <Button type="submit" disabled={!secure}>Подключить</Button>
        {error && <Notice kind="error">{error}</Notice>}
      </form>
    </Panel>
  );
}
