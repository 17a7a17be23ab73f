//! HTML written as text (标记文本), for the long repeated parts of a page
//! (the disclosure table's rows, the map's outlines and pins, the report
//! form's category grid) where Leptos's views cost more than the page is
//! worth: the server's time on every render, and for the grid a phone's
//! main thread while it hydrates. The workspace builds
//! Leptos with type-erased views (`erase_components`, which the browser's
//! WebAssembly needs to stay small), so every element of a view is boxed,
//! its attributes a vector of boxed values, on every render: rendering was
//! the largest part of an uncached `/cases`. Written here it is a few
//! pushes onto one string, placed in the view with `inner_html`.
//!
//! Escaping holds by construction: tag and attribute names can only be
//! literals of the code (`&'static str`), and every value and text passes
//! through [`escape`]. Nothing here takes markup from a caller.

/// Text and attribute values made safe for HTML and SVG: `&`, `<`, `>` and
/// both quotes become references, so one escape serves text and a quoted
/// attribute alike.
pub fn escape(text: &str, out: &mut String) {
    html_escape::encode_quoted_attribute_to_string(text, out);
}

/// A piece of HTML being written.
#[derive(Default)]
pub struct Markup {
    out: String,
}

/// An attribute: its name (a literal) and its value (escaped when written).
pub type Attr<'a> = (&'static str, &'a str);

impl Markup {
    pub fn with_capacity(bytes: usize) -> Self {
        Markup {
            out: String::with_capacity(bytes),
        }
    }

    /// `<tag name="value" …>`.
    pub fn open(&mut self, tag: &'static str, attrs: &[Attr<'_>]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape(value, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// Text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape(text, &mut self.out);
        self
    }

    /// `<tag …>text</tag>`.
    pub fn element(&mut self, tag: &'static str, attrs: &[Attr<'_>], text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    pub fn into_string(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_texts_are_escaped_and_names_kept() {
        let mut m = Markup::default();
        m.open("td", &[("data-label", r#""><script>"#)])
            .element("a", &[("href", "/cases/a&b")], "<b>'x'</b>")
            .close("td");
        assert_eq!(
            m.into_string(),
            r#"<td data-label="&quot;&gt;&lt;script&gt;"><a href="/cases/a&amp;b">&lt;b&gt;&#x27;x&#x27;&lt;/b&gt;</a></td>"#
        );
    }

    #[test]
    fn chinese_text_is_written_as_it_is() {
        let mut m = Markup::default();
        m.element("span", &[], "秸秆焚烧 · 已办结");
        assert_eq!(m.into_string(), "<span>秸秆焚烧 · 已办结</span>");
    }
}
