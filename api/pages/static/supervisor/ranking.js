// The office ranking for a period, with the formula that scored it: the weights, the prior
// and the waiting caps come from the API (rankingFormula), so what the page explains is
// what the server computed.
import { gql, h, say } from "/ui/okno.js";
import { officeToday } from "./staff.js";

const RANKING = `query($since: Date!, $until: Date!) {
  rankingFormula { onTimeWeight ratingWeight complaintsWeight waitingWeight priorWeight
    complaintRateFloor waitCapMinutes bookedWaitCapMinutes }
  officeRanking(since: $since, until: $until) {
    rank office name score onTimeShare rating ratings complaints visits waitingShare }
}`;
const number = new Intl.NumberFormat("ru-RU", { maximumFractionDigits: 2 });
const share = (value) => (value === null || value === undefined ? "—" : `${number.format(100 * value)} %`);

function formula(f) {
  const n = (value) => number.format(value);
  return h("div", { class: "card formula", id: "ranking-formula" },
    h("h3", {}, "Как считается балл"),
    h("p", { class: "formula-line" },
      `Балл = 100 × (${n(f.onTimeWeight)} × В срок + ${n(f.ratingWeight)} × (Оценка − 1) / 4 + `
      + `${n(f.complaintsWeight)} × max(0; 1 − Жалобы на дело / ${n(f.complaintRateFloor)}) + ${n(f.waitingWeight)} × Ожидание)`),
    h("ul", {},
      h("li", {}, "В срок — доля дел, закрытых за период не позже нормативного срока."),
      h("li", {}, "Оценка — среднее по четырём критериям оценок заявителей за период (от 1 до 5)."),
      h("li", {}, `Жалобы на дело — жалобы за период на дело, открытое в нём; от ${n(100 * f.complaintRateFloor)} % эта часть равна 0.`),
      h("li", {}, `Ожидание — доля посетителей, вызванных к окну за ${f.waitCapMinutes} мин `
        + `(записавшихся — за ${f.bookedWaitCapMinutes} мин от назначенного времени).`),
      h("li", {}, `«В срок», «Оценка» и «Ожидание» сглажены к среднему по региону с весом ${f.priorWeight}: `
        + `(итог офиса + ${f.priorWeight} × среднее по региону) / (число у офиса + ${f.priorWeight}), `
        + "чтобы одна удачная оценка не выводила малый офис в лидеры.")));
}

function table(rows, office) {
  return h("div", { class: "table-wrap" }, h("table", { id: "ranking-table" },
    h("caption", {}, "Офисы по баллу; ваш офис выделен"),
    h("thead", {}, h("tr", {}, ["Место", "Офис", "Балл", "В срок", "Оценка (число)", "Жалобы", "Посетители", "Ожидание в норме"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-office": r.office, class: r.office === office.code ? "own" : "",
      "aria-current": r.office === office.code ? "true" : null },
      h("td", {}, String(r.rank)),
      h("th", { scope: "row" }, `${r.name} (${r.office})`),
      h("td", {}, number.format(r.score)),
      h("td", {}, share(r.onTimeShare)),
      h("td", {}, r.rating === null ? `— (${r.ratings})` : `${number.format(r.rating)} (${r.ratings})`),
      h("td", {}, String(r.complaints)),
      h("td", {}, String(r.visits)),
      h("td", {}, share(r.waitingShare)))))));
}

export async function show(place, office) {
  const today = officeToday(office.timezone);
  const since = h("input", { id: "ranking-since", type: "date", value: `${today.slice(0, 8)}01`, required: true });
  const until = h("input", { id: "ranking-until", type: "date", value: today, required: true });
  const results = h("div", { id: "ranking-results" });
  const load = async () => {
    const data = await gql(RANKING, { since: since.value, until: until.value });
    results.replaceChildren(formula(data.rankingFormula), table(data.officeRanking, office));
  };
  const form = h("form", { class: "inline" },
    h("label", { for: "ranking-since" }, "С"), since,
    h("label", { for: "ranking-until" }, "По"), until,
    h("button", { type: "submit" }, "Показать"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!since.value || !until.value || since.value > until.value) {
      say("Укажите период: начало не позже конца.", "error");
      return;
    }
    say("");
    load().catch((failure) => say(failure.message, "error"));
  });
  place.replaceChildren(form, results);
  await load();
}
