// The hall's board: /ui/board/?office=LPK shows the latest calls to windows (ticket →
// window) and how many wait, live from the queueBoard subscription. A hall's screen has no
// one to sign in, and the board is what anyone in the hall sees: the API serves it without
// a token (api/graphql/reception.py). okno.js reconnects a dropped socket, so a board left
// on all day stays live.

import { gql, h, say, subscribe } from "/ui/okno.js";

const BOARD = `subscription Board($officeId: String!) {
  queueBoard(officeId: $officeId) { officeId waiting called { number window } }
}`;
const OFFICES = `{ offices { code name district windows timezone } }`;

const officeId = new URLSearchParams(location.search).get("office");
const rows = document.querySelector("#calls tbody");
let shown = null; // "number/window" of the calls on the board; null before the first message

function draw(board) {
  const key = (call) => `${call.number}/${call.window}`;
  const fresh = shown ? board.called.filter((call) => !shown.has(key(call))) : [];
  rows.replaceChildren(
    ...board.called.map((call) =>
      h("tr", { class: fresh.includes(call) ? "new" : null }, h("td", {}, call.number), h("td", {}, String(call.window))),
    ),
  );
  document.getElementById("no-calls").hidden = board.called.length > 0;
  document.getElementById("waiting").textContent = String(board.waiting);
  if (fresh.length) {
    // Read out the newest call for whoever cannot see the screen.
    document.getElementById("announce").textContent = `Талон ${fresh[0].number}, окно ${fresh[0].window}`;
  }
  shown = new Set(board.called.map(key));
  say("", "info");
}

function tick(timeZone) {
  const clock = document.getElementById("clock");
  const show = () => {
    clock.textContent = new Intl.DateTimeFormat("ru-RU", { timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date());
  };
  show();
  setInterval(show, 10_000);
}

async function start() {
  let offices = [];
  try {
    offices = (await gql(OFFICES)).offices.filter((o) => o.windows > 0);
  } catch (error) {
    say("Нет связи с сервером. Табло подключится, когда связь появится.", "error");
  }
  const office = offices.find((o) => o.code === officeId);
  if (!office) {
    choose(offices);
    return;
  }
  document.getElementById("office-name").textContent = office.name;
  document.title = `Очередь: ${office.name}`;
  tick(office.timezone);
  document.getElementById("board").hidden = false;
  subscribe(BOARD, { officeId: office.code }, (data) => draw(data.queueBoard), () => {
    say("Табло не получает обновления. Сообщите администратору зала.", "error");
  });
}

function choose(offices) {
  const form = document.getElementById("choose");
  const select = document.getElementById("office");
  select.replaceChildren(...offices.map((o) => h("option", { value: o.code }, `${o.name} (${o.district})`)));
  form.hidden = false;
  if (officeId) say(`Отделения «${officeId}» нет. Выберите отделение.`, "error");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.search = `?office=${encodeURIComponent(select.value)}`;
  });
}

document.getElementById("full-screen").addEventListener("click", () => {
  document.documentElement.requestFullscreen?.().catch(() => say("Браузер не разрешил полноэкранный режим.", "error"));
});
start();
