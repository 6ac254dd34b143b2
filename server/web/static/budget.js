// The allocation editor: evaluates each category's fitted Hill curve as a slider moves,
// so the predicted revenue follows the hand without a round trip.
(function () {
  function setup() {
    var form = document.getElementById("editor-form");
    if (!form || form.dataset.ready) { return; }
    form.dataset.ready = "1";
    var curves = JSON.parse(form.dataset.curves);
    var sliders = form.querySelectorAll("input.slider");
    var amounts = form.querySelectorAll("input.amount");
    var cells = form.querySelectorAll("td.predicted");
    var money = new Intl.NumberFormat(undefined, {minimumFractionDigits: 2, maximumFractionDigits: 2});
    function revenue(c, spend) {
      if (spend <= 0) { return 0; }
      var x = Math.pow(spend / c.half, c.shape);
      return c.top * x / (1 + x);
    }
    function update() {
      var total = 0, predicted = 0;
      curves.forEach(function (c, i) {
        var spend = parseFloat(amounts[i].value) || 0;
        var r = revenue(c, spend);
        total += spend; predicted += r;
        cells[i].textContent = money.format(r);
      });
      document.getElementById("editor-total").textContent = money.format(total);
      document.getElementById("editor-revenue").textContent = money.format(predicted);
    }
    sliders.forEach(function (s) {
      s.addEventListener("input", function () {
        amounts[s.dataset.index].value = parseFloat(s.value).toFixed(2); update();
      });
    });
    amounts.forEach(function (a) {
      a.addEventListener("input", function () { sliders[a.dataset.index].value = a.value; update(); });
    });
    update();
  }
  document.addEventListener("DOMContentLoaded", setup);
  document.addEventListener("htmx:afterSettle", setup);
  setup();
})();
