// Overdue and near-deadline cases: the office's open cases past their regulated deadline
// and those due in the next few days (the `cases` query's overdue and dueBefore filters, so
// "overdue" is what the API and the dashboard mean: the deadline is before the office's
// today), those waiting on an agency with no task open as well. Each shows who holds its
// open tasks, with a shortcut to reassign one.
import { day, gql, h, say } from "/ui/okno.js";
import { addDays, chosen, daysBetween, officeToday } from "./staff.js";

const CASES = `totalCount edges { node { number serviceCode service { title } stage deadline tasks { taskId name holder } } }`;
const DUE = `query($o: String!, $before: Date!) {
  late: cases(officeId: $o, status: OPEN, overdue: true, first: 100) { ${CASES} }
  soon: cases(officeId: $o, status: OPEN, overdue: false, dueBefore: $before, first: 100) { ${CASES} }
}`;

function left(days) {
  if (days < 0) return h("span", { class: "late" }, `просрочено на ${-days} дн.`);
  if (days === 0) return h("span", { class: "warn" }, "сегодня");
  return `${days} дн.`;
}

function holders(found) {
  if (!found.tasks.length) return h("span", { class: "muted" }, "нет открытых задач (ждёт ведомство или срок)");
  return h("ul", { class: "plain" }, found.tasks.map((task) => h("li", { "data-task": task.taskId },
    `${task.name}: `,
    task.holder || h("span", { class: "muted" }, "не назначена"),
    " ",
    h("a", { href: "#tasks", class: "reassign", "aria-label": `Передать: ${task.name}, дело ${found.number}`,
      onclick: () => { chosen.taskId = task.taskId; } }, "Передать"))));
}

function rows(cases, today) {
  return cases.map((found) => {
    const days = daysBetween(today, found.deadline);
    return h("tr", { "data-case": found.number, class: days < 0 ? "overdue" : "" },
      h("th", { scope: "row" }, found.number),
      h("td", {}, found.service ? found.service.title : found.serviceCode),
      h("td", {}, found.stage || "—"),
      h("td", {}, day(found.deadline)),
      h("td", {}, left(days)),
      h("td", {}, holders(found)));
  });
}

async function load(results, office, within) {
  const today = officeToday(office.timezone);
  const data = await gql(DUE, { o: office.code, before: addDays(today, within) });
  const cases = [...data.late.edges, ...data.soon.edges].map((e) => e.node)
    .sort((a, b) => a.deadline.localeCompare(b.deadline) || a.number.localeCompare(b.number));
  const more = data.late.totalCount + data.soon.totalCount - cases.length;
  results.replaceChildren(...[
    h("p", {}, `Просрочено дел: ${data.late.totalCount}; со сроком до ${day(addDays(today, within))}: ${data.soon.totalCount}.`),
    cases.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "deadline-table" },
        h("caption", {}, "Открытые дела по сроку: сначала самые поздние"),
        h("thead", {}, h("tr", {}, ["Дело", "Услуга", "Этап", "Срок", "Осталось", "Задачи и исполнители"]
          .map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows(cases, today))))
      : h("p", { class: "muted" }, "Ни просроченных, ни близких к сроку дел нет."),
    more > 0 ? h("p", { class: "muted" }, `Показаны первые 100 каждого вида (новые); ещё ${more} не показано.`) : null,
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
