// The supervisor's console: one page, a view per part of the office's day (the hash names
// it). Each view module renders into its section and may return a function that stops
// what it keeps open (subscriptions) when another view is chosen.
import { gql, h, say, signOutLink, token } from "/ui/okno.js";
import { claims } from "./staff.js";
import * as dashboard from "./dashboard.js";
import * as deadlines from "./deadlines.js";
import * as incidents from "./incidents.js";
import * as reassign from "./reassign.js";
import * as parked from "./parked.js";
import * as ranking from "./ranking.js";

const VIEWS = { dashboard, deadlines, incidents, tasks: reassign, parked, ranking };
const OFFICE = `query($o: String!) { office(id: $o) { code name timezone } }`;

let stopCurrent = null;

function signInLink(reason) {
  const link = document.getElementById("sign-in");
  link.href = `/auth/login?next=${encodeURIComponent(location.pathname + location.hash)}`;
  link.hidden = false;
  say(reason, "info");
}

async function choose(office) {
  const name = (location.hash || "#dashboard").slice(1);
  const view = VIEWS[name] ? name : "dashboard";
  if (stopCurrent) stopCurrent();
  stopCurrent = null;
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== view;
  for (const link of document.querySelectorAll("#views a")) {
    if (link.getAttribute("href") === `#${view}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const section = document.getElementById(view);
  delete section.dataset.ready;
  const place = section.querySelector(".view");
  place.replaceChildren(h("p", { class: "muted" }, "Загрузка…"));
  say("");
  try {
    stopCurrent = (await VIEWS[view].show(place, office)) || null;
  } catch (failure) {
    place.replaceChildren();
    say(failure.message, "error");
  }
  section.dataset.ready = "true";
}

async function start() {
  const who = claims(token());
  if (!who || who.expires * 1000 <= Date.now()) {
    signInLink("Войдите, чтобы открыть консоль руководителя.");
    return;
  }
  if (who.role !== "supervisor" || !who.office) {
    signInLink("Консоль — для руководителя офиса. Войдите под учётной записью руководителя.");
    return;
  }
  let office;
  try {
    office = (await gql(OFFICE, { o: who.office })).office;
  } catch (failure) {
    say(failure.message, "error");
    return;
  }
  if (!office) {
    say(`Офис ${who.office} не найден в справочнике.`, "error");
    return;
  }
  document.getElementById("title").textContent = `Консоль руководителя — ${office.name}`;
  document.getElementById("who").replaceChildren(`${who.subject} · `, signOutLink());
  document.getElementById("views").hidden = false;
  window.addEventListener("hashchange", () => {
    choose(office).then(() => {
      // Keyboard and screen reader users land on the view they chose (unless the view
      // already put them on its first field).
      const section = document.querySelector("main > section:not([hidden])");
      if (section && !section.contains(document.activeElement)) section.querySelector("h2").focus();
    });
  });
  await choose(office);
}

for (const heading of document.querySelectorAll("main > section h2")) heading.tabIndex = -1;
start();
