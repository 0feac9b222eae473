// Parked cases: cases of the office a read model could not fold. The case itself goes on
// (its events are stored); the lists built by that model lag for it until the cause is
// fixed and `okno projections retry` runs.
import { gql, h, moment } from "/ui/okno.js";

const PARKED = `{ parkedCases { model caseNumber position error parkedAt } }`;
const MODELS = {
  cases: "дела и задачи", outbox: "исходящие сообщения", jobs: "задания", timers: "таймеры",
  signals: "сигналы", appointments: "записи на приём", queue: "очередь", notifications: "уведомления",
};

export async function show(place, office) {
  const { parkedCases: parked } = await gql(PARKED);
  place.replaceChildren(
    h("p", {}, "Витрина (read model) не смогла обработать событие дела и отложила дело; остальные дела идут дальше. "
      + "После исправления причины администратор запускает «okno projections retry»."),
    parked.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "parked-table" },
        h("caption", {}, `Отложено дел: ${parked.length}`),
        h("thead", {}, h("tr", {}, ["Дело", "Витрина", "Позиция в журнале", "С", "Причина"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, parked.map((p) => h("tr", { "data-case": p.caseNumber || "" },
          h("th", { scope: "row" }, p.caseNumber || "—"),
          h("td", {}, MODELS[p.model] ? `${p.model} (${MODELS[p.model]})` : p.model),
          h("td", {}, String(p.position)),
          h("td", {}, moment(p.parkedAt, office.timezone)),
          h("td", { class: "error-text" }, p.error))))))
      : h("p", { id: "no-parked" }, "Отложенных дел нет."),
  );
}
