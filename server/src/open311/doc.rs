//! One document, two formats. Open311 requires XML and offers JSON; every
//! endpoint builds a neutral tree once and renders it either way, so the two
//! formats cannot drift apart field by field.

use crate::xml::Xml;

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

/// As JSON: an object's members in the order of their names, as a
/// `serde_json::Map` (which sorts) wrote them before, so that answers
/// stay byte for byte what clients have seen.
impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Node::Obj(fields) => {
                let mut sorted: Vec<&(&'static str, Node)> = fields.iter().collect();
                sorted.sort_by_key(|(k, _)| *k);
                // A later member of the same name replaced an earlier one.
                sorted.dedup_by(|later, earlier| {
                    if later.0 == earlier.0 {
                        std::mem::swap(later, earlier);
                        true
                    } else {
                        false
                    }
                });
                let mut map = serializer.serialize_map(Some(sorted.len()))?;
                for (k, v) in sorted {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::List(_, items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Node::Str(s) => serializer.serialize_str(s),
            // As `serde_json::Number::from_f64` did: no NaN or infinity.
            Node::Num(n) if n.is_finite() => serializer.serialize_f64(*n),
            Node::Num(_) | Node::Null => serializer.serialize_unit(),
            Node::Int(n) => serializer.serialize_i64(*n),
            Node::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

impl Node {
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    pub fn opt(s: Option<impl Into<String>>) -> Node {
        s.map(|s| Node::Str(s.into())).unwrap_or(Node::Null)
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
            // Straight to text: building a `serde_json::Value` first copied
            // every string and keyed every object anew (a tenth of an
            // uncached page of 100 requests).
            Format::Json => serde_json::to_string(self).unwrap_or_default(),
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
    use serde_json::Value;

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
        let text = doc.render(Format::Json, "service_requests");
        // Members by name, as clients have always had them.
        assert_eq!(
            text,
            r#"[{"lat":29.4,"media_url":null,"service_request_id":"BN-2345-6789"}]"#
        );
        let json: Value = serde_json::from_str(&text).unwrap();
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
