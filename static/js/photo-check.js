/* The photo quality pre-check on the evidence page: an enhancement of the
   server's check (portal/tickets/quality.py), run on the phone as soon as a
   photo is chosen, so the resident can retake it before spending data on
   the upload. Same measures and thresholds (too dark, too bright, blurred,
   too small to read a document) on a grey copy of at most work_side px;
   "sideways" is left to the server. It never blocks the upload, and the
   server checks again whatever this says. Without JavaScript (or
   createImageBitmap) nothing changes. Texts and thresholds come, translated,
   from the data-* attributes of the [data-photo-check] element. */
(function () {
  "use strict";
  var box = document.querySelector("[data-photo-check]");
  var input = document.getElementById("file");
  if (!box || !input || !window.createImageBitmap || !window.JSON) return;
  var text = box.dataset;
  var limits = JSON.parse(text.limits);
  var scenes = text.scenes.split(",");
  var status = document.createElement("p");
  status.id = "photo-check-status";
  status.className = "warning photo-check";
  status.setAttribute("role", "status");
  status.hidden = true;
  input.parentNode.insertBefore(status, input.nextSibling);

  function show(codes) {
    status.dataset.codes = codes.join(",");
    if (!codes.length) { status.hidden = true; status.textContent = ""; return; }
    var words = codes.map(function (c) { return text[c]; });
    var list = window.Intl && Intl.ListFormat
      ? new Intl.ListFormat(document.documentElement.lang || "id").format(words)
      : words.join(", ");
    status.textContent = text.message.replace("{reasons}", list);
    status.hidden = false;
  }

  function percentile(hist, total, share) {
    var seen = 0;
    for (var v = 0; v < 256; v++) { seen += hist[v]; if (seen >= share * total) return v; }
    return 255;
  }

  function measure(bitmap) {
    var scale = Math.min(1, limits.work_side / Math.max(bitmap.width, bitmap.height));
    var w = Math.max(1, Math.round(bitmap.width * scale));
    var h = Math.max(1, Math.round(bitmap.height * scale));
    var canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);  // transparency on white
    ctx.drawImage(bitmap, 0, 0, w, h);
    var rgba = ctx.getImageData(0, 0, w, h).data;
    var grey = new Uint8Array(w * h), hist = new Array(256).fill(0), sum = 0, sq = 0;
    for (var i = 0; i < w * h; i++) {
      var g = Math.round((rgba[4 * i] * 299 + rgba[4 * i + 1] * 587 + rgba[4 * i + 2] * 114) / 1000);
      grey[i] = g; hist[g]++; sum += g; sq += g * g;
    }
    var n = w * h, mean = sum / n, variance = sq / n - mean * mean;
    var lsum = 0, lsq = 0, count = 0;
    for (var y = 1; y < h - 1; y++) {
      for (var x = 1; x < w - 1; x++) {
        var k = y * w + x;
        var lap = grey[k - 1] + grey[k + 1] + grey[k - w] + grey[k + w] - 4 * grey[k] + 128;
        lap = lap < 0 ? 0 : lap > 255 ? 255 : lap;  // as Pillow's 8-bit filter clips
        lsum += lap; lsq += lap * lap; count++;
      }
    }
    var lmean = count ? lsum / count : 0;
    return {
      mean: mean, low: percentile(hist, n, 0.02), high: percentile(hist, n, 0.98),
      blur: variance > 1 && count ? (lsq / count - lmean * lmean) / variance : 0
    };
  }

  function check(bitmap, docType) {
    var m = measure(bitmap);
    var document_ = scenes.indexOf(docType) < 0;
    var stored = Math.min(1, limits.image_max_side / Math.max(bitmap.width, bitmap.height));
    var found = {
      dark: m.mean < limits.dark_mean && m.high < limits.dark_high,
      bright: m.mean > limits.bright_mean && m.low > limits.bright_low,
      blurred: m.blur < (document_ ? limits.blur_ratio : limits.blur_ratio_scene),
      small: document_ && Math.min(bitmap.width, bitmap.height) * stored < limits.small_side
    };
    return ["dark", "bright", "blurred", "small"].filter(function (c) { return found[c]; });
  }

  function run() {
    var file = input.files && input.files[0];
    var select = document.getElementById("doc_type");
    if (!file || !/^image\/(jpeg|png|webp)$/.test(file.type)) { show([]); return; }
    createImageBitmap(file).then(function (bitmap) {
      show(check(bitmap, select ? select.value : ""));
      if (bitmap.close) bitmap.close();
    }, function () { show([]); });
  }

  input.addEventListener("change", run);
  var select = document.getElementById("doc_type");
  if (select) select.addEventListener("change", run);
})();
