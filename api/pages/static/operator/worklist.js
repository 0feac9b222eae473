// The office's work list: the tasks of the operator's role, read once and then kept live by
// taskListChanges (a snapshot, then what was added, changed and removed); claim and release.

import { day, gql, h, say, subscribe } from "../okno.js";
import { actorOf, command, navigation, signedIn, stateName } from "./session.js";

const TASK = "id taskId caseNumber element name role state holder dueDay openedAt";
const ROLES = ["operator", "expert", "supervisor"];
const tasks = new Map(); // Task.id → task, the list as shown
const rows = new Map(); // Task.id → [the task as drawn (JSON), its row]: unchanged rows are kept

let me = null;

async function start() {
  navigation();
  me = await signedIn();
  if (!me) return;
  document.getElementById("heading").textContent = `Задачи офиса ${me.office}`;
  const role = ROLES.includes(me.role) && me.role !== "supervisor" ? me.role.toUpperCase() : null;
  const { tasks: page } = await gql(
    `query WorkList($office: String!, $role: Role) {
      tasks(officeId: $office, role: $role, first: 100) { edges { node { ${TASK} } } }
    }`,
    { office: me.office, role },
  );
  page.edges.forEach(({ node }) => tasks.set(node.id, node));
  render();
  subscribe(
    `subscription Live($office: String!) { taskListChanges(officeId: $office) { snapshot added { ${TASK} } changed { ${TASK} } removed } }`,
    { office: me.office },
    ({ taskListChanges: change }) => {
      if (change.snapshot) tasks.clear();
      [...change.added, ...change.changed].filter(mine).forEach((task) => tasks.set(task.id, task));
      change.removed.forEach((id) => tasks.delete(id));
      render();
    },
    (error) => say(`Список не обновляется: ${error.message}`, "error"),
  );
}

/** The subscription carries the whole office's list: keep the tasks of this role. */
function mine(task) {
  if (task.state === "COMPLETED") return false;
  if (me.role === "supervisor" || !task.role) return true;
  return task.role.split(",").map((r) => r.trim()).includes(me.role);
}

/** Redraw only what changed, so a live update never takes the keyboard focus away. */
function render() {
  const shown = [...tasks.values()].sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  const wanted = shown.map((task) => {
    const drawn = JSON.stringify(task);
    const kept = rows.get(task.id);
    if (kept && kept[0] === drawn) return kept[1];
    const fresh = row(task);
    rows.set(task.id, [drawn, fresh]);
    return fresh;
  });
  for (const id of rows.keys()) if (!tasks.has(id)) rows.delete(id);
  const body = document.getElementById("tasks");
  const current = [...body.children];
  if (current.length !== wanted.length || current.some((element, i) => element !== wanted[i])) body.replaceChildren(...wanted);
  document.getElementById("empty").hidden = shown.length > 0;
}

function row(task) {
  const held = task.holder === actorOf(me);
  const open = `/ui/operator/task.html?case=${encodeURIComponent(task.caseNumber)}&task=${encodeURIComponent(task.taskId)}`;
  return h(
    "tr",
    { "data-task": task.taskId },
    h("td", {}, h("a", { href: `/ui/operator/case.html?number=${encodeURIComponent(task.caseNumber)}` }, task.caseNumber)),
    h("td", {}, h("a", { href: open }, task.name)),
    h("td", {}, stateName(task.state)),
    h("td", {}, task.holder || "—"),
    h("td", {}, day(task.dueDay)),
    h(
      "td",
      {},
      task.state === "OPEN" && h("button", { type: "button", onclick: () => act("claimTask", task, "взята в работу") }, "Взять"),
      held && h("button", { type: "button", class: "secondary", onclick: () => act("releaseTask", task, "возвращена в очередь") }, "Вернуть"),
      held && h("a", { class: "button", href: open }, "Заполнить"),
    ),
  );
}

async function act(mutation, task, done) {
  try {
    const { case: changed } = await command(mutation, "TaskInput", `... on CasePayload { case { tasks { ${TASK} } } }`, {
      caseNumber: task.caseNumber,
      taskId: task.taskId,
    });
    changed.tasks.filter((t) => t.taskId === task.taskId).forEach((t) => tasks.set(t.id, t));
    render();
    say(`Задача «${task.name}» по делу ${task.caseNumber} ${done}.`, "ok");
  } catch (error) {
    say(error.message, "error");
  }
}

start().catch((error) => say(error.message, "error"));
