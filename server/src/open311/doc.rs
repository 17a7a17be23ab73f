//! One document, two formats. Open311 requires XML and offers JSON; every
//! endpoint builds a neutral tree once and renders it either way, so the two
//! formats cannot drift apart field by field.

use crate::xml::Xml;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `services.json` → (`services`, Json). None for another suffix.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        let (stem, ext) = file.rsplit_once('.')?;
        let format = match ext {
            "json" => Format::Json,
            "xml" => Format::Xml,
            _ => return None,
        };
        (!stem.is_empty()).then_some((stem, format))
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Fields in order (XML keeps the order the specification lists).
    Obj(Vec<(&'static str, Node)>),
    /// A list; in XML each item is an element named by the first field.
    List(&'static str, Vec<Node>),
    Str(String),
    Num(f64),
    Int(i64),
    Bool(bool),
    Null,
}

impl Node {
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    pub fn opt(s: Option<impl Into<String>>) -> Node {
        s.map(|s| Node::Str(s.into())).unwrap_or(Node::Null)
    }

    fn json(&self) -> Value {
        match self {
            Node::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.json()))
                    .collect::<Map<_, _>>(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::json).collect()),
            Node::Str(s) => Value::String(s.clone()),
            Node::Num(n) => serde_json::Number::from_f64(*n)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Int(n) => Value::from(*n),
            Node::Bool(b) => Value::Bool(*b),
            Node::Null => Value::Null,
        }
    }

    fn xml(&self, tag: &str, x: &mut Xml) {
        match self {
            Node::Obj(fields) => {
                x.open(tag);
                for (k, v) in fields {
                    v.xml(k, x);
                }
                x.close(tag);
            }
            Node::List(item, items) => {
                x.open(tag);
                for i in items {
                    i.xml(item, x);
                }
                x.close(tag);
            }
            Node::Str(s) => {
                x.leaf(tag, s);
            }
            Node::Num(n) => {
                x.leaf(tag, &n.to_string());
            }
            Node::Int(n) => {
                x.leaf(tag, &n.to_string());
            }
            Node::Bool(b) => {
                x.leaf(tag, if *b { "true" } else { "false" });
            }
            Node::Null => {
                x.empty(tag, &[]);
            }
        }
    }

    /// The body in `format`; `root` is the XML document element.
    pub fn render(&self, format: Format, root: &str) -> String {
        match format {
            Format::Json => self.json().to_string(),
            Format::Xml => {
                let mut x = Xml::new();
                self.xml(root, &mut x);
                x.finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_tree_renders_as_json_and_xml() {
        let doc = Node::List(
            "request",
            vec![Node::Obj(vec![
                ("service_request_id", Node::str("BN-2345-6789")),
                ("lat", Node::Num(29.4)),
                ("media_url", Node::Null),
            ])],
        );
        let json: Value =
            serde_json::from_str(&doc.render(Format::Json, "service_requests")).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{"service_request_id": "BN-2345-6789", "lat": 29.4, "media_url": null}])
        );
        assert!(doc.render(Format::Xml, "service_requests").ends_with(
            "<service_requests><request><service_request_id>BN-2345-6789</service_request_id><lat>29.4</lat><media_url/></request></service_requests>"
        ));
        assert_eq!(
            Format::split("services.xml"),
            Some(("services", Format::Xml))
        );
        assert_eq!(Format::split("services.html"), None);
        assert_eq!(Format::split(".json"), None);
    }
}
