// A booking by its code and PIN: look it up, move it to another free time (it gets a new
// code and PIN) or cancel it. No sign-in: without a token the API lets the PIN in
// (api/citizens.py), counting wrong ones as it counts them for `track`.

import { gql, h, say } from "/ui/okno.js";
import { ERROR_FIELDS, clearErrors, explain, payload, showAt, showFieldErrors, when } from "/ui/citizen/forms.js";
import { chosenSlot, showSlots } from "/ui/citizen/slots.js";

const APPOINTMENT = "code officeId window serviceCode start end status";
const FIND = `query Find($code: String!, $pin: String!) {
  appointment(code: $code, pin: $pin) { ${APPOINTMENT} }
  services { code title }
  offices { code name timezone }
}`;
const MOVE = `mutation Move($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) { __typename ... on AppointmentPayload { pin appointment { ${APPOINTMENT} } } ${ERROR_FIELDS} }
}`;
const CANCEL = `mutation Cancel($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { __typename ... on AppointmentPayload { appointment { ${APPOINTMENT} } } ${ERROR_FIELDS} }
}`;
const STATUS = { booked: "Записан", arrived: "Талон получен", cancelled: "Отменена" };

const findForm = document.getElementById("find-form");
const section = document.getElementById("booking");
const moveForm = document.getElementById("move-form");
const cancelForm = document.getElementById("cancel-form");
const slotsBox = document.getElementById("slots");
let current = null; // {appointment, pin, service, office}

function show(appointment, pin, note) {
  current = { ...current, appointment, pin };
  const { service, office } = current;
  document.getElementById("booking-facts").replaceChildren(
    h("dt", {}, "Код записи"), h("dd", { id: "booking-code", class: "code" }, appointment.code),
    h("dt", {}, "PIN-код"), h("dd", { id: "booking-pin" }, pin),
    h("dt", {}, "Услуга"), h("dd", {}, service ? service.title : appointment.serviceCode),
    h("dt", {}, "Отделение"), h("dd", {}, `${office ? office.name : appointment.officeId}, окно ${appointment.window}`),
    h("dt", {}, "Время"), h("dd", { id: "booking-time" }, when(appointment.start, office ? office.timezone : undefined)),
    h("dt", {}, "Состояние"), h("dd", { id: "booking-status" }, STATUS[appointment.status] || appointment.status),
  );
  const open = appointment.status === "booked";
  document.getElementById("booking-actions").hidden = !open;
  moveForm.hidden = true;
  cancelForm.hidden = true;
  section.hidden = false;
  document.getElementById("booking-title").focus();
  if (note) say(note, "ok");
}

function failed(error, form) {
  const placed = showFieldErrors(error.fields, { code: "code", pin: "pin", "input.pin": "pin", "input.slotId": "slots" });
  if (!placed && ["wrong_pin", "too_many_attempts"].includes(error.code)) {
    showAt(findForm.pin, explain(error));
    findForm.pin.focus();
  } else if (!placed && form === moveForm) {
    showAt(slotsBox, explain(error));
  }
  say(explain(error), "error");
}

findForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(findForm);
  const code = findForm.code.value.trim();
  const pin = findForm.pin.value.trim();
  let missing = false;
  if (!code) { showAt(findForm.code, "Укажите код записи."); missing = true; }
  if (!/^\d{6}$/.test(pin)) { showAt(findForm.pin, "PIN-код — 6 цифр."); missing = true; }
  if (missing) {
    findForm.querySelector("[aria-invalid]").focus();
    return;
  }
  section.hidden = true;
  say("Ищем запись…", "info");
  try {
    const data = await gql(FIND, { code, pin });
    if (!data.appointment) {
      showAt(findForm.code, "Записи с таким кодом нет.");
      say("Записи с таким кодом нет.", "error");
      return;
    }
    current = {
      service: data.services.find((s) => s.code === data.appointment.serviceCode),
      office: data.offices.find((o) => o.code === data.appointment.officeId),
    };
    show(data.appointment, pin, "Запись найдена.");
  } catch (error) {
    failed(error, findForm);
  }
});

document.getElementById("show-move").addEventListener("click", async () => {
  cancelForm.hidden = true;
  clearErrors(moveForm);
  say("Ищем свободное время…", "info");
  try {
    const { appointment, office } = current;
    const count = await showSlots(slotsBox, { officeId: appointment.officeId, serviceCode: appointment.serviceCode, timeZone: office?.timezone });
    say(count ? "Выберите новое время." : "Свободного времени нет.", count ? "info" : "error");
    moveForm.hidden = false;
    document.getElementById("move-title").focus();
  } catch (error) {
    failed(error, moveForm);
  }
});

document.getElementById("show-cancel").addEventListener("click", () => {
  moveForm.hidden = true;
  cancelForm.hidden = false;
  document.getElementById("cancel-title").focus();
});

moveForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(moveForm);
  const slot = chosenSlot(slotsBox);
  if (!slot) {
    showAt(slotsBox, "Выберите новое время.");
    (slotsBox.querySelector("input") || slotsBox).focus();
    return;
  }
  say("Переносим…", "info");
  try {
    const input = { code: current.appointment.code, slotId: slot.id, pin: current.pin };
    const result = payload((await gql(MOVE, { input })).rescheduleAppointment, "AppointmentPayload");
    findForm.code.value = result.appointment.code;
    findForm.pin.value = result.pin;
    show(result.appointment, result.pin, `Запись перенесена. Новый код ${result.appointment.code}, новый PIN-код ${result.pin}: сохраните их.`);
  } catch (error) {
    failed(error, moveForm);
  }
});

cancelForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  say("Отменяем…", "info");
  try {
    const input = { code: current.appointment.code, reason: cancelForm.reason.value, pin: current.pin };
    const result = payload((await gql(CANCEL, { input })).cancelAppointment, "AppointmentPayload");
    show(result.appointment, current.pin, "Запись отменена. Время освободилось для других.");
  } catch (error) {
    failed(error, cancelForm);
  }
});

const given = new URLSearchParams(location.search).get("code");
if (given) findForm.code.value = given;
