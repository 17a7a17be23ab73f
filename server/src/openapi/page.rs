//! The document as a plain HTML page (`GET /api/docs`): no scripts, fonts
//! or CDN, so it works offline; every text from the document is escaped.

use super::{DOCUMENT_PATH, REPORT_SECRET, SESSION};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub(super) const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text of a description: escaped, `code` spans kept, links and paragraphs
/// as such. (Markdown's little that the document uses.)
fn prose(s: &str) -> String {
    let mut html = String::new();
    for para in s.split("\n\n") {
        let para = para.trim();
        if para.is_empty() {
            continue;
        }
        if para.lines().all(|l| l.trim_start().starts_with("- ")) {
            html.push_str("<ul>");
            for item in para.lines() {
                let _ = write!(
                    html,
                    "<li>{}</li>",
                    inline(item.trim_start().trim_start_matches("- "))
                );
            }
            html.push_str("</ul>");
        } else {
            let _ = write!(html, "<p>{}</p>", inline(para));
        }
    }
    html
}

/// `code`, **bold** and [text](/relative) links; everything else escaped.
fn inline(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            let _ = write!(out, "<code>{}</code>", esc(&after[..end]));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            let _ = write!(out, "<strong>{}</strong>", inline(&after[..end]));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[')
            && let Some(close) = after.find("](")
            && let Some(end) = after[close + 2..].find(')')
            && after[close + 2..].starts_with('/')
        {
            let href = &after[close + 2..close + 2 + end];
            let _ = write!(
                out,
                "<a href=\"{}\">{}</a>",
                esc(href),
                esc(&after[..close])
            );
            rest = &after[close + 3 + end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push_str(&esc(c.encode_utf8(&mut [0; 4])));
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

/// A schema in a line: `CaseDetail` (linked), `array of NearbyCase`,
/// `string (binary)`, `object`…
fn schema_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = ref_name(r);
        return format!("<a href=\"#schema-{0}\"><code>{0}</code></a>", esc(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().map(schema_label).collect();
            let sep = if key == "allOf" { " and " } else { " or " };
            return parts.join(sep);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    };
    if ty.starts_with("array") {
        if let Some(tuple) = schema.get("prefixItems").and_then(Value::as_array) {
            let parts: Vec<String> = tuple.iter().map(schema_label).collect();
            return format!("[{}]", parts.join(", "));
        }
        let items = schema.get("items").map(schema_label).unwrap_or_default();
        return format!("array of {items}");
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        return format!("object of {}", schema_label(values));
    }
    let mut label = if ty.is_empty() {
        "any".to_owned()
    } else {
        esc(&ty)
    };
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        let _ = write!(label, " ({})", esc(f));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = e
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        let _ = write!(label, ": {}", names.join(", "));
    }
    label
}

fn content_labels(content: Option<&Value>) -> String {
    let Some(map) = content.and_then(Value::as_object) else {
        return String::new();
    };
    map.iter()
        .map(|(mime, media)| {
            let schema = media.get("schema").map(schema_label).unwrap_or_default();
            format!("<code>{}</code> {}", esc(mime), schema)
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Follows a `$ref` to `#/components/{kind}/{name}`.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .map(|p| {
                p.split('/')
                    .fold(doc, |node, key| node.get(key).unwrap_or(&Value::Null))
            })
            .unwrap_or(v),
        None => v,
    }
}

fn render_operation(doc: &Value, html: &mut String, method: &str, path: &str, op: &Value) {
    let id = format!("op-{}-{}", method, path.replace(['/', '{', '}', '.'], "-"));
    let summary = op
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let _ = write!(
        html,
        "<section class=\"op\" id=\"{}\"><h3><span class=\"m m-{method}\">{}</span> <code>{}</code></h3>",
        esc(&id),
        method.to_uppercase(),
        esc(path)
    );
    if !summary.is_empty() {
        let _ = write!(html, "<p class=\"summary\">{}</p>", inline(summary));
    }
    if let Some(d) = op.get("description").and_then(Value::as_str) {
        html.push_str(&prose(d));
    }
    if let Some(security) = op.get("security").and_then(Value::as_array) {
        let names: Vec<String> = security
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys())
            .map(|k| match k.as_str() {
                SESSION => {
                    "工作人员会话 staff session (cookie <code>shanshui_session</code>)".to_owned()
                }
                REPORT_SECRET => {
                    "举报人密钥 reporter's secret (header <code>X-Report-Secret</code>)".to_owned()
                }
                other => format!("<code>{}</code>", esc(other)),
            })
            .collect();
        if !names.is_empty() {
            let _ = write!(
                html,
                "<p class=\"auth\">Authentication 认证: {}</p>",
                names.join("; ")
            );
        }
    }
    if let Some(params) = op
        .get("parameters")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
    {
        html.push_str(
            "<h4>Parameters 参数</h4><table><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>",
        );
        for p in params {
            let p = resolve(doc, p);
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(p.get("name").and_then(Value::as_str).unwrap_or_default()),
                esc(p.get("in").and_then(Value::as_str).unwrap_or_default()),
                p.get("schema").map(schema_label).unwrap_or_default(),
                if p.get("required").and_then(Value::as_bool).unwrap_or(false) {
                    "yes"
                } else {
                    "no"
                },
                inline(
                    p.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
            );
        }
        html.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        let body = resolve(doc, body);
        let _ = write!(
            html,
            "<h4>Request body 请求体</h4><p>{}</p>",
            content_labels(body.get("content"))
        );
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        html.push_str("<h4>Responses 响应</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>");
        for (status, response) in responses {
            let r = resolve(doc, response);
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(status),
                inline(
                    r.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
                content_labels(r.get("content")),
            );
        }
        html.push_str("</table>");
    }
    html.push_str("</section>");
}

fn render_schema(html: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        html,
        "<section class=\"schema\" id=\"schema-{0}\"><h3><code>{0}</code></h3>",
        esc(name)
    );
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        html.push_str(&prose(d));
    }
    let mut parts: Vec<&Value> = vec![schema];
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let refs: Vec<String> = list
                .iter()
                .filter(|s| s.get("$ref").is_some())
                .map(schema_label)
                .collect();
            if !refs.is_empty() {
                let word = if key == "allOf" {
                    "All of 包含"
                } else {
                    "One of 之一"
                };
                let _ = write!(html, "<p>{word}: {}</p>", refs.join(", "));
            }
            parts.extend(list.iter().filter(|s| s.get("$ref").is_none()));
        }
    }
    let one_of = schema.get("oneOf").is_some();
    let mut table = String::new();
    for (i, part) in parts.iter().enumerate() {
        let Some(props) = part.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let required: Vec<&str> = part
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if one_of && i > 0 {
            // A variant: named by its tag (the one property with a single
            // allowed value, e.g. `"action": "accept"`), then described.
            let tag = props.iter().find_map(|(name, s)| {
                let e = s
                    .get("enum")
                    .and_then(Value::as_array)
                    .filter(|e| e.len() == 1)?;
                Some(format!(
                    "<code>{}: {}</code> ",
                    esc(name),
                    esc(&e[0].to_string())
                ))
            });
            let title = part
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let _ = write!(
                table,
                "<tr><th colspan=\"4\" class=\"variant\">{}{}</th></tr>",
                tag.unwrap_or_default(),
                inline(title)
            );
        }
        for (prop, s) in props {
            let _ = write!(
                table,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(prop),
                schema_label(s),
                if required.contains(&prop.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                inline(
                    s.get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
            );
        }
    }
    if table.is_empty() {
        let _ = write!(html, "<p>{}</p>", schema_label(schema));
    } else {
        let _ = write!(
            html,
            "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>{table}</table>"
        );
    }
    html.push_str("</section>");
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;max-width:70rem;margin:0 auto;padding:1rem;color:#1b2b24;line-height:1.5}\
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #2e7d5b;padding-bottom:.2rem;margin-top:2.5rem}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f0f4f2;padding:0 .2em;border-radius:3px}\
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.92rem}th,td{border:1px solid #ccd8d2;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef4f1}.op,.schema{border:1px solid #dfe7e3;border-radius:6px;padding:.2rem 1rem;margin:1rem 0}\
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:.85rem;padding:.1rem .3rem}\
.m-get{background:#2e6fb0}.m-post{background:#2e7d5b}.m-put,.m-patch{background:#a66a00}.m-delete{background:#b03a2e}\
.summary{font-weight:600}.auth{color:#5a4b00}.variant{background:#f7f3e6}nav ul{columns:2}a{color:#1f5f8b}";

/// The page: a table of contents, the operations by tag, then the schemas.
pub(super) fn render_page(doc: &Value) -> String {
    let info = doc.get("info").unwrap_or(&Value::Null);
    let title = info.get("title").and_then(Value::as_str).unwrap_or("API");
    let version = info
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let empty = serde_json::Map::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // (tag → [(method, path, operation)]) in the order of the document's tags.
    let mut by_tag: BTreeMap<String, Vec<(&str, &str, &Value)>> = BTreeMap::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let tag = op
                    .get("tags")
                    .and_then(Value::as_array)
                    .and_then(|t| t.first())
                    .and_then(Value::as_str)
                    .unwrap_or("other");
                by_tag
                    .entry(tag.to_owned())
                    .or_default()
                    .push((method, path.as_str(), op));
            }
        }
    }
    let mut order: Vec<(String, String)> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    let name = t.get("name")?.as_str()?.to_owned();
                    Some((
                        name,
                        t.get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for tag in by_tag.keys() {
        if !order.iter().any(|(n, _)| n == tag) {
            order.push((tag.clone(), String::new()));
        }
    }

    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} {v} — 接口文档 API reference</title><style>{STYLE}</style></head><body>\
         <header><h1>{t} <small>{v}</small></h1>\
         <p>OpenAPI 3.1: <a href=\"{DOCUMENT_PATH}\"><code>{DOCUMENT_PATH}</code></a> · <a href=\"/\">山水 Shanshui</a></p></header>",
        t = esc(title),
        v = esc(version),
    );
    if let Some(d) = info.get("description").and_then(Value::as_str) {
        html.push_str(&prose(d));
    }
    html.push_str("<nav><h2>Contents 目录</h2><ul>");
    for (tag, _) in &order {
        if let Some(ops) = by_tag.get(tag) {
            let _ = write!(
                html,
                "<li><a href=\"#tag-{0}\">{0}</a> ({1})</li>",
                esc(tag),
                ops.len()
            );
        }
    }
    html.push_str("<li><a href=\"#schemas\">Schemas 数据结构</a></li></ul></nav><main>");
    for (tag, description) in &order {
        let Some(ops) = by_tag.get(tag) else { continue };
        let _ = write!(
            html,
            "<h2 id=\"tag-{0}\">{0}</h2>{1}",
            esc(tag),
            prose(description)
        );
        for (method, path, op) in ops {
            render_operation(doc, &mut html, method, path, op);
        }
    }
    html.push_str("<h2 id=\"schemas\">Schemas 数据结构</h2>");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            render_schema(&mut html, name, schema);
        }
    }
    html.push_str("</main></body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_text_and_keeps_relative_links() {
        assert_eq!(
            inline("a <b> & `c<d>`"),
            "a &lt;b&gt; &amp; <code>c&lt;d&gt;</code>"
        );
        assert_eq!(
            inline("see [docs](/api/docs)"),
            "see <a href=\"/api/docs\">docs</a>"
        );
        assert_eq!(
            inline("[x](https://example.com)"),
            "[x](https://example.com)"
        );
    }
}
