// The tariff look-up's suggestions fill the code into their field: a click on a button with
// data-fill-target sets that input's value and tells htmx (the form's live check) about it.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-fill-target]");
  if (!button) return;
  var input = document.getElementById(button.getAttribute("data-fill-target"));
  if (!input) return;
  input.value = button.getAttribute("data-fill-value");
  input.dispatchEvent(new Event("input", { bubbles: true }));
  var list = button.closest(".lookup");
  if (list) list.remove();
  input.focus();
});
