// Who is signed in, and where: the page reads the role and office from the token's payload
// to know which office to show. It checks nothing: the server verifies the signature on
// every request and refuses what the token does not allow.

/** {subject, role, office, expires} from an okno token (a JWT); null if it is not one. */
export function claims(bearer) {
  if (!bearer) return null;
  try {
    const part = bearer.split(".")[1];
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return { subject: payload.sub, role: payload.role, office: payload.office || null, expires: payload.exp || 0 };
  } catch (failure) {
    return null;
  }
}

/** The office's calendar day now, as YYYY-MM-DD (a deadline is a day in the office's own zone). */
export function officeToday(timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/** Whole days from `from` to `to` (both YYYY-MM-DD): negative when `to` has passed. */
export function daysBetween(from, to) {
  const utc = (iso) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
  return Math.round((utc(to) - utc(from)) / 86400000);
}

/** YYYY-MM-DD `days` after `iso`. */
export function addDays(iso, days) {
  const moved = new Date(Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)) + days));
  return moved.toISOString().slice(0, 10);
}

const ROLE_NAMES = { operator: "операторы", expert: "эксперты", supervisor: "руководитель", "-": "любой сотрудник" };

/** A task's role(s) as staff read them: "expert,supervisor" → "эксперты, руководитель". */
export function roleName(role) {
  if (!role) return ROLE_NAMES["-"];
  return role.split(",").map((r) => ROLE_NAMES[r.trim()] || r.trim()).join(", ");
}

/** A task chosen in one view for another (the deadlines' "Передать" opens the reassign form
 * on it): the views are modules of one page, so this one object is shared by them. */
export const chosen = { taskId: null };
