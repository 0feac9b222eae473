// What every page of the operator's workplace shares: who is signed in (from the token,
// through the API's `me`), the sign-in link when nobody is, the pages' navigation, and
// mutations whose result is a payload or a typed error (okno's result unions).

import { ApiError, gql, h, setToken, signOutLink, token } from "../okno.js";

const PAGES = [
  ["index.html", "Задачи"],
  ["window.html", "Окно приёма"],
];

/** The signed-in staff member ({subject, role, office}), or null after showing "Войти". */
export async function signedIn() {
  const place = document.getElementById("signin");
  const offer = (why) => {
    const next = location.pathname + location.search;
    place.replaceChildren(
      h("p", {}, why),
      h("a", { class: "button", href: `/auth/login?next=${encodeURIComponent(next)}` }, "Войти"),
    );
    return null;
  };
  if (!token()) return offer("Рабочее место доступно после входа.");
  let me;
  try {
    ({ me } = await gql("query Me { me { subject role office } }"));
  } catch (error) {
    if (error.code !== "not_authenticated") throw error;
    setToken(null); // expired or revoked: sign in again
    return offer("Срок входа истёк. Войдите снова.");
  }
  place.replaceChildren(
    h("p", { class: "muted" }, `${me.subject} · ${roleName(me.role)} · офис ${me.office || "—"} · `, signOutLink()),
  );
  return me;
}

/** The actor okno records for this staff member's commands: OFFICE/subject. */
export function actorOf(me) {
  return me.office ? `${me.office}/${me.subject}` : `${me.role}/${me.subject}`;
}

export function roleName(role) {
  return { operator: "оператор", expert: "специалист", supervisor: "руководитель" }[role] || role;
}

/** The header's navigation, the current page marked for screen readers. */
export function navigation() {
  const here = location.pathname.split("/").pop() || "index.html";
  const nav = document.getElementById("pages");
  nav.replaceChildren(
    ...PAGES.map(([file, title]) =>
      h("a", { href: `/ui/operator/${file}`, "aria-current": file === here ? "page" : null }, title),
    ),
  );
}

/** Run a mutation whose field answers a result union; resolves to the payload, rejects
 * with an ApiError carrying the ValidationError's fields. `selection` selects the payload. */
export async function command(name, inputType, selection, input) {
  const query = `mutation Command($input: ${inputType}!) {
    result: ${name}(input: $input) {
      __typename
      ... on Error { code message }
      ... on ValidationError { fields { field message } }
      ${selection}
    }
  }`;
  const { result } = await gql(query, { input: { ...input, idempotencyKey: crypto.randomUUID() } });
  if (result.__typename.endsWith("Error")) throw new ApiError(result.message, result.code, result.fields);
  return result;
}

/** A query parameter of this page's address. */
export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

export function stateName(state) {
  return { OPEN: "ожидает", CLAIMED: "в работе", COMPLETED: "завершена" }[state] || state;
}
