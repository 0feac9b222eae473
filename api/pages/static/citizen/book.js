// Book a window: service → office → free time → name and contact → the code and PIN.
// Each step is its own form, so Enter moves on from any field; a step done stays on the
// page, and changing it hides the steps after it. No sign-in: the API takes a booking
// without a token on the portal channel (api/citizens.py).

import { gql, h, say } from "/ui/okno.js";
import { ERROR_FIELDS, clearErrors, explain, payload, showAt, showFieldErrors, when } from "/ui/citizen/forms.js";
import { chosenSlot, showSlots } from "/ui/citizen/slots.js";

const CATALOG = `{ services { code title fee termDays } offices { code name kind district windows timezone } }`;
const BOOK = `mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) {
    __typename
    ... on AppointmentPayload { pin appointment { code officeId window serviceCode start end status } }
    ${ERROR_FIELDS}
  }
}`;
// Where the API names a field of the booking's input, and the element that shows it.
const FIELDS = {
  "input.contact.fullName": "full-name",
  "input.contact.phone": "phone",
  "input.contact.email": "email",
  "input.slotId": "slots",
  "input.serviceCode": "service",
  "input.officeId": "office",
};

const steps = ["step-service", "step-office", "step-slot", "step-contact", "booked"].map((id) => document.getElementById(id));
const [serviceForm, officeForm, slotForm, contactForm, booked] = steps;
const search = document.getElementById("service-search");
const serviceList = document.getElementById("service");
const officeList = document.getElementById("office");
const slotsBox = document.getElementById("slots");
let services = [];
let offices = [];
const chosen = { service: null, office: null, slot: null };

/** Show the steps up to ``last`` (an index into steps), hide the rest; ``focus``: move
 * the focus to its heading, so a screen reader reads the new step. */
function reach(last, focus = true) {
  steps.forEach((step, index) => { step.hidden = index > last; });
  const heading = steps[last].querySelector("h3");
  if (heading && focus) heading.focus();
}

function listServices(filter) {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = services.filter((s) => words.every((w) => s.title.toLowerCase().includes(w)));
  serviceList.replaceChildren(
    ...matching.map((s) => h("option", { value: s.code }, s.fee ? `${s.title} (госпошлина ${s.fee} ₽)` : s.title)),
  );
  if (matching.length) serviceList.selectedIndex = 0;
  return matching.length;
}

function listOffices() {
  const receiving = offices.filter((o) => o.windows > 0);
  const districts = [...new Set(receiving.map((o) => o.district))].sort((a, b) => a.localeCompare(b, "ru"));
  officeList.replaceChildren(
    h("option", { value: "" }, "— выберите отделение —"),
    ...districts.map((district) =>
      h("optgroup", { label: district }, receiving.filter((o) => o.district === district).map((o) => h("option", { value: o.code }, o.name))),
    ),
  );
}

search.addEventListener("input", () => {
  const found = listServices(search.value);
  say(found ? `Найдено услуг: ${found}` : "Такой услуги не нашлось. Попробуйте другое слово.", found ? "info" : "error");
});

serviceForm.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(serviceForm);
  const code = serviceList.value;
  if (!code) {
    showAt(serviceList, "Выберите услугу из списка.");
    serviceList.focus();
    return;
  }
  chosen.service = services.find((s) => s.code === code);
  say(`Услуга: ${chosen.service.title}. Выберите отделение.`, "info");
  reach(1, false);
  officeList.focus();
});

officeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(officeForm);
  const code = officeList.value;
  if (!code) {
    showAt(officeList, "Выберите отделение.");
    officeList.focus();
    return;
  }
  chosen.office = offices.find((o) => o.code === code);
  say("Ищем свободное время…", "info");
  try {
    const count = await showSlots(slotsBox, { officeId: code, serviceCode: chosen.service.code, timeZone: chosen.office.timezone });
    say(count ? `Свободных вариантов: ${count}. Выберите время.` : "Свободного времени нет.", count ? "info" : "error");
    reach(2);
  } catch (error) {
    say(explain(error), "error");
  }
});

slotForm.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(slotForm);
  chosen.slot = chosenSlot(slotsBox);
  if (!chosen.slot) {
    showAt(slotsBox, "Выберите время приёма.");
    (slotsBox.querySelector("input") || slotsBox).focus();
    return;
  }
  document.getElementById("chosen").textContent =
    `${chosen.service.title}; ${chosen.office.name}; ${when(chosen.slot.start, chosen.office.timezone)}.`;
  reach(3, false);
  contactForm.fullName.focus();
});

contactForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(contactForm);
  clearErrors(slotForm);
  const contact = {
    fullName: contactForm.fullName.value.trim(),
    phone: contactForm.phone.value.trim() || null,
    email: contactForm.email.value.trim() || null,
  };
  const input = { officeId: chosen.office.code, serviceCode: chosen.service.code, slotId: chosen.slot.id, channel: "portal", contact };
  say("Записываем…", "info");
  try {
    const result = payload((await gql(BOOK, { input })).bookAppointment, "AppointmentPayload");
    showBooked(result.appointment, result.pin);
  } catch (error) {
    const placed = showFieldErrors(error.fields, FIELDS, { "input.contact.phone": "Укажите телефон или почту." });
    if (["slot_taken", "slot_unavailable"].includes(error.code)) {
      await showSlots(slotsBox, { officeId: chosen.office.code, serviceCode: chosen.service.code, timeZone: chosen.office.timezone });
      showAt(slotsBox, explain(error));
      reach(2);
    }
    say(placed ? "Проверьте поля, отмеченные ниже." : explain(error), "error");
  }
});

function showBooked(appointment, pin) {
  booked.replaceChildren(
    h("h3", { id: "booked-title", tabindex: "-1" }, "Вы записаны"),
    h("div", { class: "receipt" },
      h("p", {}, "Код записи: ", h("span", { id: "booking-code", class: "code" }, appointment.code)),
      h("p", {}, "PIN-код: ", h("span", { id: "booking-pin", class: "code" }, pin)),
      h("p", {}, `${chosen.service.title}`),
      h("p", {}, `${chosen.office.name}, окно ${appointment.window}`),
      h("p", { id: "booking-time" }, when(appointment.start, chosen.office.timezone)),
    ),
    h("p", {}, "Сохраните код и PIN-код: с ними запись можно перенести или отменить, а в отделении по коду выдадут талон на время записи."),
    h("p", { class: "actions" },
      h("a", { href: `/ui/citizen/booking.html?code=${encodeURIComponent(appointment.code)}` }, "Перенести или отменить запись"),
      h("a", { href: "/ui/citizen/book.html" }, "Записаться ещё раз"),
    ),
  );
  say(`Вы записаны. Код записи ${appointment.code}.`, "ok");
  reach(4);
}

async function start() {
  try {
    const data = await gql(CATALOG);
    services = [...data.services].sort((a, b) => a.title.localeCompare(b.title, "ru"));
    offices = data.offices;
    listServices("");
    listOffices();
  } catch (error) {
    say(explain(error), "error");
  }
}

// Changing an earlier choice hides what was chosen after it.
serviceList.addEventListener("change", () => { if (!officeForm.hidden) reach(0, false); });
officeList.addEventListener("change", () => { if (!slotForm.hidden) reach(1, false); });
start();
