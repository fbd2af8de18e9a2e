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
  form.addEventListener("change", function (event) {
    const field = event.target.closest(".field");
    if (field && event.target !== file && event.target !== email && field.classList.contains("invalid")) clearServerError(field);
  });
  function scrollToFirstError() {
    const target = document.getElementById("error-summary") || firstInvalid();
    if (!target) return;
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.focus({ preventScroll: true });
  }

  form.addEventListener("submit", function (event) {
    const ok = [checkEmail(), checkFile()].every(Boolean);
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
