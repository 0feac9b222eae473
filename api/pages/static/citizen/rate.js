// Rate a visit on the four criteria of the region's quality monitoring, 1–5 each, with the
// case's number and PIN (no sign-in: rateVisit takes the PIN as track does).

import { gql, h, say } from "/ui/okno.js";
import { ERROR_FIELDS, clearErrors, explain, payload, showAt, showFieldErrors } from "/ui/citizen/forms.js";

const CRITERIA = [
  ["waitingTime", "Время ожидания"],
  ["staff", "Вежливость и знания сотрудников"],
  ["premises", "Удобство помещения"],
  ["information", "Понятность информации"],
];
const SCORES = ["плохо", "скорее плохо", "средне", "хорошо", "отлично"];
const RATE = `mutation Rate($input: RateVisitInput!) {
  rateVisit(input: $input) { __typename ... on CasePayload { case { number } } ${ERROR_FIELDS} }
}`;

const form = document.getElementById("rate-form");
document.getElementById("criteria").replaceChildren(
  ...CRITERIA.map(([name, title]) =>
    h("fieldset", { id: `score-${name}` },
      h("legend", {}, title),
      h("div", { class: "choices" },
        SCORES.map((words, index) =>
          h("label", { for: `score-${name}-${index + 1}` },
            h("input", { type: "radio", name, id: `score-${name}-${index + 1}`, value: String(index + 1) }),
            `${index + 1} — ${words}`,
          ),
        ),
      ),
    ),
  ),
);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const number = form.number.value.trim();
  const pin = form.pin.value.trim();
  const scores = Object.fromEntries(CRITERIA.map(([name]) => [name, form.querySelector(`input[name=${name}]:checked`)?.value]));
  const missing = [];
  if (!number) missing.push([form.number, "Укажите номер дела."]);
  if (!/^\d{6}$/.test(pin)) missing.push([form.pin, "PIN-код — 6 цифр с расписки."]);
  for (const [name] of CRITERIA) if (!scores[name]) missing.push([document.getElementById(`score-${name}`), "Поставьте оценку от 1 до 5."]);
  if (missing.length) {
    for (const [field, text] of missing) showAt(field, text);
    const first = missing[0][0];
    (first.tagName === "FIELDSET" ? first.querySelector("input") : first).focus();
    say("Проверьте поля, отмеченные ниже.", "error");
    return;
  }
  const input = { caseNumber: number, pin, ...Object.fromEntries(CRITERIA.map(([name]) => [name, Number(scores[name])])) };
  say("Отправляем…", "info");
  try {
    payload((await gql(RATE, { input })).rateVisit, "CasePayload");
    form.hidden = true;
    say("Спасибо! Оценка принята: она поможет сделать центр удобнее.", "ok");
  } catch (error) {
    const fields = Object.fromEntries(CRITERIA.map(([name]) => [`input.${name}`, `score-${name}`]));
    const placed = showFieldErrors(error.fields, { ...fields, "input.caseNumber": "number", "input.pin": "pin", number: "number", pin: "pin" });
    if (!placed && ["wrong_pin", "too_many_attempts"].includes(error.code)) {
      showAt(form.pin, explain(error));
      form.pin.focus();
    }
    say(explain(error), "error");
  }
});

const given = new URLSearchParams(location.search).get("number");
if (given) form.number.value = given;
