//! Notices are written in Markdown and shown as HTML: rendered once when
//! saved and cleaned with ammonia's allow-list (no scripts, no event
//! handlers, no `javascript:` links, `rel="noopener noreferrer"` on links),
//! so what a staff account writes can never run in a visitor's browser.

pub fn to_safe_html(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::clean(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html_and_anything_active_is_removed() {
        let html = to_safe_html(
            "# 通知\n\n**加强**施工噪声管理。[详情](https://example.gov.cn/a)\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))",
        );
        assert!(
            html.contains("<h1>通知</h1>") && html.contains("<strong>加强</strong>"),
            "{html}"
        );
        assert!(html.contains("href=\"https://example.gov.cn/a\""), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("onerror") && !html.contains("javascript:"),
            "{html}"
        );
    }
}
