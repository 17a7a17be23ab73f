// The report form's own behaviour (see pages/report/page.rs): the server
// wrote the whole form; this makes it work. Every word it shows comes from
// the page (its data-texts, in the page's language); what it writes into
// the page is text, never markup, except the category's icon, cloned from
// the server's own grid.
const d = document;
const byId = (id) => d.getElementById(id);
const TEXTS = (() => {
  try {
    return JSON.parse(byId("report-page").dataset.texts) || {};
  } catch (_) {
    return {};
  }
})();
// A text with its {{ name }} placeholders filled in.
const T = (key, vars) => {
  let text = TEXTS[key] || "";
  for (const [name, value] of Object.entries(vars || {})) {
    text = text.split("{{ " + name + " }}").join(String(value));
  }
  return text;
};
const el = (tag, props, children) => {
  const node = d.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children || []) if (child != null) node.append(child);
  return node;
};
const zh = d.documentElement.lang !== "en";
// A node's children replaced (`replaceChildren` is newer than some of the
// phones this page is for).
const fill = (node, ...children) => {
  node.textContent = "";
  for (const child of children) if (child != null) node.append(child);
};

const page = byId("report-page");
const form = byId("report-form");
// The server's limits, from the page.
const MIN_DESCRIPTION = Number(byId("description").dataset.min) || 5;
const MAX_DESCRIPTION = Number(byId("description").dataset.max) || 4000;
// Banan District's centre (the district government, 鱼洞), for the map
// before a position is known.
const BANAN_CENTRE = [29.3817, 106.5406];

const state = {
  category: null,
  photos: [],
  nextPhoto: 1,
  source: "typed",
  accuracy: null,
  locating: "idle",
  mapOpened: null,
  tilesFailed: false,
  corroborates: null,
  nearby: [],
  nearbyQuery: null,
  problems: [],
  phase: "editing",
  key: randomKey(),
};

// ------------------------------------------------------------ problems

// Where each problem is said, and what to scroll to for it.
const problemHost = (slot) => {
  if (slot.startsWith("answers.")) {
    const field = visibleQuestion(slot.slice("answers.".length));
    if (field) return field;
  }
  const inField = { description: "description", occurred_at: "occurred_at", name: "name", phone: "phone" }[slot];
  if (inField) return byId(inField).closest(".field");
  const step = {
    category: "step-category",
    photo: "step-photos",
    lat: "step-location",
    answers: "step-details",
    corroborates: "step-nearby",
  }[slot];
  return byId(step || "submit-area");
};
const anchorOf = (slot) => {
  if (["description", "occurred_at", "name", "phone"].includes(slot)) return byId(slot);
  if (slot.startsWith("answers.")) {
    const field = visibleQuestion(slot.slice("answers.".length));
    return (field && field.querySelector("input, textarea, select")) || byId("step-details");
  }
  return problemHost(slot);
};

let shownProblems = "";
const showProblems = () => {
  byId("step-nearby").hidden = !nearbyShown();
  // Redrawn only when they changed: each alert is read out again when it
  // is put in the page.
  const now = JSON.stringify(state.problems);
  if (now === shownProblems) return;
  shownProblems = now;
  for (const p of form.querySelectorAll(".field-error[data-slot]")) p.remove();
  const said = new Set();
  for (const [slot, text] of state.problems) {
    // One place, one problem (the server may name `lat` and `lon` both).
    if (said.has(slot)) continue;
    said.add(slot);
    const host = problemHost(slot);
    const p = el("p", { className: "field-error", id: "err-" + slot.replace(/\./g, "-"), textContent: text });
    p.setAttribute("role", "alert");
    p.dataset.slot = slot;
    if (host.id === "submit-area") host.prepend(p);
    else host.append(p);
  }
};
const setProblems = (list) => {
  state.problems = list;
  showProblems();
};
const clearProblem = (slot) => {
  if (state.problems.some(([s]) => s === slot)) setProblems(state.problems.filter(([s]) => s !== slot));
};
const scrollTo = (target) => {
  if (!target) return;
  target.scrollIntoView({ behavior: "smooth", block: "start" });
  if (target.tabIndex < 0 || target.matches("input, textarea, select")) target.focus({ preventScroll: true });
};

// A location problem is said at the location step, whichever coordinate.
const slotOf = (field) => (["lat", "lon", "accuracy", "coord_system"].includes(field) ? "lat" : field);

// One field's problem, by the server's code for it, never its message.
const fieldProblem = (slot, error) => {
  const code = error && error.code;
  const answer = slot === "answers" || slot.startsWith("answers.");
  switch (slot) {
    case "category":
      return T("err_category");
    case "description":
      return code === "too_long" ? T("err_description_long") : T("err_description_short");
    case "lat":
      return code === "out_of_area" ? T("err_location_outside") : code === "required" ? T("err_location") : T("err_coordinates");
    case "occurred_at":
      return code === "in_future" ? T("err_occurred_future") : code === "too_old" ? T("err_occurred_old") : T("err_occurred_invalid");
    case "name":
      return code === "required" ? T("err_name_missing") : T("err_name_long");
    case "phone":
      return code === "required" ? T("err_phone_missing") : T("err_phone");
    case "corroborates":
      return T("err_corroborates");
    case "photo":
      return code === "too_many" ? T("err_photo_too_many") : T("err_photo_invalid");
  }
  if (answer) return code === "required" ? T("err_answer_required") : T("err_answer_invalid");
  return T("err_server") + " " + ((error && error.message) || "");
};

// A refused report's problems, each in its place (as problems.rs).
const fromApi = (status, error) => {
  error = error || {};
  const fields = error.fields && typeof error.fields === "object" ? Object.entries(error.fields) : [];
  if (fields.length > 0) {
    const known = ["category", "description", "lat", "occurred_at", "name", "phone", "corroborates", "photo", "answers"];
    return fields.map(([field, e]) => {
      const slot = slotOf(field);
      return known.includes(slot) || slot.startsWith("answers.")
        ? [slot, fieldProblem(slot, e)]
        : ["submit", T("err_server") + " " + field + ": " + ((e && e.message) || "")];
    });
  }
  const code = error.code || "";
  if (status === 409) return [["corroborates", T("err_corroborates_closed")]];
  if (status === 413) return [["photo", T("err_photo_too_large")]];
  if (status === 415) return [["photo", T("err_photo_unsupported")]];
  if (status === 429) return [["submit", T("err_rate_limited")]];
  if (status === 422 && ["empty_file", "too_many_pixels", "decode_too_large", "corrupt_image"].includes(code)) {
    return [["photo", T("err_photo_invalid")]];
  }
  return [["submit", T("err_server") + " " + (error.message || status)]];
};

// ------------------------------------------------------------ 1 category

const grid = form.querySelector(".cat-groups");
const chosenSlot = form.querySelector(".chosen-slot");

// The chosen category's questions, or null.
const chosenQuestions = () =>
  state.category && form.querySelector('.questions[data-category="' + CSS.escape(state.category.code) + '"]');
const visibleQuestion = (code) => {
  const group = chosenQuestions();
  return group && group.querySelector('.question[data-code="' + CSS.escape(code) + '"]');
};

const choose = (button) => {
  const code = button.dataset.code;
  const group = button.closest("fieldset");
  const groupName = group ? group.querySelector("legend").textContent : "";
  if (!state.category || state.category.group !== groupName) state.corroborates = null;
  state.category = {
    code,
    group: groupName,
    name: button.querySelector(".cat-name").textContent,
    icon: button.querySelector(".cat-icon"),
    rewardable: !!button.querySelector(".reward-badge"),
  };
  // Each choice starts its questions afresh, as a new form would.
  for (const q of form.querySelectorAll(".questions")) {
    q.hidden = q.dataset.category !== code;
    for (const input of q.querySelectorAll("input, textarea, select")) {
      if (input.type === "checkbox") input.checked = false;
      else input.value = "";
    }
  }
  clearProblem("category");
  setProblems(state.problems.filter(([s]) => !s.startsWith("answers")));
  showCategory();
  scrollTo(byId("step-photos"));
  nearbyChanged();
};

const showCategory = () => {
  const c = state.category;
  grid.hidden = !!c;
  fill(chosenSlot);
  for (const q of form.querySelectorAll(".questions")) q.hidden = !c || q.dataset.category !== c.code;
  if (!c) return;
  const change = el("button", { type: "button", className: "button small", textContent: T("change") });
  change.addEventListener("click", () => {
    if (state.phase !== "editing") return;
    state.category = null;
    showCategory();
    nearbyChanged();
    // The button is gone: the grid it brought back is where to go on.
    const first = grid.querySelector("button.category");
    if (first) first.focus();
  });
  chosenSlot.append(
    el("div", { className: "chosen-category" }, [
      c.icon.cloneNode(true),
      el("span", { className: "chosen-text" }, [
        el("small", { textContent: c.group }),
        el("strong", { textContent: c.name }),
        c.rewardable ? el("span", { className: "reward-badge", textContent: T("rewardable") }) : null,
      ]),
      change,
    ]),
  );
};

if (grid) {
  grid.addEventListener("click", (event) => {
    const button = event.target.closest("button.category");
    if (button && state.phase === "editing") choose(button);
  });
}

// ------------------------------------------------------------ 2 photos

const photoInput = byId("photos");
const photoGrid = form.querySelector(".photo-grid");
const addTile = form.querySelector(".photo-add-tile");
const MAX_PHOTOS = Number(byId("step-photos").dataset.max) || 6;

const sizeLabel = (bytes) =>
  bytes >= 1024 * 1024 ? (bytes / 1024 / 1024).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";

const pinIcon = () => {
  const ns = "http://www.w3.org/2000/svg";
  const svg = d.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({
    viewBox: "0 0 24 24",
    width: "12",
    height: "12",
    "aria-hidden": "true",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2.4",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
  }))
    svg.setAttribute(k, v);
  const path = d.createElementNS(ns, "path");
  path.setAttribute("d", "M12 21s-6-5.5-6-11a6 6 0 0 1 12 0c0 5.5-6 11-6 11z");
  const circle = d.createElementNS(ns, "circle");
  circle.setAttribute("cx", "12");
  circle.setAttribute("cy", "10");
  circle.setAttribute("r", "2");
  svg.append(path, circle);
  return svg;
};

const showPhotos = () => {
  for (const tile of photoGrid.querySelectorAll(".photo-tile")) tile.remove();
  state.photos.forEach((p, i) => {
    const alt = T("photo") + " " + (i + 1);
    const body = !p.ready
      ? el("span", { className: "photo-busy", textContent: T("photo_preparing") })
      : p.decoded
        ? el("img", { src: p.url, alt })
        : el("span", { className: "photo-busy", textContent: alt + " · " + T("photo_no_preview") });
    const remove = el("button", { type: "button", className: "photo-remove", textContent: "×" });
    remove.setAttribute("aria-label", T("remove") + " " + alt);
    remove.disabled = state.phase !== "editing";
    remove.addEventListener("click", () => forgetPhoto(p.id));
    const tile = el("li", { className: "photo-tile" }, [body]);
    tile.dataset.id = String(p.id);
    if (p.ready) {
      const meta = el("span", { className: "photo-meta", textContent: sizeLabel(p.bytes) + " " });
      if (p.gps) {
        const gps = el("span", { className: "photo-gps", title: T("photo_has_location") }, [
          pinIcon(),
          el("span", { className: "visually-hidden", textContent: T("photo_has_location") }),
        ]);
        meta.append(gps);
      }
      tile.append(meta);
    }
    tile.append(remove);
    photoGrid.insertBefore(tile, addTile);
  });
  const full = state.photos.length >= MAX_PHOTOS;
  addTile.hidden = full;
  photoInput.disabled = full || state.phase !== "editing";
};

const forgetPhoto = (id) => {
  const p = state.photos.find((x) => x.id === id);
  if (p && p.url) URL.revokeObjectURL(p.url);
  state.photos = state.photos.filter((x) => x.id !== id);
  showPhotos();
  locationChanged();
};

const photoPosition = () => {
  const p = state.photos.find((x) => x.gps);
  return p ? p.gps : null;
};

let preparing = Promise.resolve();
photoInput.addEventListener("change", () => {
  let files = Array.from(photoInput.files || []);
  // Emptied, so that the same photo can be chosen again after a removal.
  photoInput.value = "";
  const room = Math.max(0, MAX_PHOTOS - state.photos.length);
  if (files.length > room) {
    files = files.slice(0, room);
    setProblems(state.problems.filter(([s]) => s !== "photo").concat([["photo", T("err_photo_too_many")]]));
  } else {
    clearProblem("photo");
  }
  for (const file of files) {
    const p = { id: state.nextPhoto++, ready: false, url: "", decoded: false, gps: null, bytes: 0, blob: null };
    state.photos.push(p);
    // One at a time: decoding six 12-megapixel photos at once can exhaust
    // a cheap phone's memory.
    preparing = preparing.then(async () => {
      if (!state.photos.includes(p)) return;
      const prepared = await preparePhoto(file);
      if (!state.photos.includes(p)) return;
      Object.assign(p, {
        ready: true,
        blob: prepared.blob,
        decoded: prepared.decoded,
        gps: prepared.gps,
        bytes: prepared.blob.size,
        url: URL.createObjectURL(prepared.blob),
      });
      if (state.photos.every((x) => x.ready)) {
        setProblems(state.problems.filter(([s, text]) => !(s === "photo" && text === T("err_photos_busy"))));
      }
      showPhotos();
      locationChanged();
    }).catch(() => {
      // Never left "preparing" (which would hold the report back): a photo
      // that could not be shown goes as the phone has it.
      if (!p.ready) {
        Object.assign(p, { ready: true, blob: file, decoded: false, bytes: file.size, url: "" });
        showPhotos();
      }
    });
  }
  showPhotos();
});

byId("use-camera").addEventListener("change", (event) => {
  if (event.target.checked) photoInput.setAttribute("capture", "environment");
  else photoInput.removeAttribute("capture");
});

// ------------------------------------------------------------ 3 location

const lat = byId("lat");
const lon = byId("lon");
const address = byId("address");
const locStatus = form.querySelector(".loc-status");
const mapNote = form.querySelector(".map-note");
const locateButton = byId("locate");

const coords = () => {
  const a = Number(lat.value.trim());
  const b = Number(lon.value.trim());
  if (lat.value.trim() === "" || lon.value.trim() === "" || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return a >= -90 && a <= 90 && b >= -180 && b <= 180 ? [a, b] : null;
};

const setCoords = (a, b, accuracy, source) => {
  state.source = source;
  state.accuracy = accuracy;
  lat.value = a.toFixed(6);
  lon.value = b.toFixed(6);
  clearProblem("lat");
  locationChanged();
};

const showLocation = () => {
  const errors = {
    denied: T("locate_denied"),
    unavailable: T("locate_unavailable"),
    timeout: T("locate_timeout"),
    unsupported: T("locate_unsupported"),
  };
  let text = "";
  if (state.locating === "busy") text = T("locating");
  else if (errors[state.locating]) text = errors[state.locating];
  else if (coords()) {
    if (state.source === "device" && state.accuracy != null) text = T("located_accuracy", { n: Math.max(1, state.accuracy).toFixed(0) });
    else text = state.source === "map" ? T("located_map") : T("located_typed");
  } else if (photoPosition()) text = T("location_from_photo");
  else if (state.photos.some((x) => x.ready)) text = T("location_photo_maybe");
  locStatus.textContent = text;
  locStatus.hidden = !text;
  locStatus.classList.toggle("warn", !!errors[state.locating]);
  mapNote.textContent = state.mapOpened === false ? T("map_unavailable") : state.tilesFailed ? T("map_tiles_failed") : T("map_hint");
  locateButton.disabled = state.locating === "busy" || state.phase !== "editing";
};

// Keep the pin where the coordinates are (a tap on the map has already
// moved it); else show the photo's position.
const locationChanged = () => {
  showLocation();
  if (state.mapOpened) {
    const at = coords();
    const fromPhoto = photoPosition();
    if (at && state.source !== "map") setPin(at[0], at[1], state.accuracy);
    else if (!at && fromPhoto) setPin(fromPhoto[0], fromPhoto[1], null);
    else if (!at) clearPin();
  }
  nearbyChanged();
};

locateButton.addEventListener("click", async () => {
  state.locating = "busy";
  showLocation();
  try {
    const fix = await locate();
    state.locating = "idle";
    setCoords(fix.lat, fix.lon, fix.accuracy, "device");
  } catch (e) {
    state.locating = typeof e === "string" ? e : "unavailable";
    showLocation();
  }
});

for (const input of [lat, lon]) {
  input.addEventListener("input", () => {
    state.source = "typed";
    state.accuracy = null;
    clearProblem("lat");
    locationChanged();
  });
}

// The map opens once the resident nears it: it is far below the
// categories, and Leaflet is 41 KB and a long task.
const mapEl = byId("report-map");
whenNear(mapEl, async () => {
  const at = coords();
  state.mapOpened = await openMap(
    mapEl,
    at || BANAN_CENTRE,
    at ? 16 : 12,
    (a, b) => setCoords(a, b, null, "map"),
    () => {
      state.tilesFailed = true;
      showLocation();
    },
  );
  locationChanged();
});

// ------------------------------------------------------------ 4 details

const description = byId("description");
const counter = byId("description-counter");
const occurred = byId("occurred_at");

const showCounter = () => {
  const n = Array.from(description.value.trim()).length;
  const p = el("p", { className: "counter" + (n < MIN_DESCRIPTION ? " short" : "") }, [
    el("span", { textContent: n < MIN_DESCRIPTION ? T("description_min") : "" }),
    el("span", { textContent: n + " / " + MAX_DESCRIPTION }),
  ]);
  p.setAttribute("aria-live", "polite");
  fill(counter, p);
  if (n >= MIN_DESCRIPTION) clearProblem("description");
};
description.addEventListener("input", showCounter);
occurred.addEventListener("input", () => clearProblem("occurred_at"));

// An answer typed (input) or chosen (change) clears its question's problem.
const answered = (event) => {
  const field = event.target.closest && event.target.closest(".question");
  if (field) clearProblem("answers." + field.dataset.code);
};
form.addEventListener("input", answered);
form.addEventListener("change", answered);

// A `datetime-local` value read as Chongqing time, as the server expects.
const rfc3339 = (value) => {
  const v = (value || "").trim();
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(\.\d+)?$/.exec(v);
  return m ? m[1] + (m[2] || ":00") + "+08:00" : null;
};

// The chosen category's answers: code → text or list.
const answers = () => {
  const out = [];
  const group = chosenQuestions();
  if (!group) return out;
  for (const q of group.querySelectorAll(".question")) {
    const type = q.dataset.type;
    let value;
    if (type === "multivaluelist") {
      value = Array.from(q.querySelectorAll("input[type=checkbox]:checked")).map((c) => c.value);
    } else {
      value = q.querySelector("input, textarea, select").value;
    }
    out.push({ code: q.dataset.code, type, required: q.dataset.required === "true", value });
  }
  return out;
};

// ------------------------------------------------------------ 5 identity

const realName = byId("real-name");
const nameInput = byId("name");
const phoneInput = byId("phone");
const identityFields = form.querySelector(".identity-fields");
const showIdentity = () => {
  identityFields.hidden = !realName.checked;
};
for (const radio of form.querySelectorAll("input[name=identity]")) radio.addEventListener("change", showIdentity);
nameInput.addEventListener("input", () => clearProblem("name"));
phoneInput.addEventListener("input", () => clearProblem("phone"));

// A mainland mobile number (11 digits, 1 then 3–9), with or without 86.
const phoneOk = (input) => {
  let digits = input.replace(/\D/g, "");
  if (digits.length === 13 && digits.startsWith("86")) digits = digits.slice(2);
  return /^1[3-9]\d{9}$/.test(digits);
};

// ------------------------------------------------------------ nearby ("me too")

const nearbyStep = byId("step-nearby");
const nearbyList = nearbyStep.querySelector(".nearby-list");
const nearbyNote = nearbyStep.querySelector(".nearby-note");
// A date as read in Chongqing.
const localDate = (iso) => {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t + 8 * 3600 * 1000).toISOString().slice(0, 10) : iso;
};

const nearbyShown = () =>
  !!state.corroborates || state.nearby.length > 0 || state.problems.some(([s]) => s === "corroborates");

const showNearby = () => {
  // A "me too" pressed from the keyboard keeps the focus on its case.
  const focused = d.activeElement && d.activeElement.closest && d.activeElement.closest(".nearby-case");
  const focusedCode = focused ? focused.dataset.code : null;
  fill(nearbyList, 
    ...state.nearby.map((c) => {
      const chosen = !!state.corroborates && state.corroborates.tracking_code === c.tracking_code;
      const stateName = TEXTS["state_" + c.state] || String(c.state).replace(/_/g, " ");
      const others =
        c.corroborations === 0 ? null : c.corroborations === 1 ? T("one_other_reported") : T("others_reported", { n: c.corroborations });
      const button = el("button", {
        type: "button",
        className: "button small metoo",
        textContent: chosen ? T("me_too_undo") : T("me_too"),
        disabled: state.phase !== "editing",
      });
      button.setAttribute("aria-pressed", String(chosen));
      button.addEventListener("click", () => {
        state.corroborates = chosen ? null : c;
        clearProblem("corroborates");
        showNearby();
      });
      const li = el("li", { className: "nearby-case" + (chosen ? " chosen" : "") }, [
        el("div", {}, [
          el("strong", { textContent: zh ? c.category_name : c.category_name_en }),
          el("span", { className: "case-no", textContent: c.tracking_code }),
          el("small", { textContent: T("distance_m", { n: c.distance_m }) + " · " + localDate(c.submitted_at) + " · " + stateName }),
          others ? el("small", { textContent: others }) : null,
        ]),
        button,
      ]);
      li.dataset.code = c.tracking_code;
      return li;
    }),
  );
  fill(nearbyNote);
  if (state.corroborates) {
    const p = el("p", { className: "notice corroborate-note", textContent: T("me_too_note", { code: state.corroborates.tracking_code }) });
    p.setAttribute("role", "status");
    nearbyNote.append(p);
  }
  nearbyStep.hidden = !nearbyShown();
  if (focusedCode) {
    const again = nearbyList.querySelector('.nearby-case[data-code="' + CSS.escape(focusedCode) + '"] button');
    if (again) again.focus();
  }
};

// Open cases of the same kind nearby, asked again when the category or
// the position changes (to about ten metres); an answer to a question
// that has since changed is dropped.
const nearbyChanged = async () => {
  const at = coords() || photoPosition();
  const query =
    state.category && at
      ? "/api/v1/reports/nearby?category=" +
        encodeURIComponent(state.category.code) +
        "&lat=" +
        at[0].toFixed(4) +
        "&lon=" +
        at[1].toFixed(4)
      : null;
  if (query === state.nearbyQuery) return;
  state.nearbyQuery = query;
  let found = [];
  if (query) {
    try {
      const response = await fetch(query, { headers: { Accept: "application/json" } });
      if (response.ok) found = await response.json();
    } catch (_) {
      // No network: nothing to say "me too" to.
    }
  }
  if (state.nearbyQuery !== query) return;
  state.nearby = Array.isArray(found) ? found : [];
  showNearby();
};

// ------------------------------------------------------------ checks and fields

// The checks the browser can make before sending; the server makes them
// all again.
const validate = () => {
  const out = [];
  if (!state.category) out.push(["category", T("err_category")]);
  if (state.photos.some((x) => !x.ready)) out.push(["photo", T("err_photos_busy")]);
  const typedHalf = lat.value.trim() !== "" || lon.value.trim() !== "";
  if (!coords() && typedHalf) out.push(["lat", T("err_coordinates")]);
  else if (!coords() && state.photos.length === 0) out.push(["lat", T("err_location")]);
  const chars = Array.from(descriptionText()).length;
  if (chars < MIN_DESCRIPTION) out.push(["description", T("err_description_short")]);
  else if (chars > MAX_DESCRIPTION) out.push(["description", T("err_description_long")]);
  if (occurred.value.trim() !== "" && !rfc3339(occurred.value)) out.push(["occurred_at", T("err_occurred_invalid")]);
  for (const a of answers()) {
    const answered = Array.isArray(a.value) ? a.value.length > 0 : a.value.trim() !== "";
    if (a.required && !answered) out.push(["answers." + a.code, T("err_answer_required")]);
  }
  if (realName.checked) {
    const name = nameInput.value.trim();
    if (name === "") out.push(["name", T("err_name_missing")]);
    else if (Array.from(name).length > 50) out.push(["name", T("err_name_long")]);
    if (!phoneOk(phoneInput.value)) out.push(["phone", T("err_phone")]);
  }
  return out;
};

// The description as sent: with "地点：…" in front when a typed address
// stands in for coordinates.
const descriptionText = () => {
  const text = description.value.trim();
  const place = address.value.trim();
  return place && !coords() ? "地点：" + place + "\n" + text : text;
};

// The multipart text fields, in a fixed order (a retry must send the same).
const fields = () => {
  const f = [];
  if (state.category) f.push(["category", state.category.code]);
  f.push(["description", descriptionText()]);
  const at = coords();
  if (at) {
    f.push(["lat", at[0].toFixed(6)]);
    f.push(["lon", at[1].toFixed(6)]);
    if (state.source === "device" && state.accuracy != null) {
      f.push(["accuracy", Math.min(100000, Math.max(0, state.accuracy)).toFixed(0)]);
    }
  }
  const when = rfc3339(occurred.value);
  if (when) f.push(["occurred_at", when]);
  const given = {};
  for (const a of answers()) {
    if (Array.isArray(a.value)) {
      if (a.value.length > 0) given[a.code] = a.value;
    } else if (a.value.trim() !== "") {
      given[a.code] = a.type === "datetime" ? rfc3339(a.value) || a.value : a.value.trim();
    }
  }
  // In the order of their codes, as the server's fingerprint of a retry
  // and the form before this one had them.
  const ordered = {};
  for (const code of Object.keys(given).sort()) ordered[code] = given[code];
  if (Object.keys(ordered).length > 0) f.push(["answers", JSON.stringify(ordered)]);
  if (realName.checked) {
    f.push(["name", nameInput.value.trim()]);
    f.push(["phone", phoneInput.value.trim()]);
  }
  if (state.corroborates) f.push(["corroborates", state.corroborates.tracking_code]);
  return f;
};

// A line for the list of reports kept on the phone.
const summary = () =>
  (state.category ? state.category.name : "") + " · " + Array.from(description.value.trim()).slice(0, 40).join("");

// ------------------------------------------------------------ sending

const submit = byId("submit");
const sendStatus = form.querySelector(".send-status");

const setEditable = (editable) => {
  for (const input of form.querySelectorAll("input, textarea, select, button")) {
    if (input === submit) continue;
    input.disabled = !editable;
  }
  if (editable) {
    showPhotos();
    showLocation();
  }
  submit.disabled = !editable;
  submit.textContent = state.phase === "sending" ? T("sending") : T("submit_report");
};

// Each photo's share of the upload, as a bar on its tile. `ahead` is the
// bytes of the fields the body carries before the photos, counted once per
// upload by the caller.
const showProgress = (share, ahead) => {
  const ready = state.photos.filter((x) => x.ready);
  const shares = photoProgress(share, ahead, ready.map((x) => x.bytes));
  ready.forEach((p, i) => {
    const tile = photoGrid.querySelector('.photo-tile[data-id="' + p.id + '"]');
    if (!tile) return;
    let bar = tile.querySelector(".photo-progress");
    if (!bar) {
      bar = el("progress", { className: "photo-progress", max: 100 });
      tile.insertBefore(bar, tile.querySelector(".photo-remove"));
    }
    const pct = Math.round(shares[i] * 100);
    bar.value = pct;
    bar.setAttribute("aria-label", T("photo") + " " + (i + 1) + " · " + pct + "%");
  });
  const pct = Math.round(share * 100);
  const bar = el("progress", { max: 100, value: pct, textContent: pct + "%" });
  const line = el("div", { className: "upload" }, [bar, el("span", { textContent: pct >= 100 ? T("processing") : T("uploading", { n: pct }) })]);
  line.setAttribute("role", "status");
  fill(sendStatus, line);
};

const showQueued = () => {
  clearProgress();
  submit.textContent = T("submit_report");
  const count = pendingReports().filter((p) => !p.refused).length;
  const cancel = el("button", { type: "button", className: "button small", textContent: T("cancel_sending") });
  cancel.addEventListener("click", () => {
    dropPending(state.key);
    state.phase = "editing";
    fill(sendStatus);
    setEditable(true);
    showOutbox();
  });
  const box = el("div", { className: "queued notice" }, [
    el("strong", { textContent: T("waiting_network") }),
    el("p", { textContent: T("queued_explain") }),
    el("p", { textContent: T("pending_count", { n: count }) }),
    state.stored === false ? el("p", { className: "field-error", textContent: T("not_stored") }) : null,
    cancel,
  ]);
  box.setAttribute("role", "status");
  fill(sendStatus, box);
  cancel.disabled = false;
};

const refused = (status, error) => {
  clearProgress();
  const found = fromApi(status, error);
  if (found.some(([s, text]) => s === "corroborates" && text === T("err_corroborates_closed"))) state.corroborates = null;
  state.phase = "editing";
  fill(sendStatus);
  setEditable(true);
  showNearby();
  setProblems(found);
  if (found.length > 0) scrollTo(anchorOf(found[0][0]));
};

const send = async () => {
  try {
    await sendOnce();
  } catch (_) {
    // Whatever went wrong, the form is the resident's again.
    if (state.phase === "sending") {
      state.phase = "editing";
      fill(sendStatus);
      setEditable(true);
    }
  }
};

const clearProgress = () => {
  for (const bar of photoGrid.querySelectorAll(".photo-progress")) bar.remove();
};

const sendOnce = async () => {
  const sentFields = fields();
  const blobs = state.photos.filter((x) => x.ready).map((x) => x.blob);
  const line = summary();
  // The fields' bytes (UTF-8, as sent), ahead of the photos in the body.
  const utf8 = new TextEncoder();
  const ahead = sentFields.reduce((n, [k, v]) => n + utf8.encode(k + v).length, 0);
  const progress = (share) => showProgress(share, ahead);
  state.phase = "sending";
  setEditable(false);
  progress(0);
  let outcome = await sendReport(state.key, sentFields, blobs, progress);
  // The key was spent on a different report (an edit after a lost
  // answer): this is a new report, with a new key.
  if (outcome.kind === "refused" && outcome.error && outcome.error.code === "idempotency_key_reused") {
    state.key = randomKey();
    outcome = await sendReport(state.key, sentFields, blobs, progress);
  }
  if (outcome.kind === "done") {
    remember(outcome.receipt, line, true);
    done(outcome.receipt);
  } else if (outcome.kind === "refused") {
    refused(outcome.status, outcome.error);
  } else {
    state.stored = await enqueue(state.key, sentFields, blobs, line, outcome.afterMs);
    state.phase = "queued";
    showQueued();
    showOutbox();
  }
};

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (state.phase !== "editing") return;
  const found = validate();
  setProblems(found);
  if (found.length > 0) {
    scrollTo(anchorOf(found[0][0]));
    return;
  }
  send();
});

// ------------------------------------------------------------ the receipt

const receiptSlot = byId("receipt-slot");
const done = (receipt) => {
  state.phase = "done";
  form.hidden = true;
  const lead = page.querySelector(".lead");
  if (lead) lead.hidden = true;
  const copiedNote = el("p", { className: "hint", hidden: true });
  copiedNote.setAttribute("role", "status");
  const copy = el("button", { type: "button", className: "button copy-link", textContent: T("copy_link") });
  copy.addEventListener("click", async () => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(location.origin + receipt.track_url);
      ok = true;
    } catch (_) {
      // No clipboard (an insecure origin, a refusal): said, not hidden.
    }
    copiedNote.textContent = ok ? T("copied") : T("copy_failed");
    copiedNote.hidden = false;
  });
  const another = el("button", { type: "button", className: "button", textContent: T("report_another") });
  // A new form from the server: everything empty, a new key. Emptied here
  // first, so that no browser puts the last report's words back.
  another.addEventListener("click", () => {
    form.reset();
    location.assign("/report");
  });
  const section = el("section", { className: "receipt" }, [
    el("h2", { textContent: T("receipt_title") }),
    el("p", { className: "muted", textContent: T("tracking_code_label") }),
    el("p", { className: "tracking-code", textContent: receipt.tracking_code }),
    receipt.corroborated ? el("p", { className: "notice", textContent: T("receipt_corroborated") }) : null,
    receipt.location_source === "exif" ? el("p", { className: "hint", textContent: T("receipt_location_from_photo") }) : null,
    el("p", { className: "secret-warning", textContent: T("receipt_secret_once") }),
    el("div", { className: "receipt-actions" }, [
      el("a", { className: "button primary track-link", href: receipt.track_url, textContent: T("receipt_track") }),
      copy,
    ]),
    copiedNote,
    el("p", { className: "hint", textContent: T("receipt_saved_here") }),
    // Push and texts are set up where the case is followed: one tap away.
    el("p", { className: "hint", textContent: T("receipt_notify_on_track") }),
    another,
  ]);
  section.setAttribute("role", "status");
  section.setAttribute("aria-live", "polite");
  fill(receiptSlot, section);
  for (const p of state.photos) if (p.url) URL.revokeObjectURL(p.url);
  scrollTo(byId("main") || page);
};

// ------------------------------------------------------------ the phone's other reports

// What this phone keeps besides the report being written: reports still
// waiting for the network, those the server refused when they were sent
// again (said until the resident dismisses them: never dropped unseen),
// and those sent in the background (until /track has shown them).
const outboxNotes = byId("outbox-notes");
const showOutbox = () => {
  // The shell's notice sends the resident here; here the notes say more.
  const shellNotice = byId("outbox-waiting");
  if (shellNotice) shellNotice.hidden = true;
  const queue = pendingReports();
  const waiting = queue.filter((p) => !p.refused);
  const refusedOnes = queue.filter((p) => p.refused && p.key !== state.key);
  const sent = unseenReports();
  const notes = [];
  if (waiting.length > 0 && state.phase !== "queued") {
    const p = el("p", { className: "banner waiting" }, [
      el("strong", { textContent: T("waiting_network") }),
      " " + T("pending_count", { n: waiting.length }),
    ]);
    p.setAttribute("role", "status");
    notes.push(p);
  }
  if (sent.length > 0) {
    const box = el("div", { className: "banner sent" }, [
      el("strong", { textContent: T("sent_in_background") }),
      el(
        "ul",
        {},
        sent.map((s) => el("li", {}, [el("a", { href: s.track_url, textContent: s.tracking_code })])),
      ),
    ]);
    box.setAttribute("role", "status");
    notes.push(box);
  }
  if (refusedOnes.length > 0) {
    const box = el("div", { className: "banner refused" }, [
      el("strong", { textContent: T("refused_title") }),
      el(
        "ul",
        {},
        refusedOnes.map((p) => {
          const dismiss = el("button", { type: "button", className: "button small", textContent: T("dismiss") });
          dismiss.addEventListener("click", () => {
            dropPending(p.key);
            showOutbox();
          });
          return el("li", {}, [el("span", { textContent: p.summary }), el("small", { textContent: p.refused }), dismiss]);
        }),
      ),
    ]);
    box.setAttribute("role", "alert");
    notes.push(box);
  }
  fill(outboxNotes, ...notes);
};

// ------------------------------------------------------------ start

// A report this page queued, settled in the background; and the notes
// on the others.
startSender((settled) => {
  showOutbox();
  if (state.phase !== "queued" || settled.key !== state.key) {
    if (state.phase === "queued") showQueued();
    return;
  }
  if (settled.kind === "done") {
    markSeen();
    done(settled.receipt);
  } else {
    dropPending(settled.key);
    refused(settled.status, settled.error);
  }
});

// What a browser put back into the form from an earlier visit (a reload,
// the back button) is not what this script knows of: a form starts empty.
form.reset();
setEditable(true);
showCounter();
showIdentity();
showOutbox();

// Kept for use with no signal: this page (its script inside) and its
// stylesheet, and the tracking page a receipt leads to.
keepOffline(["/report", "/track", "/"]);
