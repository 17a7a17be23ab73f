//! A small XML writer for Open311 and the Atom feed: every text and
//! attribute escaped, characters XML cannot carry dropped.

use std::fmt::Write;

pub struct Xml {
    out: String,
}

/// Escapes text for an element or a double-quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows tab, newline, carriage return and nothing else
            // below U+0020.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

impl Default for Xml {
    fn default() -> Self {
        Self::new()
    }
}

impl Xml {
    pub fn new() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    pub fn open(&mut self, tag: &str) -> &mut Self {
        self.open_with(tag, &[])
    }

    pub fn open_with(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.attrs(attrs);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.out, "</{tag}>");
        self
    }

    /// `<tag>text</tag>`.
    pub fn leaf(&mut self, tag: &str, text: &str) -> &mut Self {
        let _ = write!(self.out, "<{tag}>{}</{tag}>", escape(text));
        self
    }

    /// `<tag attrs/>`.
    pub fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.attrs(attrs);
        self.out.push_str("/>");
        self
    }

    pub fn leaf_with(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.open_with(tag, attrs);
        self.out.push_str(&escape(text));
        self.close(tag)
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", escape(v));
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped_and_control_characters_dropped() {
        let mut x = Xml::new();
        x.open_with("a", &[("href", "/x?a=1&b=\"2\"")])
            .leaf("b", "<script>&\u{1}</script>")
            .close("a");
        let s = x.finish();
        assert!(s.ends_with("<a href=\"/x?a=1&amp;b=&quot;2&quot;\"><b>&lt;script&gt;&amp;&lt;/script&gt;</b></a>"), "{s}");
    }
}
