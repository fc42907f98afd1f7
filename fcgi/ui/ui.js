/*
 * specreg web UI: the little JavaScript the pages use, all optional.
 * Pages work without it.  Loaded from a file: the Content-Security-Policy
 * allows no inline script.
 */
"use strict";

/* A "Copy" button after every pull command. */
function addCopyButtons() {
	document.querySelectorAll("code.pull").forEach(function (code) {
		var b = document.createElement("button");

		b.type = "button";
		b.className = "copy";
		b.textContent = "Copy";
		b.setAttribute("aria-label", "Copy: " + code.textContent);
		b.addEventListener("click", function () {
			navigator.clipboard.writeText(code.textContent).then(
			    function () { b.textContent = "Copied"; },
			    function () { b.textContent = "Copy failed"; });
		});
		code.after(b);
	});
}

/* Filter the rows of the table an input names as you type. */
function addFilters() {
	document.querySelectorAll("input[data-filter]").forEach(function (inp) {
		var table = document.getElementById(inp.dataset.filter);

		if (table === null)
			return;
		inp.addEventListener("input", function () {
			var q = inp.value;

			table.querySelectorAll("tbody tr").forEach(function (tr) {
				var name = tr.cells[0].textContent;

				tr.classList.toggle("hidden",
				    name.indexOf(q) === -1);
			});
		});
	});
}

document.addEventListener("DOMContentLoaded", function () {
	addCopyButtons();
	addFilters();
});
