import { useEffect, useState } from "react";
import { Admin } from "./pages/admin/Admin";
import { Kiosk } from "./pages/kiosk/Kiosk";
import { Login } from "./pages/Login";
import { Cabinet } from "./pages/parent/Cabinet";
import { ResetPassword } from "./pages/ResetPassword";
import { Till } from "./pages/till/Till";
import { navigate, usePath } from "./router";
import { homeOf, loadSession, onSessionChange, STAFF_ROLES } from "./session";

function useSession() {
  const [session, setSession] = useState(loadSession);
  useEffect(() => onSessionChange(() => setSession(loadSession())), []);
  return session;
}

export function App() {
  const path = usePath();
  const session = useSession();
  const first = path.split("/")[1] ?? "";

  useEffect(() => {
    document.documentElement.lang = "ru";
  }, []);

  if (first === "kiosk") return <Kiosk />;
  if (first === "reset") return <ResetPassword />;
  if (first === "till") return <Till session={session} />;
  if (!session) return <Login />;
  if (first === "admin" && STAFF_ROLES.includes(session.viewer.role)) return <Admin session={session} path={path} />;
  if (first === "cabinet" && !STAFF_ROLES.includes(session.viewer.role)) return <Cabinet session={session} path={path} />;
  return <Redirect to={homeOf(session.viewer)} />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to), [to]);
  return null;
}
