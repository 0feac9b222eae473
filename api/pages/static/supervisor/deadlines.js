// Overdue and near-deadline work: the office's tasks past their due day and those due in the
// next few days (the work list's own overdue and dueBefore filters, so "overdue" means what
// it means in the API: due before the office's today), with each case's service and stage.
import { day, gql, h, say } from "/ui/okno.js";
import { each } from "./batches.js";
import { addDays, chosen, daysBetween, officeToday } from "./staff.js";

const TASK = `totalCount edges { node { taskId caseNumber name holder dueDay } }`;
const DUE = `query($o: String!, $before: Date!) {
  late: tasks(officeId: $o, overdue: true, sort: DUE_ASC, first: 100) { ${TASK} }
  soon: tasks(officeId: $o, overdue: false, dueBefore: $before, sort: DUE_ASC, first: 100) { ${TASK} }
}`;
const CASE = `case(number: $v) { number serviceCode service { title } stage deadline }`;

function left(days) {
  if (days < 0) return h("span", { class: "late" }, `просрочено на ${-days} дн.`);
  if (days === 0) return h("span", { class: "warn" }, "сегодня");
  return `${days} дн.`;
}

function rows(tasks, cases, today) {
  return tasks.map((task) => {
    const found = cases.get(task.caseNumber);
    const days = daysBetween(today, task.dueDay);
    return h("tr", { "data-case": task.caseNumber, class: days < 0 ? "overdue" : "" },
      h("th", { scope: "row" }, task.caseNumber),
      h("td", {}, found ? (found.service ? found.service.title : found.serviceCode) : "—"),
      h("td", {}, (found && found.stage) || "—"),
      h("td", {}, task.name),
      h("td", {}, day(task.dueDay)),
      h("td", {}, left(days)),
      h("td", {}, task.holder || h("span", { class: "muted" }, "не назначена")),
      h("td", {}, h("a", { href: "#tasks", class: "reassign", "aria-label": `Передать задачу дела ${task.caseNumber}`,
        onclick: () => { chosen.taskId = task.taskId; } }, "Передать")));
  });
}

async function load(results, office, within) {
  const today = officeToday(office.timezone);
  const data = await gql(DUE, { o: office.code, before: addDays(today, within) });
  const tasks = [...data.late.edges, ...data.soon.edges].map((e) => e.node);
  const numbers = [...new Set(tasks.map((t) => t.caseNumber))];
  const cases = new Map();
  (await each("query", "String!", CASE, numbers)).forEach((c) => c && cases.set(c.number, c));
  const more = data.late.totalCount + data.soon.totalCount - tasks.length;
  results.replaceChildren(...[
    h("p", {}, `Просрочено задач: ${data.late.totalCount}; со сроком до ${day(addDays(today, within))}: ${data.soon.totalCount}.`),
    tasks.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "deadline-table" },
        h("caption", {}, "Задачи по сроку: сначала самые поздние"),
        h("thead", {}, h("tr", {}, ["Дело", "Услуга", "Этап", "Задача", "Срок", "Осталось", "Исполнитель", ""]
          .map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows(tasks, cases, today))))
      : h("p", { class: "muted" }, "Ни просроченных, ни близких к сроку задач нет."),
    more > 0 ? h("p", { class: "muted" }, `Показаны первые 100 каждого вида; ещё ${more} не показано.`) : null,
  ].filter(Boolean));
}

export async function show(place, office) {
  const results = h("div", { id: "deadline-results" });
  const within = h("input", { id: "deadline-days", type: "number", min: "0", max: "60", value: "3", inputmode: "numeric" });
  const form = h("form", { class: "inline" },
    h("label", { for: "deadline-days" }, "Срок в ближайшие, дней"),
    within,
    h("button", { type: "submit" }, "Показать"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const days = Number(within.value);
    if (!Number.isInteger(days) || days < 0 || days > 60) {
      within.setAttribute("aria-invalid", "true");
      say("Число дней — от 0 до 60.", "error");
      within.focus();
      return;
    }
    within.removeAttribute("aria-invalid");
    load(results, office, days).catch((failure) => say(failure.message, "error"));
  });
  place.replaceChildren(form, results);
  await load(results, office, 3);
}
