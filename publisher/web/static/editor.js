// The compose page's editor (Jodit, vendored under /static/vendor/jodit/): Chinese toolbar, tables with merged and
// header cells, pictures uploaded into the content store, paste from Word/WPS that keeps tables and pictures,
// 一键排版, and Word/WPS files taken into the editor. The server's sanitiser still cleans whatever this sends.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  var area = form && form.querySelector("textarea[name=body]");
  if (!area || !window.Jodit) { return; }
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var status = document.getElementById("editor-status");
  var CJK = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
  var KEEP = {colspan: 1, rowspan: 1, src: 1, href: 1, alt: 1};
  var DROP = "style,meta,link,script,title,xml,head,o\\:p:empty,v\\:shapetype";

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "error" : "hint";
  }

  function post(url, data) {
    return fetch(url, {method: "POST", credentials: "same-origin", headers: {"X-CSRF-Token": csrf}, body: data})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) { throw new Error((body.error && body.error.message) || ("上传失败（" + r.status + "）")); }
          return body;
        });
      });
  }

  function uploadPicture(blob) {
    var data = new FormData();
    data.append("file", blob, blob.name || "picture");
    return post("/api/uploads/images", data).then(function (r) { return r.url; });
  }

  function dataUrlBlob(url) {
    var parts = url.split(","), mime = parts[0].slice(5).split(";")[0], bytes = atob(parts[1]);
    var array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i += 1) { array[i] = bytes.charCodeAt(i); }
    return new Blob([array], {type: mime});
  }

  // pictures pasted or dropped as data: URLs go to the content store; the saved body names them there
  function storePastedPictures(root) {
    var pending = Array.prototype.slice.call(root.querySelectorAll("img[src^='data:image/']"));
    return Promise.all(pending.map(function (img) {
      return uploadPicture(dataUrlBlob(img.getAttribute("src"))).then(function (url) { img.setAttribute("src", url); })
        .catch(function (e) { say("图片未能上传：" + e.message, true); });
    }));
  }

  // -- paste from Word / WPS --------------------------------------------------------------------------------
  function unwrap(node) {
    while (node.firstChild) { node.parentNode.insertBefore(node.firstChild, node); }
    node.parentNode.removeChild(node);
  }

  function headerRows(table) {
    var first = table.rows[0];
    if (!first || table.querySelector("th")) { return; }
    var cells = Array.prototype.slice.call(first.cells);
    var bold = cells.every(function (c) { return !c.textContent.trim() || c.querySelector("b,strong"); });
    if (!bold) { return; }
    var depth = 1;
    cells.forEach(function (c) { depth = Math.max(depth, parseInt(c.getAttribute("rowspan") || "1", 10)); });
    for (var r = 0; r < depth && r < table.rows.length; r += 1) { toHeader(table.rows[r]); }
  }

  function toHeader(row) {
    Array.prototype.slice.call(row.cells).forEach(function (cell) {
      if (cell.tagName === "TH") { return; }
      var th = cell.ownerDocument.createElement("th");
      Array.prototype.slice.call(cell.attributes).forEach(function (a) { th.setAttribute(a.name, a.value); });
      while (cell.firstChild) { th.appendChild(cell.firstChild); }
      cell.parentNode.replaceChild(th, cell);
    });
  }

  function cleanWord(html, files) {
    // Word's <style> block is dropped before parsing (the page's policy would refuse to apply it anyway)
    var doc = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style>/gi, ""), "text/html");
    var body = doc.body;
    body.querySelectorAll(DROP).forEach(function (n) { n.remove(); });
    var lost = 0;
    body.querySelectorAll("*").forEach(function (el) {
      var name = el.tagName.toLowerCase();
      if (/mso-list:\s*ignore/i.test(el.getAttribute("style") || "")) {  // a list number: keep its text only
        el.replaceWith(doc.createTextNode(el.textContent.replace(/\s+$/, "") + " "));
        return;
      }
      if (name.indexOf(":") > 0 || name === "font" || name === "span") { unwrap(el); return; }
      if (name === "img") {
        var src = el.getAttribute("src") || "";
        if (!/^(data:image\/|https?:|\/api\/uploads\/)/.test(src)) {
          var file = files.shift();
          if (file) { el.setAttribute("data-file", String(files.length)); el.file = file; } else { el.remove(); lost += 1; return; }
        }
      }
      Array.prototype.slice.call(el.attributes).forEach(function (a) {
        if (!KEEP[a.name.toLowerCase()] && a.name !== "data-file") { el.removeAttribute(a.name); }
      });
    });
    body.querySelectorAll("table").forEach(headerRows);
    body.querySelectorAll("p").forEach(function (p) {
      if (!p.textContent.replace(/\u00a0/g, "").trim() && !p.querySelector("img")) { p.remove(); }
    });
    return {body: body, lost: lost};
  }

  function pasteRich(editor, html, files) {
    var cleaned = cleanWord(html, files);
    var waits = Array.prototype.slice.call(cleaned.body.querySelectorAll("img[data-file]")).map(function (img) {
      return uploadPicture(img.file).then(function (url) { img.setAttribute("src", url); img.removeAttribute("data-file"); });
    });
    return Promise.all(waits).then(function () { return storePastedPictures(cleaned.body); }).then(function () {
      editor.s.insertHTML(cleaned.body.innerHTML);
      synced(editor);
      var tables = cleaned.body.querySelectorAll("table").length, pictures = cleaned.body.querySelectorAll("img").length;
      say("已粘贴" + (tables ? "（含表格 " + tables + " 个）" : "") + (pictures ? "（含图片 " + pictures + " 张）" : "") +
          (cleaned.lost ? "；有 " + cleaned.lost + " 张图片无法从剪贴板读取，请用“插入图片”按钮单独插入" : ""), cleaned.lost > 0);
    });
  }

  // -- 一键排版: clear Word styles, two-character first-line indent, full-width punctuation --------------------
  var FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"};

  function fullWidth(text) {
    var out = "";
    for (var i = 0; i < text.length; i += 1) {
      var ch = text[i], before = text.slice(0, i).replace(/\s+$/, "").slice(-1), after = text.slice(i + 1).replace(/^\s+/, "").charAt(0);
      var nearCjk = CJK.test(before) || CJK.test(after);
      if (FULL[ch] && nearCjk) { out += FULL[ch]; continue; }
      if (ch === "." && CJK.test(before) && !/[0-9a-zA-Z]/.test(after)) { out += "。"; continue; }
      out += ch;
    }
    return out.replace(/([，；：？！（）。])\s+/g, "$1").replace(/\s+([，；：？！（）。])/g, "$1");
  }

  function typeset(editor) {
    var root = editor.editor;
    root.querySelectorAll("span,font").forEach(unwrap);
    root.querySelectorAll("*").forEach(function (el) {
      ["style", "class", "lang", "align", "face", "size", "color"].forEach(function (a) { el.removeAttribute(a); });
    });
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) { node.nodeValue = fullWidth(node.nodeValue); }
    root.querySelectorAll("p").forEach(function (p) {
      if (!p.textContent.replace(/\u00a0/g, "").trim() && !p.querySelector("img")) { p.remove(); return; }
      if (!p.closest("td,th,li")) {
        p.style.textIndent = "2em";
        p.firstChild && p.firstChild.nodeType === 3 && (p.firstChild.nodeValue = p.firstChild.nodeValue.replace(/^[\s\u3000\u00a0]+/, ""));
      }
    });
    synced(editor);
    say("已一键排版：清除了格式，段首缩进两字，标点改为全角");
  }

  function headerRow(editor) {
    var here = editor.s.current();
    var table = here && (here.nodeType === 1 ? here : here.parentNode).closest("table");
    if (!table) { say("请先把光标放在表格里", true); return; }
    toHeader(table.rows[0]);
    synced(editor);
    say("已把表格第一行设为表头");
  }

  function pickPicture(editor) {
    var input = document.createElement("input");
    input.type = "file";
    input.accept = "image/png,image/jpeg,image/gif,image/webp,image/bmp";
    input.addEventListener("change", function () {
      if (!input.files.length) { return; }
      say("正在上传图片……");
      uploadPicture(input.files[0]).then(function (url) {
        editor.s.insertImage(url, null, null);
        synced(editor);
        say("已插入图片");
      }).catch(function (e) { say("图片未能上传：" + e.message, true); });
    });
    input.click();
  }

  function synced(editor) {
    area.value = editor.value;
    form.dispatchEvent(new Event("input", {bubbles: true}));
  }

  var editor = Jodit.make(area, {
    language: "zh_cn", height: 480, toolbarAdaptive: false, toolbarSticky: false, showXPathInStatusbar: false,
    hidePoweredByJodit: true,
    askBeforePasteHTML: false, askBeforePasteFromWord: false, defaultActionOnPaste: "insert_as_html",
    uploader: {insertImageAsBase64URI: true}, beautifyHTML: false, sourceEditor: "area",
    placeholder: "在此输入正文，或从 Word/WPS 粘贴，或在下方上传文件",
    buttons: ["paragraph", "bold", "italic", "underline", "|", "ul", "ol", "|", "table",
              {name: "headerrow", text: "表头行", tooltip: "把光标所在表格的第一行设为表头", exec: headerRow},
              "|", {name: "picture", text: "插入图片", tooltip: "上传图片（存入内容库）", exec: pickPicture},
              "link", "|", "align", "|",
              {name: "typeset", text: "一键排版", tooltip: "清除 Word 格式、段首缩进两字、标点改为全角", exec: typeset},
              "|", "undo", "redo", "eraser", "source", "fullsize"]
  });
  editor.container.classList.add("body-editor");

  editor.container.addEventListener("paste", function (event) {
    var data = event.clipboardData;
    var html = data && data.getData("text/html");
    if (!html) { return; }  // plain text: the editor pastes it as it is
    event.preventDefault();
    event.stopPropagation();
    var files = Array.prototype.slice.call(data.files || []).filter(function (f) { return /^image\//.test(f.type); });
    say("正在粘贴……");
    pasteRich(editor, html, files).catch(function (e) { say("粘贴失败：" + e.message, true); });
  }, true);

  var uploading = null;
  editor.events.on("change", function () {
    area.value = editor.value;
    if (editor.editor.querySelector("img[src^='data:image/']") && !uploading) {
      uploading = storePastedPictures(editor.editor).then(function () { uploading = null; area.value = editor.value; });
    }
  });

  // -- Word / WPS files into the editor ----------------------------------------------------------------------
  var docx = form.querySelector("input[name=docx]");
  if (docx) {
    docx.addEventListener("change", function () {
      if (!docx.files.length) { return; }
      var hasBody = editor.editor.textContent.trim() || editor.editor.querySelector("img,table");
      if (hasBody && !window.confirm("正文已有内容。用“" + docx.files[0].name + "”的内容替换现有正文吗？")) {
        docx.value = "";
        say("未替换正文");
        return;
      }
      var data = new FormData();
      data.append("file", docx.files[0]);
      data.append("title", form.elements["title"].value);
      say("正在转换“" + docx.files[0].name + "”……");
      post("/api/uploads/documents", data).then(function (r) {
        editor.value = r.body;
        docx.value = "";  // taken into the editor: saving sends the editor's body
        synced(editor);
        say("已转入正文" + (r.images ? "（图片 " + r.images + " 张已存入内容库）" : "") +
            (r.title_dropped ? "；文件的标题与信息标题相同，未重复放入正文" : "") + "，可继续修改");
      }).catch(function (e) {
        docx.value = "";
        say("未能转换：" + e.message, true);
      });
    });
  }
}());
