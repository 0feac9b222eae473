// One way to draw every task form: a Camunda Form is drawn from its own form-js document,
// and a form described otherwise (camunda:formData fields, a JSON Schema, both published
// as Task.form.fields) is first turned into a form-js document here, so the same viewer
// (@bpmn-io/form-js) draws them all alike. Pure functions: tested in the browser.

const JSON_VALUE = "okno-json"; // a component whose text is sent as the JSON value it spells

/** The form-js document to draw a task's form (`Task.form`) with. */
export function formJsSchema(form) {
  if (form.formJs) return form.formJs;
  const root = { type: "default", id: "okno-task-form", schemaVersion: 16, components: [] };
  const groups = new Map(); // a nested field's path ("address") → its form-js group
  form.fields.forEach((field, index) => {
    const parts = field.id.split(".");
    const key = parts.pop();
    let components = root.components;
    let path = "";
    for (const part of parts) {
      path = path ? `${path}.${part}` : part;
      if (!groups.has(path)) {
        const group = { type: "group", id: `Group_${groups.size + 1}`, label: part, path: part, showOutline: true, components: [] };
        components.push(group);
        groups.set(path, group);
      }
      components = groups.get(path).components;
    }
    components.push(component(field, key, index));
  });
  return root;
}

/** One form-js component for one field; `key` is its last name (a group holds the rest). */
export function component(field, key, index) {
  const id = `Field_${index + 1}`;
  const limits = field.constraints || {};
  const validate = {};
  if (field.required) validate.required = true;
  const base = { id, key, label: field.label || key };
  if (field.default !== null && field.default !== undefined) base.defaultValue = field.default;
  switch (field.type) {
    case "string":
      for (const name of ["minLength", "maxLength", "pattern", "validationType"]) {
        if (limits[name] !== undefined) validate[name] = limits[name];
      }
      return { ...base, type: "textfield", validate };
    case "long":
    case "number":
      for (const name of ["min", "max"]) if (limits[name] !== undefined) validate[name] = limits[name];
      return { ...base, type: "number", ...(field.type === "long" ? { decimalDigits: 0 } : {}), validate };
    case "boolean":
      // a checkbox always holds true or false, so "required" asks nothing more of it
      return { ...base, type: "checkbox" };
    case "enum":
      return { ...base, type: "select", values: options(field), validate };
    case "enum_list":
      return { ...base, type: "checklist", values: options(field), validate };
    case "date":
      return { ...base, type: "datetime", subtype: "date", dateLabel: base.label, validate };
    case "time":
      return { ...base, type: "datetime", subtype: "time", timeLabel: base.label, timeSerializingFormat: "no_timezone", timeInterval: 15, use24h: true, validate };
    case "datetime":
      return { ...base, type: "datetime", subtype: "datetime", dateLabel: base.label, timeLabel: "Время", timeSerializingFormat: "utc_normalized", use24h: true, validate };
    default: // list, any: a JSON value typed as text
      return {
        ...base,
        type: "textarea",
        description: "Значение в формате JSON",
        defaultValue: base.defaultValue === undefined ? undefined : JSON.stringify(base.defaultValue),
        properties: { [JSON_VALUE]: "true" },
        validate,
      };
  }
}

function options(field) {
  return (field.enumOptions || []).map((option) => ({ label: option.label, value: option.value }));
}

/** The data to send for a form-js document's submitted values: each JSON-valued text read
 * as JSON (a text that is no JSON is reported at its field), empty values left out so an
 * optional field the operator left blank is absent rather than "" or null. */
export function taskData(schema, values) {
  const problems = [];
  const data = prune(values);
  for (const [path, field] of jsonFields(schema)) {
    const text = read(data, path);
    if (typeof text !== "string") continue;
    try {
      write(data, path, JSON.parse(text));
    } catch (failure) {
      problems.push({ path: path.join("."), field, message: "не является значением JSON" });
    }
  }
  return { data, problems };
}

function* jsonFields(container, prefix = []) {
  for (const item of container.components || []) {
    const here = item.path ? [...prefix, ...item.path.split(".")] : prefix;
    if (item.components) yield* jsonFields(item, here);
    else if (item.key && item.properties && item.properties[JSON_VALUE] === "true") yield [[...here, item.key], item.id];
  }
}

function prune(value) {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === "object") {
    const kept = {};
    for (const [name, inner] of Object.entries(value)) {
      if (inner === null || inner === undefined || inner === "") continue;
      kept[name] = prune(inner);
    }
    return kept;
  }
  return value;
}

function read(data, path) {
  return path.reduce((at, name) => (at && typeof at === "object" ? at[name] : undefined), data);
}

function write(data, path, value) {
  const last = path[path.length - 1];
  const holder = path.slice(0, -1).reduce((at, name) => at[name], data);
  holder[last] = value;
}

/** The form-js field id each path of a ValidationError (`input.data.<path>`) names, given
 * the form's keyed field instances ({id, valuePath}); paths not on the form are left out. */
export function fieldErrors(fields, instances) {
  const byPath = new Map(instances.map((instance) => [instance.valuePath.join("."), instance.id]));
  const errors = {};
  const unplaced = [];
  for (const { field, message } of fields) {
    const path = field.replace(/^input\.data\./, "");
    const id = field.startsWith("input.data.") ? byPath.get(path) : undefined;
    if (id) (errors[id] = errors[id] || []).push(message);
    else unplaced.push(`${path}: ${message}`);
  }
  return { errors, unplaced };
}
