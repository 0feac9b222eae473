// okno's pages talk to okno as any integrator does: GraphQL over HTTP for queries and
// mutations, graphql-transport-ws for subscriptions. This module is their one client;
// pages import it and nothing else of each other.

const TOKEN_KEY = "okno.token";

/** The staff member's okno token for this browser tab (none for the citizen's pages). */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Sign out: the server revokes this tab's token first, so a copy of it (a log, a shared
 * screen) is refused too, then the tab forgets it; the browser goes on to /auth/logout,
 * which ends the provider's session. A token the server already refuses is only forgotten. */
export async function revokeToken() {
  if (!token()) return;
  try {
    await gql("mutation SignOut { signOut { revoked } }");
  } catch (failure) {
    // Expired or revoked already: nothing is left to revoke, and the tab forgets it below.
  }
  setToken(null);
}

/** The «Выйти» link of a staff page's header. */
export function signOutLink() {
  const link = h("a", { href: "/auth/logout", id: "sign-out" }, "Выйти");
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    await revokeToken();
    location.assign("/auth/logout");
  });
  return link;
}

/** An error the API returned: `code` is okno's error code (api/error_codes.py), `fields`
 * the input fields at fault ([{field, message}], as `extensions.fields` or a mutation's
 * ValidationError gives them). */
export class ApiError extends Error {
  constructor(message, code, fields) {
    super(message);
    this.code = code || "error";
    this.fields = fields || [];
  }
}

/** Run a query or mutation; resolves to its `data`, rejects with an ApiError. */
export async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (failure) {
    throw new ApiError("Нет связи с сервером. Проверьте сеть и повторите.", "network");
  }
  let body;
  try {
    body = await response.json();
  } catch (failure) {
    throw new ApiError(`Сервер ответил ${response.status}`, "http_" + response.status);
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const extensions = first.extensions || {};
    throw new ApiError(first.message, extensions.code, extensions.fields);
  }
  return body.data;
}

/** Subscribe over graphql-transport-ws; `onNext(data)` for each result, `onError(ApiError)`
 * once if it fails. Returns a function that ends the subscription. Reconnects after a
 * dropped connection, so a hall board left on all day stays live. */
export function subscribe(query, variables, onNext, onError = () => {}) {
  let socket = null;
  let stopped = false;
  let retry = 1000;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/graphql`, "graphql-transport-ws");
    socket.onopen = () => {
      const bearer = token();
      socket.send(JSON.stringify({ type: "connection_init", payload: bearer ? { Authorization: `Bearer ${bearer}` } : {} }));
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        retry = 1000;
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
      } else if (message.type === "next") {
        if (message.payload.errors && message.payload.errors.length) {
          const first = message.payload.errors[0];
          onError(new ApiError(first.message, (first.extensions || {}).code));
        } else {
          onNext(message.payload.data);
        }
      } else if (message.type === "error") {
        onError(new ApiError(message.payload[0]?.message || "ошибка подписки", "subscription"));
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    };
    socket.onclose = (event) => {
      if (stopped || event.code === 4403 || event.code === 4401) {
        if (!stopped) onError(new ApiError("Нет доступа к обновлениям", "not_allowed"));
        return;
      }
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 30000);
    };
  };
  open();
  return () => {
    stopped = true;
    if (socket && socket.readyState <= 1) {
      if (socket.readyState === 1) socket.send(JSON.stringify({ id: "1", type: "complete" }));
      socket.close(1000);
    }
  };
}

/** An element: `h("p", {class: "hint"}, "text", child…)`. Text is always text, never HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Show a message in the page's live region (read out by screen readers). */
export function say(message, kind = "info") {
  const region = document.getElementById("status");
  if (!region) return;
  region.className = `status ${kind}`;
  region.textContent = message;
}

/** A date as people in the office read it: 04.12.2026. */
export function day(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.slice(0, 10).split("-");
  return `${d}.${m}.${y}`;
}

/** A moment in the office's own time: 04.12.2026 15:42. */
export function moment(iso, timeZone = "Europe/Moscow") {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("ru-RU", { timeZone, dateStyle: "short", timeStyle: "short" }).format(new Date(iso));
}
