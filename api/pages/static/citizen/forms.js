// The citizen's pages share this: an API error told in Russian, and each problem shown at
// its field (aria-invalid, and aria-describedby pointing at the message) so a screen
// reader reads it with the field. The API's own messages are English, for integrators;
// what a citizen reads is chosen here by the error's code.

import { h, moment } from "/ui/okno.js";

/** What the citizen reads for an error code (okno's codes: docs/ERRORS.md). */
const BY_CODE = {
  wrong_pin: "PIN-код не подходит к номеру, или такого номера нет. Проверьте оба на расписке.",
  too_many_attempts: "Слишком много попыток с неверным PIN-кодом.",
  too_many_bookings: "С этого адреса уже сделано несколько записей подряд.",
  already_rated: "Оценка этого обращения уже получена. Спасибо!",
  slot_taken: "Это время только что заняли. Выберите другое.",
  slot_unavailable: "На это время записаться нельзя. Выберите другое.",
  office_closed: "Отделение в это время не работает.",
  service_not_offered: "В этом отделении нет такой услуги. Выберите другое отделение.",
  appointment_not_valid: "Запись уже отменена, использована или её время прошло.",
  not_found: "Не найдено.",
  not_authenticated: "Без PIN-кода это недоступно.",
  network: "Нет связи с сервером. Проверьте сеть и повторите.",
};

/** What the citizen reads for a field's problem, by its code. */
const FIELD_CODES = {
  required: "Заполните это поле.",
  blank: "Заполните это поле.",
  invalid_phone: "Укажите телефон, например +7 904 123-45-67.",
  invalid_email: "Это не адрес электронной почты.",
  not_a_name: "Укажите имя буквами: допустимы пробел, дефис, апостроф и точка.",
  too_long: "Слишком длинно.",
};

/** When a lockout ends: the API's message ends "… after 2026-12-04T16:05:00+00:00". */
function lockedUntil(message) {
  const found = /after (\d{4}-\d{2}-\d{2}T[0-9:]+(?:[+-]\d{2}:\d{2}|Z)?)/.exec(message || "");
  return found ? moment(found[1]) : null;
}

/** An ApiError (or a mutation's Error) in the citizen's words. */
export function explain(error) {
  const text = BY_CODE[error.code];
  if (!text) return "Не получилось. Проверьте данные и повторите.";
  const until = ["too_many_attempts", "too_many_bookings"].includes(error.code) ? lockedUntil(error.message) : null;
  return until ? `${text} Попробуйте снова после ${until}.` : text;
}

/** A field problem ({field, message, code}) in the citizen's words. */
export function explainField(problem, fallback) {
  return FIELD_CODES[problem.code] || fallback || "Проверьте это поле.";
}

/** Remove every error shown in ``form``. */
export function clearErrors(form) {
  for (const shown of form.querySelectorAll(".field-error")) shown.remove();
  for (const marked of form.querySelectorAll("[aria-invalid]")) {
    marked.removeAttribute("aria-invalid");
    const kept = (marked.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
    if (kept.length) marked.setAttribute("aria-describedby", kept.join(" "));
    else marked.removeAttribute("aria-describedby");
  }
}

/** Show ``text`` at the field (an input, a select or a fieldset of radios). */
export function showAt(field, text) {
  const id = `${field.id}-error`;
  let note = document.getElementById(id);
  if (!note) {
    note = h("p", { id, class: "field-error" });
    if (field.tagName === "FIELDSET") field.append(note);
    else field.after(note);
  }
  note.textContent = text;
  field.setAttribute("aria-invalid", "true");
  const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (!described.includes(id)) field.setAttribute("aria-describedby", [...described, id].join(" "));
}

/** Show each of the API's field problems at its field: ``fieldsById`` maps the API's path
 * (input.contact.phone) to the element's id. Returns how many were placed; the first field
 * at fault takes the focus, so a keyboard user lands on it. */
export function showFieldErrors(problems, fieldsById, fallbacks = {}) {
  let first = null;
  let placed = 0;
  for (const problem of problems || []) {
    const field = document.getElementById(fieldsById[problem.field] || "");
    if (!field) continue;
    showAt(field, explainField(problem, fallbacks[problem.field]));
    placed += 1;
    first = first || field;
  }
  if (first) (first.tagName === "FIELDSET" ? first.querySelector("input") || first : first).focus();
  return placed;
}

/** A mutation's result: its payload, or throws its Error as the client's ApiError does. */
export function payload(result, typename) {
  if (result.__typename === typename) return result;
  const failure = new Error(result.message);
  failure.code = result.code;
  failure.fields = result.fields || [];
  throw failure;
}

/** A slot's or booking's time as the citizen reads it, in the office's own zone. */
export function when(iso, timeZone = "Europe/Moscow") {
  return new Intl.DateTimeFormat("ru-RU", {
    timeZone,
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
}

export const ERROR_FIELDS = "... on Error { code message fields { field message code } }";
