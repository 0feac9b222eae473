// Free times at an office for a service, as radio buttons grouped by day: one Tab stop per
// day, arrows move between times. The booking and the move of a booking both pick here.

import { gql, h } from "/ui/okno.js";

const SLOTS = `query Slots($officeId: String!, $serviceCode: String!, $from: Date!, $to: Date!) {
  slots(officeId: $officeId, serviceCode: $serviceCode, from: $from, to: $to) { id window start end }
}`;
const LOOK_AHEAD_DAYS = 14; // how far ahead to look for free times
const DAYS_SHOWN = 5; // the first days that have any

function isoDay(date) {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}

function dayTitle(iso, timeZone) {
  return new Intl.DateTimeFormat("ru-RU", { timeZone, weekday: "long", day: "numeric", month: "long" }).format(new Date(iso));
}

function clock(iso, timeZone) {
  return new Intl.DateTimeFormat("ru-RU", { timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

/** Fill ``fieldset`` with the free times; resolves to how many times it shows. Several
 * windows free at one time are one choice (the first window's slot). */
export async function showSlots(fieldset, { officeId, serviceCode, timeZone = "Europe/Moscow" }) {
  const today = new Date();
  const until = new Date(today.getTime() + (LOOK_AHEAD_DAYS - 1) * 86_400_000);
  const data = await gql(SLOTS, { officeId, serviceCode, from: isoDay(today), to: isoDay(until) });
  const byDay = new Map();
  for (const slot of data.slots) {
    const key = new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date(slot.start));
    const times = byDay.get(key) || new Map();
    if (!times.has(slot.start)) times.set(slot.start, slot);
    byDay.set(key, times);
  }
  const days = [...byDay.entries()].slice(0, DAYS_SHOWN);
  const legend = fieldset.querySelector("legend");
  let index = 0;
  const groups = days.map(([, times]) => {
    const first = [...times.values()][0];
    return h(
      "fieldset",
      { class: "day" },
      h("legend", {}, dayTitle(first.start, timeZone)),
      h(
        "div",
        { class: "choices" },
        [...times.values()].map((slot) => {
          index += 1;
          const id = `slot-${index}`;
          return h(
            "label",
            { for: id },
            h("input", { type: "radio", name: "slot", id, value: slot.id, "data-start": slot.start }),
            clock(slot.start, timeZone),
          );
        }),
      ),
    );
  });
  fieldset.replaceChildren(legend, ...(groups.length ? groups : [h("p", {}, "Свободного времени на ближайшие две недели нет. Выберите другое отделение.")]));
  return index;
}

/** The chosen slot: {id, start}, or null. */
export function chosenSlot(fieldset) {
  const checked = fieldset.querySelector("input[name=slot]:checked");
  return checked ? { id: checked.value, start: checked.dataset.start } : null;
}
