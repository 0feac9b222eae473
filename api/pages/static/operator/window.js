// At the window: call the next visitor from the office's queue to this window, then open
// a case for them (openCase with the ticket ends the visit) or end the visit without one.

import { gql, h, moment, say } from "../okno.js";
import { command, navigation, signedIn } from "./session.js";

const WINDOW_KEY = "okno.window"; // the operator's window number, kept for this browser
const TICKET = "id number serviceCode category arrivedAt state window calledAt";
const CATEGORY = { general: "в порядке очереди", priority: "приоритетная", booked: "по записи" };

let me = null;
let ticket = null;
let services = [];

async function start() {
  navigation();
  me = await signedIn();
  if (!me) return;
  const input = document.getElementById("window-number");
  input.value = localStorage.getItem(WINDOW_KEY) || "";
  ({ services } = await gql("query Services { services { code title } }"));
  document.getElementById("service").replaceChildren(...services.map((s) => h("option", { value: s.code }, s.title)));
  document.getElementById("call").addEventListener("submit", call);
  document.getElementById("open-case").addEventListener("submit", openCase);
  document.getElementById("end-visit").addEventListener("submit", endVisit);
  if (input.value) await resume(Number(input.value));
}

/** After a reload: the visitor this window called and has not finished with. */
async function resume(window) {
  const { queue } = await gql(`query Serving($office: String!) { queue(officeId: $office) { serving { ${TICKET} } } }`, { office: me.office });
  const current = queue.serving.find((t) => t.window === window && t.state === "called");
  if (current) show(current);
}

async function call(event) {
  event.preventDefault();
  const window = Number(document.getElementById("window-number").value);
  localStorage.setItem(WINDOW_KEY, String(window));
  try {
    const result = await command("callNextTicket", "CallNextTicketInput", `... on CallNextPayload { ticket { ${TICKET} } }`, { officeId: me.office, window });
    if (!result.ticket) {
      say("Очередь пуста: никто не ждёт.", "info");
      return;
    }
    show(result.ticket);
    say(`Приглашён талон ${result.ticket.number} к окну ${window}.`, "ok");
  } catch (error) {
    say(error.message, "error");
  }
}

function show(called) {
  ticket = called;
  const service = services.find((s) => s.code === called.serviceCode);
  document.getElementById("visit").hidden = false;
  document.getElementById("opened").hidden = true;
  document.getElementById("ticket-number").textContent = called.number;
  document.getElementById("ticket-about").textContent =
    `${service ? service.title : called.serviceCode || "услуга не выбрана"} · ${CATEGORY[called.category] || called.category} · пришёл ${moment(called.arrivedAt)}`;
  if (service) document.getElementById("service").value = service.code;
  document.getElementById("open-case").reset();
  if (service) document.getElementById("service").value = service.code;
  document.getElementById("full-name").focus();
}

async function openCase(event) {
  event.preventDefault();
  const fields = new FormData(event.target);
  const applicant = { fullName: fields.get("fullName") };
  for (const name of ["document", "phone"]) if (fields.get(name)) applicant[name] = fields.get(name);
  const problem = document.getElementById("open-case-error");
  problem.hidden = true;
  try {
    const { case: opened, pin } = await command("openCase", "OpenCaseInput", "... on OpenCasePayload { case { number } pin }", {
      serviceCode: fields.get("service"),
      officeId: me.office,
      channel: "window",
      ticketId: ticket.id,
      applicant,
    });
    document.getElementById("visit").hidden = true;
    document.getElementById("opened").hidden = false;
    document.getElementById("opened-about").replaceChildren(
      "Дело ",
      h("a", { href: `/ui/operator/case.html?number=${encodeURIComponent(opened.number)}` }, opened.number),
      ` открыто по талону ${ticket.number}. PIN для заявителя: `,
      h("strong", {}, pin),
    );
    say(`Дело ${opened.number} открыто, визит завершён.`, "ok");
    ticket = null;
  } catch (error) {
    problem.textContent = [error.message, ...error.fields.map((f) => `${f.field}: ${f.message}`)].join(" ");
    problem.hidden = false;
    say("Дело не открыто.", "error");
  }
}

async function endVisit(event) {
  event.preventDefault();
  try {
    await command("endVisit", "EndVisitInput", `... on TicketPayload { ticket { ${TICKET} } }`, {
      ticketId: ticket.id,
      outcome: new FormData(event.target).get("outcome"),
    });
    say(`Визит по талону ${ticket.number} завершён.`, "ok");
    document.getElementById("visit").hidden = true;
    ticket = null;
  } catch (error) {
    say(error.message, "error");
  }
}

start().catch((error) => say(error.message, "error"));
