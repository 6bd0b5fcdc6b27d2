// Behaviour the pages declare with data- attributes, so no page needs an inline script (the
// Content-Security-Policy allows scripts from this site only).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("[data-submit-on-change]") && field.form) {
    field.form.requestSubmit();
  }
});

// A form with data-confirm asks before it is sent (destructive actions).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A read-only field with data-select-on-focus is selected whole, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("[data-select-on-focus]")) {
    event.target.select();
  }
});

// A message box with data-counter shows its length against the chosen channel's limit (the
// limits in the #channel-limits JSON), with SMS segments; the server refuses a longer one.
const GSM_7 =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€";
const GSM_7_DOUBLE = "^{}\\[~]|€";

function smsSegments(text) {
  const chars = Array.from(text);
  const gsm = chars.every((c) => GSM_7.includes(c));
  const size = gsm
    ? chars.reduce((n, c) => n + (GSM_7_DOUBLE.includes(c) ? 2 : 1), 0)
    : text.length; // UTF-16 code units, as the carrier counts them
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return size <= single ? 1 : Math.ceil(size / part);
}

function updateCounter(box) {
  const counter = document.getElementById(box.dataset.counter);
  const limits = document.getElementById("channel-limits");
  if (!counter || !limits) return;
  const chosen = box.form.querySelector("input[name=channel]:checked");
  const channel = chosen ? chosen.value : Object.keys(JSON.parse(limits.textContent))[0];
  const limit = JSON.parse(limits.textContent)[channel];
  const length = box.value.trim().length;
  let text = `${length.toLocaleString()} of ${limit.toLocaleString()} characters`;
  if (channel === "sms" && length) {
    const segments = smsSegments(box.value.trim());
    text += ` · ${segments} SMS segment${segments === 1 ? "" : "s"}`;
  }
  if (length > limit) text += " — too long for this channel: shorten it or choose email";
  counter.textContent = text;
  counter.classList.toggle("error", length > limit);
}

document.addEventListener("input", (event) => {
  if (event.target.matches("[data-counter]")) updateCounter(event.target);
});
document.addEventListener("change", (event) => {
  if (event.target.matches("input[name=channel]")) {
    const box = event.target.form.querySelector("[data-counter]");
    if (box) updateCounter(box);
  }
});
document.querySelectorAll("[data-counter]").forEach(updateCounter);

// The staff booking form (data-times-url) offers the free times of the chosen service,
// provider, day and length: refreshed from the server whenever one of them changes.
document.addEventListener("change", async (event) => {
  const form = event.target.form;
  const watched = ["service", "provider", "date", "duration_minutes"];
  if (!form || !form.dataset.timesUrl || !watched.includes(event.target.name)) {
    return;
  }
  const params = new URLSearchParams();
  watched.forEach((name) => params.set(name, form.elements[name].value));
  const response = await fetch(`${form.dataset.timesUrl}?${params}`, {
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    return;
  }
  const { times, note } = await response.json();
  const select = form.elements.time;
  const kept = select.value;
  select.replaceChildren(...times.map((t) => new Option(t, t, false, t === kept)));
  document.getElementById("times-note").textContent = note;
});

// On a phone the main navigation folds behind its Menu button (shown only where this script
// runs; without it the links simply wrap).
document.querySelectorAll(".menu-toggle").forEach((button) => {
  const topbar = button.closest(".topbar");
  button.hidden = false;
  topbar.classList.add("foldable");
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    topbar.classList.toggle("open", open);
  });
});
