// What a mutation's CaseResult says, for people: a CasePayload is done; any other member is
// an error with its message (and, for a ValidationError, the fields at fault).

export const CASE_RESULT = `__typename ... on CasePayload { case { number } }
  ... on Error { code message } ... on ValidationError { fields { field message } }`;

/** True when the result is the case (the mutation was recorded). */
export function done(result) {
  return Boolean(result) && result.__typename === "CasePayload";
}
