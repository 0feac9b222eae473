// The office today: open cases, due today, overdue, the tasks per role and the queue. Live:
// the work list's and the hall board's subscriptions say when something changed, and the
// figures are read again (once for a burst of changes).
import { day, gql, h, moment, say, subscribe } from "/ui/okno.js";
import { roleName } from "./staff.js";

const FIGURES = `query($o: String!) {
  office(id: $o) { dashboard { day openCases dueToday overdue tasksByRole { role count } } }
  queue(officeId: $o) { waiting { number serviceCode arrivedAt } serving { number window calledAt } done }
}`;
const TASKS_CHANGED = `subscription($o: String!) { taskListChanges(officeId: $o) { position } }`;
const BOARD_CHANGED = `subscription($o: String!) { queueBoard(officeId: $o) { waiting } }`;

function figure(name, label, value, kind = "") {
  return h("div", { class: `card figure ${kind}`, "data-figure": name },
    h("p", { class: "figure-label" }, label),
    h("p", { class: "figure-value" }, String(value)));
}

function table(caption, headings, rows, empty) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("div", { class: "table-wrap" }, h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c)))))));
}

function render(place, office, data) {
  const board = data.office.dashboard;
  const queue = data.queue;
  place.replaceChildren(
    h("p", { class: "muted" }, `На ${day(board.day)}. Обновляется само, когда меняются задачи или очередь.`),
    h("div", { class: "cards figures" },
      figure("openCases", "Открытые дела", board.openCases),
      figure("dueToday", "Срок сегодня", board.dueToday, board.dueToday ? "warn" : ""),
      figure("overdue", "Просрочены", board.overdue, board.overdue ? "late" : ""),
      figure("waiting", "В очереди", queue.waiting.length),
      figure("served", "Обслужено сегодня", queue.done)),
    h("h3", {}, "Задачи по ролям"),
    table("Открытые задачи офиса по ролям", ["Роль", "Задач"],
      board.tasksByRole.map((r) => [roleName(r.role === "-" ? null : r.role), String(r.count)]), "Открытых задач нет."),
    h("h3", {}, "Очередь"),
    table("У окон", ["Талон", "Окно", "Вызван"],
      queue.serving.map((t) => [t.number, String(t.window), moment(t.calledAt, office.timezone)]), "У окон никого."),
    table("Ждут вызова", ["Талон", "Услуга", "Пришёл"],
      queue.waiting.map((t) => [t.number, t.serviceCode, moment(t.arrivedAt, office.timezone)]), "Никто не ждёт."),
    h("p", { class: "muted", id: "dashboard-updated" }, `Обновлено: ${new Date().toLocaleTimeString("ru-RU")}`),
  );
}

export async function show(place, office) {
  const load = async () => render(place, office, await gql(FIGURES, { o: office.code }));
  await load();
  let pending = null;
  const changed = () => {
    clearTimeout(pending);
    pending = setTimeout(() => load().catch((failure) => say(failure.message, "error")), 300);
  };
  const failed = (failure) => say(`Сводка не обновляется сама: ${failure.message}`, "error");
  const stops = [subscribe(TASKS_CHANGED, { o: office.code }, changed, failed),
    subscribe(BOARD_CHANGED, { o: office.code }, changed, failed)];
  return () => {
    clearTimeout(pending);
    stops.forEach((stop) => stop());
  };
}
