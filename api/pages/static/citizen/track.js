// Track a case: the number and PIN from the receipt → where the case stands, its stages
// with their dates, the expected date and what to do next. No sign-in: `track` needs only
// the two. While the page is open it follows the case (`caseTracked`, the same view sent
// again each time the case moves), so a stage reached meanwhile shows up without a reload.

import { day, gql, h, moment, say, subscribe } from "/ui/okno.js";
import { clearErrors, explain, showAt, showFieldErrors } from "/ui/citizen/forms.js";

const TRACK = `query Track($number: String!, $pin: String!) {
  track(number: $number, pin: $pin) {
    number service office status outcome stage openedAt expectedCompletion nextAction
    stages { stage since }
  }
}`;
const TRACKED = `subscription Tracked($number: String!, $pin: String!) {
  caseTracked(number: $number, pin: $pin) {
    number service office status outcome stage openedAt expectedCompletion nextAction
    stages { stage since }
  }
}`;
const STATUS = { OPEN: "В работе", COMPLETED: "Завершено", WITHDRAWN: "Отозвано заявителем" };

const form = document.getElementById("track-form");
const section = document.getElementById("case");
let stop = null; // ends following the case shown
let shown = ""; // the status drawn, as JSON: the subscription's first message repeats it

function render(status) {
  // Drawn again only when it changed: an element the citizen (or a screen reader) is on stays put.
  const drawn = JSON.stringify(status);
  if (drawn === shown && !section.hidden) return;
  shown = drawn;
  const stages = status.stages.map((stage, index) => {
    const current = status.status === "OPEN" && index === status.stages.length - 1;
    return h(
      "li",
      { class: current ? "current" : "done", "aria-current": current ? "step" : null },
      h("span", { class: "stage-name" }, stage.stage),
      " ",
      h("span", { class: "muted" }, current ? `идёт с ${day(stage.since)}` : `${day(stage.since)}`),
    );
  });
  const expected = status.expectedCompletion
    ? h("p", { class: "expected" }, "Ожидаемая дата готовности: ", h("strong", { id: "expected" }, day(status.expectedCompletion)))
    : null;
  section.replaceChildren(
    h("h3", { id: "case-title" }, `Дело ${status.number}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Услуга"), h("dd", {}, status.service),
      h("dt", {}, "Отделение"), h("dd", {}, status.office),
      h("dt", {}, "Принято"), h("dd", {}, day(status.openedAt)),
      h("dt", {}, "Состояние"), h("dd", { id: "case-status" }, STATUS[status.status] || status.status),
    ),
    expected,
    h("h4", {}, "Что сделать дальше"),
    h("p", { id: "next-action", class: "next" }, status.nextAction),
    h("h4", {}, "Этапы"),
    h("ol", { id: "stages", class: "stages" }, stages),
    h("p", { class: "muted" }, `Обновлено ${moment(new Date().toISOString())}; страница обновляется сама, когда дело продвигается.`),
  );
  section.hidden = false;
}

async function load(number, pin, quiet) {
  const data = await gql(TRACK, { number, pin });
  render(data.track);
  if (!quiet) say("Дело найдено.", "ok");
}

function follow(number, pin) {
  if (stop) stop();
  // The case stays as last shown if following fails (the connection is retried by itself).
  stop = subscribe(TRACKED, { number, pin }, (data) => render(data.caseTracked), (error) => say(explain(error), "error"));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const number = form.number.value.trim();
  const pin = form.pin.value.trim();
  let missing = false;
  if (!number) { showAt(form.number, "Укажите номер дела."); missing = true; }
  if (!/^\d{6}$/.test(pin)) { showAt(form.pin, "PIN-код — 6 цифр с расписки."); missing = true; }
  if (missing) {
    form.querySelector("[aria-invalid]").focus();
    say("Проверьте поля, отмеченные ниже.", "error");
    return;
  }
  say("Ищем дело…", "info");
  try {
    await load(number, pin, false);
    follow(number, pin);
  } catch (error) {
    if (stop) stop();
    stop = null;
    section.hidden = true;
    const placed = showFieldErrors(error.fields, { number: "number", pin: "pin" });
    if (!placed && ["wrong_pin", "too_many_attempts"].includes(error.code)) {
      showAt(form.pin, explain(error));
      form.pin.focus();
    }
    say(explain(error), "error");
  }
});

const given = new URLSearchParams(location.search).get("number");
if (given) form.number.value = given; // a link from a notice may carry the number, never the PIN
