// A task's form, drawn by the bpmn.io form viewer (form-js, global FormViewer) from the
// task's form contract (Task.form): completing sends the form's data to completeTask, and
// every field the API finds at fault is shown at that field.

import { h, gql, say } from "../okno.js";
import { formJsSchema, fieldErrors, taskData } from "./form-schema.js";
import { actorOf, command, navigation, param, signedIn, stateName } from "./session.js";

const TASK = `id taskId element name state holder dueDay
  form { origin formJs jsonSchema fields { id label type required enumValues enumOptions { value label } default constraints } }`;

let me = null;
let task = null;
let form = null;
let schema = null;
const number = param("case");

async function start() {
  navigation();
  me = await signedIn();
  if (!me) return;
  await load();
}

async function load() {
  const { case: found } = await gql(
    `query Task($number: String!) { case(number: $number) { number service { title } tasks { ${TASK} } } }`,
    { number },
  );
  task = found && found.tasks.find((t) => t.taskId === param("task"));
  if (!task) {
    say("Задача не найдена: она завершена или дело закрыто.", "error");
    return;
  }
  document.getElementById("heading").textContent = task.name;
  document.getElementById("about").replaceChildren(
    "Дело ",
    h("a", { href: `/ui/operator/case.html?number=${encodeURIComponent(number)}` }, number),
    ` · ${found.service ? found.service.title : ""} · ${stateName(task.state)}${task.holder ? ` (${task.holder})` : ""}`,
  );
  const mine = task.holder === actorOf(me);
  document.getElementById("actions").replaceChildren(
    task.state === "OPEN" ? h("button", { type: "button", onclick: claim }, "Взять в работу") : "",
  );
  await draw(mine);
}

async function draw(editable) {
  schema = formJsSchema(task.form || { fields: [] });
  if (form) form.destroy();
  // debounce off: form-js passes a field's typing to its state 300 ms later, and a render in
  // between (another field's late change, the API's errors drawn) put the old value back in
  // the box, losing what was typed meanwhile; on a busy office PC that happened.
  form = await FormViewer.createForm({ container: document.getElementById("task-form"), schema, data: {}, debounce: false });
  form.setProperty("readOnly", !editable);
  form.on("submit", submitted);
  document.getElementById("submit-area").replaceChildren(
    editable ? h("button", { type: "button", onclick: () => form.submit() }, "Завершить задачу") : h("p", { class: "muted" }, "Возьмите задачу в работу, чтобы заполнить форму."),
  );
}

async function claim() {
  try {
    await command("claimTask", "TaskInput", "... on CasePayload { case { number } }", { caseNumber: number, taskId: task.taskId });
    say("Задача взята в работу.", "ok");
    await load();
  } catch (error) {
    say(error.message, "error");
  }
}

/** form-js checked what it knows (its own messages at the fields); the API checks the rest. */
async function submitted({ data: values, errors }) {
  if (Object.keys(errors).length) {
    say("Исправьте поля, отмеченные в форме.", "error");
    return;
  }
  const { data, problems } = taskData(schema, values);
  if (problems.length) {
    showErrors(problems.map((p) => ({ field: `input.data.${p.path}`, message: p.message })));
    return;
  }
  try {
    await command("completeTask", "CompleteTaskInput", "... on CasePayload { case { number status } }", {
      caseNumber: number,
      element: task.element,
      taskId: task.taskId,
      data,
    });
    form.setProperty("readOnly", true);
    document.getElementById("submit-area").replaceChildren(
      h("a", { class: "button", href: "/ui/operator/index.html" }, "К списку задач"),
      " ",
      h("a", { class: "button", href: `/ui/operator/case.html?number=${encodeURIComponent(number)}` }, "Карточка дела"),
    );
    say(`Задача «${task.name}» завершена.`, "ok");
  } catch (error) {
    if (error.fields && error.fields.length) showErrors(error.fields);
    else say(error.message, "error");
  }
}

/** Each field error at its field (form-js keeps errors by field id, its own state, which
 * it draws under the field with aria-invalid); any not on the form goes to the status. */
function showErrors(fields) {
  const instances = form.get("formFieldInstanceRegistry").getAllKeyed();
  const { errors, unplaced } = fieldErrors(fields, instances);
  form._setState({ errors });
  say(["Данные не приняты: исправьте отмеченные поля.", ...unplaced].join(" "), "error");
}

start().catch((error) => say(error.message, "error"));
