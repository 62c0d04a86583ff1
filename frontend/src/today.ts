import { useQuery } from "urql";
import { graphql } from "./gql";

/**
 * A date (YYYY-MM-DD) at `now` in `timeZone` (an IANA name), or in this device's zone without
 * one. "Today" is the school's local date: pages ask the server for it (`useSchoolToday`,
 * `Account.today`); this is for a till deciding offline, in its school's zone, and for editable
 * defaults where no school is known yet.
 */
export function localToday(now = new Date(), timeZone?: string): string {
  if (timeZone) {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(now);
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
    return `${part("year")}-${part("month")}-${part("day")}`;
  }
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, "0");
  const d = String(now.getDate()).padStart(2, "0");
  return `${y}-${m}-${d}`;
}

const SCHOOL_TODAY = graphql(`
  query SchoolToday($school: UUID!) {
    schoolToday(school: $school) { date timeZone }
  }
`);

/** The school's own date and time zone, from the server; undefined while not known. */
export function useSchoolToday(school: string | undefined): { date: string; timeZone: string } | undefined {
  const [{ data }] = useQuery({ query: SCHOOL_TODAY, variables: { school: school ?? "" }, pause: !school });
  return data?.schoolToday;
}
