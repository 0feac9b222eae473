// What a mutation's CaseResult says, for people: a CasePayload is done; any other member is
// an error with its code (docs/ERRORS.md), said in Russian, and the server's own message
// (which names the element or field) after it.

export const CASE_RESULT = `__typename ... on CasePayload { case { number } }
  ... on Error { code message } ... on ValidationError { fields { field message } }`;

const SAID = {
  not_allowed: "нет прав",
  not_found: "не найдено",
  conflict: "дело изменилось одновременно — повторите",
  validation: "отказано",
  task_not_ready: "задача уже не открыта",
  task_already_claimed: "задачу уже взял другой сотрудник",
  task_held_by_another: "задача у другого сотрудника",
  case_closed: "дело закрыто",
  case_broken: "дело на проверке у аудитора",
  recorded_not_readable: "записано, но дело пока не читается — обновите",
};

/** True when the result is the case (the mutation was recorded). */
export function done(result) {
  return Boolean(result) && result.__typename === "CasePayload";
}

/** Why a result is not the case: "задача уже не открыта (task … is not open)". */
export function why(result) {
  if (!result) return "нет ответа";
  const said = SAID[result.code] || "отказ";
  return result.message ? `${said} (${result.message})` : said;
}
