// The case card: what the case is, its stages, the deadline, the documents the service
// asks for, the current tasks, the history, and the process drawn by bpmn-js (global
// BpmnJS, the NavigatedViewer) with the path taken and the current tasks marked.

import { day, gql, h, moment, say } from "../okno.js";
import { navigation, param, signedIn, stateName } from "./session.js";

// History events by their recorded kind, as people in the office say them (an unknown kind as recorded).
const EVENTS = {
  Opened: "Дело открыто",
  TaskCompleted: "Задача завершена",
  TaskClaimed: "Задача взята в работу",
  TaskReleased: "Задача возвращена в очередь",
  TaskReassigned: "Задача передана",
  MessageReceived: "Получен ответ ведомства",
  MessageAcknowledged: "Ведомство подтвердило запрос",
  TimerFired: "Истёк срок ожидания",
  SignalReceived: "Получен сигнал",
  Withdrawn: "Заявление отозвано",
  Rated: "Заявитель оценил услугу",
  ComplaintFiled: "Подана жалоба",
  ServiceTaskCompleted: "Выполнен автоматический шаг",
  ServiceTaskFailed: "Сбой автоматического шага",
  IncidentRetried: "Сбой отправлен на повтор",
  JobLocked: "Шаг взят внешним исполнителем",
  JobErrorThrown: "Исполнитель сообщил об ошибке",
};
const STATUS = { OPEN: "открыто", COMPLETED: "завершено", WITHDRAWN: "отозвано" };
const CASE = `number status stage outcome openedAt closedAt deadline nextAction channel
  stages { stage since }
  service { title termDays documents }
  office { name timezone }
  tasks { taskId name state holder dueDay }
  history { version kind at actor }
  diagram { xml passed active }`;

async function start() {
  navigation();
  const me = await signedIn();
  if (!me) return;
  const number = param("number");
  const { case: found } = await gql(`query Card($number: String!) { case(number: $number) { ${CASE} } }`, { number });
  if (!found) {
    say(`Дело ${number} не найдено.`, "error");
    return;
  }
  document.getElementById("heading").textContent = `Дело ${found.number}`;
  show(found);
  await draw(found.diagram);
}

function show(found) {
  const zone = found.office ? found.office.timezone : undefined;
  const term = found.service ? `${found.service.termDays} раб. дн. по регламенту` : "";
  const facts = [
    ["Услуга", found.service ? found.service.title : "—"],
    ["Офис", found.office ? found.office.name : "—"],
    ["Состояние", `${STATUS[found.status] || found.status}${found.outcome ? ` (${found.outcome})` : ""}`],
    ["Открыто", moment(found.openedAt, zone)],
    ["Срок", `до ${day(found.deadline)}${term ? ` (${term})` : ""}`],
    ["Заявителю", found.nextAction],
  ];
  document.getElementById("about").replaceChildren(...facts.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
  const last = found.stages.length - 1;
  document.getElementById("stages").replaceChildren(
    ...found.stages.map((s, i) =>
      h("li", { class: i < last || found.status !== "OPEN" ? "done" : "current", "aria-current": i === last && found.status === "OPEN" ? "step" : null }, `${s.stage} — ${moment(s.since, zone)}`),
    ),
  );
  const documents = found.service ? found.service.documents : [];
  document.getElementById("documents").replaceChildren(...(documents.length ? documents.map((d) => h("li", {}, d)) : [h("li", { class: "muted" }, "не требуются")]));
  document.getElementById("tasks").replaceChildren(
    ...(found.tasks.length
      ? found.tasks.map((t) =>
          h("li", {}, h("a", { href: `/ui/operator/task.html?case=${encodeURIComponent(found.number)}&task=${encodeURIComponent(t.taskId)}` }, t.name), ` — ${stateName(t.state)}${t.holder ? `, ${t.holder}` : ""}`),
        )
      : [h("li", { class: "muted" }, "нет")]),
  );
  document.getElementById("history").replaceChildren(
    ...found.history.map((e) => h("tr", {}, h("td", {}, e.version), h("td", {}, moment(e.at, zone)), h("td", {}, EVENTS[e.kind] || e.kind), h("td", {}, e.actor))),
  );
}

/** The model drawn from its own XML; markers for the elements passed and active (ids of a
 * called process's elements are not on this drawing and are skipped). */
async function draw(diagram) {
  const viewer = new BpmnJS({ container: "#diagram" });
  try {
    await viewer.importXML(diagram.xml);
  } catch (error) {
    say(`Схему процесса не удалось построить: ${error.message}`, "error");
    return;
  }
  const canvas = viewer.get("canvas");
  const elements = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport");
  for (const [ids, marker] of [[diagram.passed, "okno-passed"], [diagram.active, "okno-active"]]) {
    ids.filter((id) => elements.get(id)).forEach((id) => canvas.addMarker(id, marker));
  }
}

start().catch((error) => say(error.message, "error"));
