/* Live "Recent payments" on the merchant Overview.
 *
 * Listens with EventSource on the session-authenticated stream named by the table's
 * data-live-source (/dashboard/events) and puts each new payment at the top of the table,
 * keeping at most data-live-rows rows; a later event of a payment already shown (captured,
 * refunded) updates its status. Every text comes from the server ("display": money exact
 * with its code, UTC time, status colour class): nothing is formatted here. Without
 * script the page is the same table, current as of its loading.
 */
(function () {
  "use strict";

  var table = document.getElementById("recent-payments");
  if (!table || !table.tBodies.length || typeof window.EventSource !== "function") {
    return;
  }
  var body = table.tBodies[0];
  var maxRows = parseInt(table.getAttribute("data-live-rows") || "10", 10);
  var source = new window.EventSource(table.getAttribute("data-live-source"));
  var seen = {};
  var types = ["payment.authorized", "payment.failed", "payment.captured",
               "payment.refunded"];

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    td.textContent = text;
    return td;
  }

  function statusTag(display) {
    var tag = document.createElement("span");
    tag.className = display.status_class;
    tag.textContent = display.status;
    return tag;
  }

  function rowFor(paymentId) {
    var rows = body.rows;
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].getAttribute("data-payment-id") === paymentId) { return rows[i]; }
    }
    return null;
  }

  function newRow(event) {
    var display = event.display;
    var row = document.createElement("tr");
    row.setAttribute("data-payment-id", event.payment_id);
    row.className = "live-new";
    row.appendChild(cell(display.created_at));
    var id = document.createElement("code");
    id.textContent = event.payment_id;
    var idCell = cell("");
    idCell.appendChild(id);
    row.appendChild(idCell);
    var statusCell = cell("");
    statusCell.appendChild(statusTag(display));
    row.appendChild(statusCell);
    row.appendChild(cell(display.amount, "num"));
    row.appendChild(cell(display.card));
    return row;
  }

  function show(message) {
    if (seen[message.lastEventId]) { return; }  /* a replay may repeat one event */
    seen[message.lastEventId] = true;
    var event = JSON.parse(message.data);
    var existing = rowFor(event.payment_id);
    if (existing) {
      var statusCell = existing.cells[2];
      statusCell.textContent = "";
      statusCell.appendChild(statusTag(event.display));
      return;
    }
    if (event.event !== "payment.authorized" && event.event !== "payment.failed") {
      return;  /* a payment older than the table: not a recent one */
    }
    var empty = body.querySelector("tr.empty");
    if (empty) { body.removeChild(empty); }
    body.insertBefore(newRow(event), body.firstChild);
    while (body.rows.length > maxRows) { body.deleteRow(body.rows.length - 1); }
  }

  types.forEach(function (type) { source.addEventListener(type, show); });
  window.addEventListener("pagehide", function () { source.close(); });
}());
