// Incidents: the office's jobs whose connector failed every attempt, with the last error.
// The supervisor retries one, the ones ticked, or all shown; several go as one request per
// ten (batches.js), each its own retryIncident with its own answer, and one summary says
// how many were retried and why any was not. The list follows `incidentsChanged`: a job
// failing for good, or retried by someone else, shows without a reload; what is ticked
// stays ticked.
import { gql, h, moment, say, subscribe } from "/ui/okno.js";
import { each } from "./batches.js";
import { CASE_RESULT, done, why } from "./outcome.js";

const INCIDENTS = `query($o: String) { incidents(officeId: $o) {
  caseNumber taskId element connector failures error incidentAt } }`;
const CHANGED = `subscription($o: String!) { incidentsChanged(officeId: $o) {
  caseNumber taskId element connector failures error incidentAt } }`;
const RETRY = `retryIncident(input: $v) { ${CASE_RESULT} }`;

function label(incident) {
  return `дело ${incident.caseNumber}, шаг ${incident.element}`;
}

async function retry(picked) {
  const answers = await each("mutation", "TaskInput!", RETRY,
    picked.map((i) => ({ caseNumber: i.caseNumber, taskId: i.taskId })));
  const refused = [];
  answers.forEach((answer, n) => {
    if (!done(answer)) refused.push(`${label(picked[n])}: ${why(answer)}`);
  });
  const retried = picked.length - refused.length;
  if (!refused.length) return [`Повторено инцидентов: ${retried}.`, "ok"];
  return [`Повторено ${retried} из ${picked.length}. Не повторены — ${refused.join("; ")}`, "error"];
}

function render(place, office, incidents, reload) {
  if (!incidents.length) {
    place.replaceChildren(h("p", { id: "no-incidents" }, "Инцидентов нет: все задания выполняются."));
    return;
  }
  const ticked = new Set([...place.querySelectorAll("#incident-table tbody input:checked")].map((box) => box.dataset.task));
  const boxes = incidents.map((incident, n) => h("input", {
    type: "checkbox", id: `incident-${n}`, "data-task": incident.taskId, checked: ticked.has(incident.taskId),
  }));
  const all = h("input", { type: "checkbox", id: "incident-all" });
  all.addEventListener("change", () => boxes.forEach((box) => { box.checked = all.checked; }));
  const act = async (picked, button) => {
    if (!picked.length) {
      say("Отметьте инциденты, которые повторить.", "error");
      return;
    }
    button.disabled = true;
    // The summary is said once the table is read again, so what it says and what the
    // table shows never disagree (a retried incident still listed under "retried: 1").
    let summary;
    try {
      summary = await retry(picked);
    } catch (failure) {
      summary = [failure.message, "error"];
    }
    await reload(false).catch((failure) => { summary = [failure.message, "error"]; });
    say(...summary);
  };
  const selected = h("button", { type: "button", id: "retry-selected" }, "Повторить отмеченные");
  selected.addEventListener("click", () => act(incidents.filter((_, n) => boxes[n].checked), selected));
  const shown = h("button", { type: "button", id: "retry-all", class: "secondary" }, `Повторить все показанные (${incidents.length})`);
  shown.addEventListener("click", () => act(incidents, shown));
  place.replaceChildren(
    h("p", {}, "Задание повторяется с новыми попытками; сначала устраните причину ошибки."),
    h("div", { class: "table-wrap" }, h("table", { id: "incident-table" },
      h("caption", {}, `Инциденты офиса: ${incidents.length}`),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, h("label", { for: "incident-all", class: "inline-label" }, "Все"), all),
        ["Дело", "Шаг", "Коннектор", "Попыток", "Ошибка", "Когда", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, incidents.map((incident, n) => {
        const one = h("button", { type: "button", class: "secondary", "aria-label": `Повторить: ${label(incident)}` }, "Повторить");
        one.addEventListener("click", () => act([incident], one));
        return h("tr", { "data-task": incident.taskId, "data-case": incident.caseNumber },
          h("td", {}, h("label", { for: `incident-${n}`, class: "visually-hidden" }, `Отметить: ${label(incident)}`), boxes[n]),
          h("th", { scope: "row" }, incident.caseNumber),
          h("td", {}, incident.element),
          h("td", {}, incident.connector),
          h("td", {}, String(incident.failures)),
          h("td", { class: "error-text" }, incident.error || "—"),
          h("td", {}, moment(incident.incidentAt, office.timezone)),
          h("td", {}, one));
      })))),
    h("div", { class: "actions" }, selected, " ", shown),
  );
}

export async function show(place, office) {
  let shown = "";
  const draw = (incidents) => {
    shown = JSON.stringify(incidents);
    render(place, office, incidents, reload);
  };
  const reload = async (clearStatus = true) => {
    const { incidents } = await gql(INCIDENTS, { o: office.code });
    if (clearStatus) say("");
    draw(incidents);
  };
  await reload();
  return subscribe(CHANGED, { o: office.code }, ({ incidentsChanged }) => {
    // Not while a retry is under way: it reads the list again itself when done.
    if (JSON.stringify(incidentsChanged) !== shown && !place.querySelector("button:disabled")) draw(incidentsChanged);
  }, (failure) => say(`Список инцидентов не обновляется сам: ${failure.message}`, "error"));
}
