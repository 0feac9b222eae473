// Reassigning tasks: the office's open and claimed tasks, and a form that gives one to a
// member of the office's staff (OFFICE/subject, as the work list shows holders). okno keeps
// no staff directory (people come from the sign-in's claims), so the names offered are those
// the office's work list has seen: current holders and who completed tasks.
import { day, gql, h, say } from "/ui/okno.js";
import { CASE_RESULT, done, why } from "./outcome.js";
import { chosen, roleName } from "./staff.js";

const TASKS = `query($o: String!) {
  open: tasks(officeId: $o, first: 100) { totalCount edges { node { taskId caseNumber name role state holder dueDay } } }
  closed: tasks(officeId: $o, state: COMPLETED, sort: CREATED_DESC, first: 100) { edges { node { completedBy } } }
}`;
const REASSIGN = `mutation($input: ReassignTaskInput!) { reassignTask(input: $input) { ${CASE_RESULT} } }`;

function staffSeen(office, open, closed) {
  const names = [...open.map((t) => t.holder), ...closed.map((t) => t.completedBy)];
  return [...new Set(names.filter((n) => n && n.startsWith(`${office.code}/`)))].sort();
}

function fieldError(input, message) {
  const id = `${input.id}-error`;
  document.getElementById(id)?.remove();
  if (!message) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    return;
  }
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
  input.after(h("p", { class: "field-error", id }, message));
}

function render(place, office, open, closed, reload) {
  const staff = staffSeen(office, open, closed);
  const task = h("select", { id: "reassign-task", required: true },
    open.map((t) => h("option", { value: t.taskId, "data-case": t.caseNumber },
      `${t.caseNumber} — ${t.name} (${t.holder ? `у ${t.holder}` : "свободна"})`)));
  const holder = h("input", { id: "reassign-holder", type: "text", list: "staff-seen", required: true,
    autocomplete: "off", placeholder: `${office.code}/фамилия` });
  const form = h("form", { id: "reassign-form", novalidate: true },
    h("label", { for: "reassign-task" }, "Задача"), task,
    h("label", { for: "reassign-holder" }, "Кому передать"),
    h("p", { class: "muted hint", id: "reassign-holder-hint" },
      `Сотрудник офиса, как в столбце «Исполнитель»: ${office.code}/имя. Выполнит задачу, только если её роль — его.`),
    holder,
    h("datalist", { id: "staff-seen" }, staff.map((name) => h("option", { value: name }))),
    h("button", { type: "submit" }, "Передать"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fieldError(holder, null);
    const target = open.find((t) => t.taskId === task.value);
    const who = holder.value.trim();
    if (!target) {
      say("Выберите задачу.", "error");
      return;
    }
    const subject = who.slice(office.code.length + 1).trim();
    if (!who.startsWith(`${office.code}/`) || !subject) {
      fieldError(holder, `Укажите сотрудника этого офиса: ${office.code}/имя.`);
      holder.focus();
      return;
    }
    try {
      const { reassignTask: result } = await gql(REASSIGN, { input: { caseNumber: target.caseNumber, taskId: target.taskId, holder: who } });
      if (done(result)) {
        await reload();
        say(`Задача «${target.name}» дела ${target.caseNumber} передана: ${who}.`, "ok");
        return;
      }
      const atHolder = (result.fields || []).find((f) => f.field.endsWith("holder"));
      if (atHolder || (result.code === "validation" && /holder/.test(result.message))) {
        fieldError(holder, atHolder ? atHolder.message : result.message);
        holder.focus();
      }
      say(`Не передана: ${why(result)}.`, "error");
    } catch (failure) {
      say(failure.message, "error");
    }
  });
  const picked = open.find((t) => t.taskId === chosen.taskId);
  chosen.taskId = null;
  if (picked) task.value = picked.taskId;
  place.replaceChildren(...[
    open.length ? form : h("p", { class: "muted" }, "Открытых задач нет."),
    open.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "task-table" },
        h("caption", {}, "Открытые задачи офиса"),
        h("thead", {}, h("tr", {}, ["Дело", "Задача", "Роль", "Исполнитель", "Срок"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, open.map((t) => h("tr", { "data-task": t.taskId },
          h("th", { scope: "row" }, t.caseNumber), h("td", {}, t.name), h("td", {}, roleName(t.role)),
          h("td", { class: "holder" }, t.holder || h("span", { class: "muted" }, "свободна")), h("td", {}, day(t.dueDay)))))))
      : null,
  ].filter(Boolean));
}

export async function show(place, office) {
  const reload = async () => {
    const data = await gql(TASKS, { o: office.code });
    render(place, office, data.open.edges.map((e) => e.node), data.closed.edges.map((e) => e.node), reload);
  };
  const picked = chosen.taskId;
  await reload();
  if (picked) document.getElementById("reassign-holder")?.focus();  // the task is chosen: who gets it is next
}
