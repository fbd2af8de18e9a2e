// Progressive enhancement for the submission form; the page works fully without it.
"use strict";

(function () {
  const form = document.getElementById("submit-form");
  if (!form) return;
  const method = () => {
    const checked = form.querySelector("input[name=print_method]:checked");
    return checked ? checked.value : "";
  };
  const color = document.getElementById("color");
  const printer = document.getElementById("printer");
  const file = document.getElementById("file");
  const email = document.getElementById("student_email");
  const button = document.getElementById("submit-button");

  function setError(input, message) {
    const field = input.closest(".field");
    const id = "err-" + input.name;
    let p = document.getElementById(id);
    if (!message) {
      if (p) p.remove();
      field.classList.remove("invalid");
      input.removeAttribute("aria-invalid");
      return;
    }
    if (!p) {
      p = document.createElement("p");
      p.className = "error";
      p.id = id;
      p.setAttribute("role", "alert");
      field.appendChild(p);
    }
    p.textContent = message;
    field.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(id)) input.setAttribute("aria-describedby", described.concat(id).join(" "));
  }

  // Show only the options of the chosen method; disabled until a method is chosen.
  function filter(select) {
    const m = method();
    select.disabled = !m;
    for (const group of select.querySelectorAll("optgroup")) {
      const match = group.dataset.method === m;
      group.hidden = !match;
      group.disabled = !match;
    }
    const chosen = select.selectedOptions[0];
    if (chosen && chosen.dataset.method && chosen.dataset.method !== m) select.value = "";
  }
  function onMethod() {
    filter(color);
    filter(printer);
    const hint = document.getElementById("hint-color");
    if (hint) hint.textContent = method() ? "Colors available for " + method().toLowerCase() + "." : "Choose a print method first; the colors depend on it.";
    const only = printer.querySelectorAll("optgroup:not([hidden]) option");
    if (only.length === 1) printer.value = only[0].value;
  }
  for (const radio of form.querySelectorAll("input[name=print_method]")) radio.addEventListener("change", onMethod);
  onMethod();

  function checkFile() {
    const f = file.files && file.files[0];
    if (!f && form.dataset.kept) return setError(file, ""), true;  // the server kept the last one
    if (!f) return setError(file, "Choose a model file to upload."), false;
    const allowed = form.dataset.accept.split(",");
    const dot = f.name.lastIndexOf(".");
    const ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : "";
    if (!allowed.includes(ext)) return setError(file, "The file must be one of " + allowed.join(", ") + "."), false;
    if (f.size > Number(form.dataset.maxBytes)) return setError(file, "The file is larger than " + form.dataset.maxMb + " MB."), false;
    if (f.size === 0) return setError(file, "The file is empty."), false;
    setError(file, "");
    return true;
  }
  file.addEventListener("change", checkFile);

  function checkEmail() {
    const v = email.value.trim();
    if (!v) return setError(email, "Enter your email address."), false;
    if (v.length > 100) return setError(email, "The email address must be at most 100 characters."), false;
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return setError(email, "Enter a valid email address."), false;
    setError(email, "");
    return true;
  }
  email.addEventListener("blur", checkEmail);

  // The server's own rules and words (core/domain/validation.py), so nothing is a surprise
  // after a 50 MB upload.
  const byId = (id) => document.getElementById(id);
  const clean = (v) => v.trim().replace(/\s+/g, " ");
  function checkText(input, test, message) {
    const ok = test(clean(input.value));
    setError(input, ok ? "" : message);
    return ok;
  }
  function checkRadio(name, test, message) {
    const first = form.querySelector("input[name=" + name + "]");
    const chosen = form.querySelector("input[name=" + name + "]:checked");
    const ok = test(chosen ? chosen.value : "");
    setError(first, ok ? "" : message);
    return ok;
  }
  const checks = [
    () => checkText(byId("student_name"), (v) => v.length >= 2 && v.length <= 100,
                    "Enter your name (2 to 100 characters)."),
    checkEmail,
    () => checkText(byId("discipline"), (v) => v !== "", "Choose your discipline from the list."),
    () => {
      const input = byId("class_number");
      const v = clean(input.value);
      const message = !v ? 'Enter your class number, e.g. "ARCH 4000", or "N/A".'
        : v.length > 50 ? "The class number must be at most 50 characters." : "";
      setError(input, message);
      return !message;
    },
    () => checkRadio("print_method", (v) => v !== "", "Choose a print method."),
    () => checkText(color, (v) => v !== "",
                    method() ? "Choose one of the " + method().toLowerCase() + " colors."
                             : "Choose a print method first, then a color."),
    () => checkText(printer, (v) => v !== "", "Choose a printer."),
    () => checkRadio("consent", (v) => v === "yes", "You must accept the minimum charge to submit."),
    checkFile,
  ];

  // Only controls that can take focus: a fieldset the server marked invalid cannot.
  function firstInvalid() {
    return form.querySelector("input[aria-invalid=true], select[aria-invalid=true], .invalid input, .invalid select");
  }

  // Once the student changes an answer the server complained about, its error goes away.
  function clearServerError(field) {
    field.classList.remove("invalid");
    for (const marked of field.querySelectorAll("[aria-invalid=true]")) marked.removeAttribute("aria-invalid");
    if (field.getAttribute("aria-invalid")) field.removeAttribute("aria-invalid");
    for (const p of field.querySelectorAll(".error")) p.remove();
  }
  // Text fields clear their message while the student types, not when they leave the field:
  // a message vanishing on blur moves the page under the mouse, and the click that caused the
  // blur lands on the wrong control. Selects and radios clear when answered.
  form.addEventListener("input", function (event) {
    const target = event.target;
    const field = target.closest(".field");
    if (!field || !field.classList.contains("invalid") || target.tagName !== "INPUT") return;
    if (target === email) { if (email.value.trim()) checkEmail(); return; }
    if (target.type === "text") clearServerError(field);
  });
  form.addEventListener("change", function (event) {
    const target = event.target;
    const field = target.closest(".field");
    const answered = target.tagName === "SELECT" || target.type === "radio";
    if (field && answered && field.classList.contains("invalid")) clearServerError(field);
  });
  function scrollToFirstError() {
    const target = document.getElementById("error-summary") || firstInvalid();
    if (!target) return;
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.focus({ preventScroll: true });
  }

  form.addEventListener("submit", function (event) {
    const ok = checks.map((check) => check()).every(Boolean);
    if (!ok) {
      event.preventDefault();
      const target = firstInvalid();
      if (target) { target.scrollIntoView({ behavior: "smooth", block: "center" }); target.focus({ preventScroll: true }); }
      return;
    }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = "Uploading… please wait";
  });

  // The server re-showed the form with errors: bring the student to them.
  if (document.querySelector(".error")) scrollToFirstError();
})();

// Coming back with the browser's Back button must not leave the button stuck on "Uploading…".
window.addEventListener("pageshow", function () {
  const button = document.getElementById("submit-button");
  if (!button) return;
  button.disabled = false;
  button.removeAttribute("aria-busy");
  button.textContent = "Submit model";
});
