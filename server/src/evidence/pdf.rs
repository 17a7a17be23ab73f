//! Reading a PDF just far enough to count its pages (页数), and no further.
//!
//! A file is a PDF only if it starts with `%PDF-`, whatever its name or
//! content type says. Its pages are counted the way a viewer finds them: the
//! last trailer's `/Root` (or, in a file without one, its last `/Catalog`)
//! leads to the page tree, and the tree is walked, `/Pages` nodes down to
//! `/Page` leaves. Counting `/Type /Page` strings instead would count pages
//! an incremental update removed, miss pages kept in compressed object
//! streams and confuse `/Page` with `/Pages`; trusting `/Count` would believe
//! whatever number the file states.
//!
//! Objects are found by scanning for `N G obj` rather than through the
//! cross-reference table, so a file whose offsets are off (common after
//! editing) still counts; a later definition of an object replaces an
//! earlier one, as an incremental update means it to. Stream data is stepped
//! over, never scanned, and only object streams (`/Type /ObjStm`, Flate) are
//! inflated, under a cap. Nesting, the tree's depth and its cycles are all
//! bounded: a hostile file costs a linear pass and is refused, never a panic
//! or unbounded memory. A file whose tree cannot be walked is refused with
//! [`PdfError::Uncountable`].

use std::collections::{HashMap, HashSet};
use std::io::Read as _;

/// The first bytes of every PDF.
pub const MAGIC: &[u8] = b"%PDF-";
/// Arrays and dictionaries inside one another, at most.
const MAX_NESTING: usize = 32;
/// Levels of the page tree, at most.
const MAX_TREE_DEPTH: usize = 64;
/// Bytes all object streams of one file may inflate to.
const MAX_INFLATED: usize = 32 * 1024 * 1024;
/// Bytes the scan may read in all, counting each look-ahead that failed (an
/// unclosed string read to the end, again and again, would otherwise cost
/// the square of the file's size).
const MAX_WORK: usize = 256 * 1024 * 1024;
/// What the parsed objects of one file may hold, in bytes, roughly: each
/// object counts [`NODE_COST`] and a name its length. The work cap bounds
/// time, not memory: `[////…]` makes 32 to 64 bytes of every byte read, and
/// an object stream's body can be read once per entry.
const MAX_KEPT: usize = 96 * 1024 * 1024;
const NODE_COST: usize = 48;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("not a PDF: the file does not start with %PDF-")]
    NotPdf,
    #[error("the PDF's pages cannot be counted: {0}")]
    Uncountable(&'static str),
}

/// The number of pages of the PDF `bytes` (0 for an empty page tree).
pub fn count_pages(bytes: &[u8]) -> Result<u64, PdfError> {
    if !bytes.starts_with(MAGIC) {
        return Err(PdfError::NotPdf);
    }
    let file = scan(bytes);
    if file.kept > MAX_KEPT {
        return Err(PdfError::Uncountable("it holds too many objects to read"));
    }
    let root = match file.root {
        Some(r) => r,
        None => file
            .last_catalog
            .ok_or(PdfError::Uncountable("it has no document catalog"))?,
    };
    let catalog = file
        .objects
        .get(&root.0)
        .and_then(Obj::dict)
        .ok_or(PdfError::Uncountable("its catalog is missing"))?;
    let pages = get(catalog, b"Pages").ok_or(PdfError::Uncountable("it has no page tree"))?;
    let mut seen = HashSet::new();
    file.count(pages, &mut seen, 0)
}

type Dict = Vec<(Vec<u8>, Obj)>;

#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Null,
    Bool,
    Number(Option<i64>),
    Name(Vec<u8>),
    Str,
    Array(Vec<Obj>),
    Dict(Dict),
    Ref((u32, u32)),
}

impl Obj {
    fn dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            Obj::Number(n) => *n,
            _ => None,
        }
    }

    fn is_name(&self, name: &[u8]) -> bool {
        matches!(self, Obj::Name(n) if n == name)
    }
}

fn get<'a>(dict: &'a Dict, key: &[u8]) -> Option<&'a Obj> {
    dict.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// What the scan found: the objects by number (the last definition of
/// each), the last trailer's root, the last catalog.
#[derive(Default)]
struct File {
    objects: HashMap<u32, Obj>,
    root: Option<(u32, u32)>,
    last_catalog: Option<(u32, u32)>,
    inflated: usize,
    /// Bytes read so far (see [`MAX_WORK`]).
    work: usize,
    /// What the parsed objects hold so far (see [`MAX_KEPT`]).
    kept: usize,
}

impl File {
    fn resolve<'a>(&'a self, obj: &'a Obj) -> Option<&'a Obj> {
        match obj {
            Obj::Ref((n, _)) => self.objects.get(n),
            other => Some(other),
        }
    }

    /// The pages under `node`, walking the tree.
    fn count(&self, node: &Obj, seen: &mut HashSet<u32>, depth: usize) -> Result<u64, PdfError> {
        if depth > MAX_TREE_DEPTH {
            return Err(PdfError::Uncountable("its page tree is too deep"));
        }
        if let Obj::Ref((n, _)) = node
            && !seen.insert(*n)
        {
            return Err(PdfError::Uncountable("its page tree loops"));
        }
        let dict = self
            .resolve(node)
            .and_then(Obj::dict)
            .ok_or(PdfError::Uncountable("a node of its page tree is missing"))?;
        let kind = get(dict, b"Type");
        let kids = get(dict, b"Kids");
        if kind.is_some_and(|k| k.is_name(b"Page")) {
            return Ok(1);
        }
        let pages_node = kind.is_some_and(|k| k.is_name(b"Pages")) || kind.is_none();
        match kids.and_then(|k| self.resolve(k)) {
            Some(Obj::Array(kids)) if pages_node => {
                let mut total = 0u64;
                for kid in kids {
                    total += self.count(kid, seen, depth + 1)?;
                }
                Ok(total)
            }
            _ => Err(PdfError::Uncountable(
                "a node of its page tree is neither a page nor a list of pages",
            )),
        }
    }

    fn define(&mut self, id: (u32, u32), obj: Obj) {
        if let Obj::Dict(d) = &obj {
            let kind = get(d, b"Type");
            if kind.is_some_and(|k| k.is_name(b"Catalog")) {
                self.last_catalog = Some(id);
            }
            // A cross-reference stream is also the trailer.
            if kind.is_some_and(|k| k.is_name(b"XRef"))
                && let Some(Obj::Ref(root)) = get(d, b"Root")
            {
                self.root = Some(*root);
            }
        }
        self.objects.insert(id.0, obj);
    }

    /// The objects of an object stream, if it can be read within the cap.
    fn unpack(&mut self, dict: &Dict, data: &[u8]) {
        let flate = match get(dict, b"Filter") {
            None => false,
            Some(Obj::Name(n)) if n == b"FlateDecode" => true,
            Some(Obj::Array(a)) if a.len() == 1 && a[0].is_name(b"FlateDecode") => true,
            Some(Obj::Array(a)) if a.is_empty() => false,
            // Other filters never hold the page tree in practice.
            _ => return,
        };
        let (Some(n), Some(first)) = (
            get(dict, b"N").and_then(Obj::int),
            get(dict, b"First").and_then(Obj::int),
        ) else {
            return;
        };
        let left = MAX_INFLATED.saturating_sub(self.inflated);
        let body = if flate {
            let mut out = Vec::new();
            let decoder = flate2::read::ZlibDecoder::new(data);
            // One byte over what is left tells that the cap was passed.
            if decoder.take(left as u64 + 1).read_to_end(&mut out).is_err() || out.len() > left {
                return;
            }
            out
        } else {
            data.to_vec()
        };
        self.inflated += body.len();
        let (Ok(n), Ok(first)) = (usize::try_from(n), usize::try_from(first)) else {
            return;
        };
        let mut lexer = Lexer::new(&body);
        let mut entries = Vec::new();
        for _ in 0..n.min(body.len()) {
            let (Some(num), Some(offset)) = (lexer.integer(), lexer.integer()) else {
                return;
            };
            entries.push((num, offset));
        }
        // The entries' offsets rise, as the format says: an offset that
        // does not would read the same bytes again.
        let mut last_offset = None;
        for (num, offset) in entries {
            let (Ok(num), Ok(offset)) = (u32::try_from(num), usize::try_from(offset)) else {
                continue;
            };
            if last_offset.is_some_and(|last| offset <= last) {
                return;
            }
            last_offset = Some(offset);
            if self.work > MAX_WORK || self.kept > MAX_KEPT {
                return;
            }
            let mut at = Lexer::budgeted(&body, MAX_KEPT - self.kept);
            at.pos = first.saturating_add(offset);
            let start = at.pos;
            let obj = at.object(0);
            self.work += at.read_since(start);
            self.kept += at.kept;
            if let Some(obj) = obj {
                self.define((num, 0), obj);
            }
        }
    }
}

/// Finds every `N G obj … endobj` and `trailer << … >>` in file order.
fn scan(bytes: &[u8]) -> File {
    let mut file = File::default();
    let mut pos = 0;
    while let Some(at) = next_keyword(bytes, pos) {
        if file.work > MAX_WORK || file.kept > MAX_KEPT {
            break;
        }
        pos = at + 1;
        if bytes[at..].starts_with(b"trailer") {
            let mut lexer = Lexer::budgeted(bytes, MAX_KEPT - file.kept);
            lexer.pos = at + b"trailer".len();
            let trailer = lexer.object(0);
            file.work += lexer.read_since(at);
            file.kept += lexer.kept;
            if let Some(Obj::Dict(d)) = trailer {
                if let Some(Obj::Ref(root)) = get(&d, b"Root") {
                    file.root = Some(*root);
                }
                pos = lexer.pos;
            }
            continue;
        }
        let Some(id) = object_id(bytes, at) else {
            continue;
        };
        let mut lexer = Lexer::budgeted(bytes, MAX_KEPT - file.kept);
        lexer.pos = at + b"obj".len();
        let obj = lexer.object(0);
        file.work += lexer.read_since(at);
        file.kept += lexer.kept;
        let Some(obj) = obj else {
            continue;
        };
        pos = lexer.pos;
        if let Obj::Dict(dict) = &obj {
            let start = lexer.pos;
            let data = lexer.stream(dict);
            file.work += lexer.read_since(start);
            if let Some(data) = data {
                pos = lexer.pos;
                if get(dict, b"Type").is_some_and(|t| t.is_name(b"ObjStm")) {
                    file.unpack(dict, data);
                }
            }
        }
        file.define(id, obj);
    }
    file
}

/// The next `obj` or `trailer` keyword at or after `from`.
fn next_keyword(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let word = if rest.starts_with(b"obj") {
            3
        } else if rest.starts_with(b"trailer") {
            7
        } else {
            0
        };
        if word > 0
            && (i == 0 || !is_regular(bytes[i - 1]))
            && bytes.get(i + word).is_none_or(|&b| !is_regular(b))
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The `N G` before the `obj` at `at`.
fn object_id(bytes: &[u8], at: usize) -> Option<(u32, u32)> {
    let mut end = at;
    let digits_before = |end: &mut usize| -> Option<u32> {
        while *end > 0 && is_white(bytes[*end - 1]) {
            *end -= 1;
        }
        let stop = *end;
        while *end > 0 && bytes[*end - 1].is_ascii_digit() && stop - *end < 10 {
            *end -= 1;
        }
        if *end == stop {
            return None;
        }
        std::str::from_utf8(&bytes[*end..stop]).ok()?.parse().ok()
    };
    let generation = digits_before(&mut end)?;
    if end == 0 || !is_white(bytes[end - 1]) {
        return None;
    }
    let number = digits_before(&mut end)?;
    if end > 0 && is_regular(bytes[end - 1]) {
        return None;
    }
    Some((number, generation))
}

fn is_white(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delimiter(b)
}

struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The furthest a search ahead of `pos` has read.
    reach: usize,
    /// What the objects parsed hold (see [`MAX_KEPT`]), and how much they
    /// may: past it, nothing more is parsed, and the file's total shows it.
    kept: usize,
    budget: usize,
}

impl<'a> Lexer<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self::budgeted(bytes, MAX_KEPT)
    }

    fn budgeted(bytes: &'a [u8], budget: usize) -> Self {
        Lexer {
            bytes,
            pos: 0,
            reach: 0,
            kept: 0,
            budget,
        }
    }

    /// Counts an object of `bytes` more than a node; false once over budget
    /// (and the excess stays counted, so the caller sees it).
    fn keep(&mut self, bytes: usize) -> bool {
        self.kept = self.kept.saturating_add(NODE_COST + bytes);
        self.kept <= self.budget
    }

    /// Bytes read from `start` on, searches ahead included.
    fn read_since(&self, start: usize) -> usize {
        self.pos.max(self.reach).saturating_sub(start)
    }

    /// A search that read to the end and found nothing.
    fn read_to_end(&mut self) {
        self.reach = self.bytes.len();
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Skips white space and comments.
    fn skip(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(b) = self.peek() {
                    if b == b'\n' || b == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    fn integer(&mut self) -> Option<i64> {
        self.skip();
        std::str::from_utf8(self.token()).ok()?.parse().ok()
    }

    /// One object, or `None` if the bytes are not one.
    fn object(&mut self, depth: usize) -> Option<Obj> {
        if depth > MAX_NESTING {
            return None;
        }
        self.skip();
        let rest = self.rest();
        let first = *rest.first()?;
        let name_len = if first == b'/' {
            rest[1..].iter().take_while(|b| is_regular(**b)).count()
        } else {
            0
        };
        if !self.keep(name_len) {
            // Past the budget: read no further (an unfinished object).
            self.read_to_end();
            return None;
        }
        match first {
            b'/' => {
                self.pos += 1;
                Some(Obj::Name(decode_name(self.token())))
            }
            b'<' if rest.starts_with(b"<<") => {
                self.pos += 2;
                let mut dict = Vec::new();
                loop {
                    self.skip();
                    if self.rest().starts_with(b">>") {
                        self.pos += 2;
                        return Some(Obj::Dict(dict));
                    }
                    let Obj::Name(key) = self.object(depth + 1)? else {
                        return None;
                    };
                    let value = self.object(depth + 1)?;
                    dict.push((key, value));
                }
            }
            b'<' => {
                let Some(end) = memchr::memchr(b'>', rest) else {
                    self.read_to_end();
                    return None;
                };
                self.pos += end + 1;
                Some(Obj::Str)
            }
            b'(' => {
                let mut nesting = 0usize;
                let mut i = 0;
                while i < rest.len() {
                    match rest[i] {
                        b'\\' => i += 1,
                        b'(' => nesting += 1,
                        b')' => {
                            nesting -= 1;
                            if nesting == 0 {
                                self.pos += i + 1;
                                return Some(Obj::Str);
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                self.read_to_end();
                None
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Some(Obj::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                let word = self.token();
                let text = std::str::from_utf8(word).ok()?;
                let Ok(n) = text.parse::<i64>() else {
                    text.parse::<f64>().ok()?;
                    return Some(Obj::Number(None));
                };
                // `N G R` is a reference.
                let after = self.pos;
                if let (Ok(num), true) = (u32::try_from(n), word[0].is_ascii_digit())
                    && let Some(generation) = self.integer()
                    && let Ok(generation) = u32::try_from(generation)
                {
                    self.skip();
                    if self.token() == b"R" {
                        return Some(Obj::Ref((num, generation)));
                    }
                }
                self.pos = after;
                Some(Obj::Number(Some(n)))
            }
            _ => match self.token() {
                b"true" | b"false" => Some(Obj::Bool),
                b"null" => Some(Obj::Null),
                _ => None,
            },
        }
    }

    /// After a stream's dictionary: its data, and the lexer past
    /// `endstream`; `None` if no stream follows.
    fn stream(&mut self, dict: &Dict) -> Option<&'a [u8]> {
        let mut at = Lexer::new(self.bytes);
        at.pos = self.pos;
        at.skip();
        if at.token() != b"stream" {
            return None;
        }
        let mut start = at.pos;
        if self.bytes[start..].starts_with(b"\r\n") {
            start += 2;
        } else if self.bytes[start..].starts_with(b"\n") || self.bytes[start..].starts_with(b"\r") {
            start += 1;
        }
        // The stated length, when `endstream` is where it says.
        let stated = get(dict, b"Length")
            .and_then(Obj::int)
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end <= self.bytes.len())
            .filter(|&end| {
                let mut after = Lexer::new(self.bytes);
                after.pos = end;
                after.skip();
                after.rest().starts_with(b"endstream")
            });
        let end = match stated {
            Some(end) => end,
            None => {
                let Some(found) = memchr::memmem::find(&self.bytes[start..], b"endstream") else {
                    self.read_to_end();
                    return None;
                };
                let mut end = start + found;
                // The end-of-line before `endstream` is not data.
                if self.bytes[..end].ends_with(b"\r\n") {
                    end -= 2;
                } else if self.bytes[..end].ends_with(b"\n") || self.bytes[..end].ends_with(b"\r") {
                    end -= 1;
                }
                end.max(start)
            }
        };
        let data = &self.bytes[start..end];
        let Some(past) = memchr::memmem::find(&self.bytes[end..], b"endstream") else {
            self.read_to_end();
            return None;
        };
        self.pos = end + past + b"endstream".len();
        Some(data)
    }
}

/// A name's bytes with its `#xx` escapes decoded.
fn decode_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#'
            && let Some(hex) = raw.get(i + 1..i + 3)
            && let Ok(text) = std::str::from_utf8(hex)
            && let Ok(b) = u8::from_str_radix(text, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// Small PDFs written byte by byte, for the tests here and of the API.
#[cfg(test)]
pub mod sample {
    /// A PDF of `pages` blank A4 pages, with a correct cross-reference table.
    pub fn pdf(pages: usize) -> Vec<u8> {
        let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 3)).collect();
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            format!(
                "<< /Type /Pages /Kids [{}] /Count {pages} >>",
                kids.join(" ")
            ),
        ];
        for _ in 0..pages {
            objects.push("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_owned());
        }
        assemble(&objects, "1 0 R")
    }

    /// `objects` numbered from 1, with an xref table and a trailer.
    pub fn assemble(objects: &[String], root: &str) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root {root} >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::sample::{assemble, pdf};
    use super::*;
    use std::io::Write as _;

    fn objects(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    const TOO_MANY: PdfError = PdfError::Uncountable("it holds too many objects to read");

    /// An object stream whose entries all start at one offset would parse
    /// its body once per entry, each copy kept: a few kilobytes that
    /// inflate to megabytes of one-byte names (`[////…]`, 32 to 64 bytes of
    /// memory each) once cost gigabytes. The offsets must rise, and what
    /// the parsed objects hold is capped.
    #[test]
    fn an_object_stream_of_names_read_again_and_again_is_refused_not_kept() {
        let entries = 64;
        let header: String = (0..entries).map(|i| format!("{} 0 ", 100 + i)).collect();
        let mut body = header.clone().into_bytes();
        body.push(b'[');
        body.resize(4 * 1024 * 1024, b'/');
        body.push(b']');
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&body).unwrap();
        let packed = z.finish().unwrap();
        let mut out = pdf(1);
        out.extend_from_slice(
            format!(
                "9 0 obj\n<< /Type /ObjStm /N {entries} /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
                header.len(),
                packed.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&packed);
        out.extend_from_slice(b"\nendstream\nendobj\n");
        assert_eq!(count_pages(&out), Err(TOO_MANY));
    }

    #[test]
    fn a_flat_array_of_millions_of_names_is_refused_within_the_budget() {
        let mut f = b"%PDF-1.4\n1 0 obj [".to_vec();
        f.resize(6 * 1024 * 1024, b'/');
        f.extend_from_slice(b"] endobj\n");
        let file = scan(&f);
        assert!(file.kept > MAX_KEPT, "the budget is spent and seen");
        assert!(file.objects.is_empty(), "the unfinished object is not kept");
        assert_eq!(count_pages(&f), Err(TOO_MANY));
    }

    #[test]
    fn a_page_tree_that_shares_a_node_is_refused_not_walked_twice() {
        let pdf = assemble(
            &objects(&[
                "<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [3 0 R 3 0 R] >>",
                "<< /Type /Pages /Kids [4 0 R 4 0 R] >>",
                "<< /Type /Page >>",
            ]),
            "1 0 R",
        );
        assert!(matches!(count_pages(&pdf), Err(PdfError::Uncountable(_))));
    }

    #[test]
    fn a_pdf_of_one_or_two_pages_is_counted() {
        assert_eq!(count_pages(&pdf(1)), Ok(1));
        assert_eq!(count_pages(&pdf(2)), Ok(2));
        assert_eq!(count_pages(&pdf(0)), Ok(0), "an empty tree has no pages");
    }

    #[test]
    fn anything_that_does_not_start_with_the_magic_number_is_not_a_pdf() {
        let jpeg = [0xff, 0xd8, 0xff, 0xe0, 0, 16, b'J', b'F', b'I', b'F'];
        assert_eq!(count_pages(&jpeg), Err(PdfError::NotPdf));
        assert_eq!(count_pages(b"hello, this is text"), Err(PdfError::NotPdf));
        let mut late = b"   ".to_vec();
        late.extend_from_slice(&pdf(1));
        assert_eq!(count_pages(&late), Err(PdfError::NotPdf));
        assert_eq!(count_pages(b""), Err(PdfError::NotPdf));
    }

    #[test]
    fn only_the_magic_number_is_uncountable() {
        assert!(matches!(
            count_pages(b"%PDF-1.7\n"),
            Err(PdfError::Uncountable(_))
        ));
        let full = pdf(2);
        for cut in [20, full.len() / 3, full.len() / 2] {
            assert!(
                matches!(count_pages(&full[..cut]), Err(PdfError::Uncountable(_))),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_nested_tree_counts_its_leaves_not_its_pages_nodes() {
        // Tight syntax: `/Type/Page/Parent` must not read as `/Pages`.
        let pdf = assemble(
            &objects(&[
                "<</Type/Catalog/Pages 2 0 R>>",
                "<</Type/Pages/Kids[3 0 R 4 0 R]/Count 3>>",
                "<</Type/Pages/Parent 2 0 R/Kids[5 0 R 6 0 R]/Count 2>>",
                "<</Type/Page/Parent 2 0 R>>",
                "<</Type/Page/Parent 3 0 R>>",
                "<</Type/Page/Parent 3 0 R>>",
            ]),
            "1 0 R",
        );
        assert_eq!(count_pages(&pdf), Ok(3));
    }

    #[test]
    fn the_tree_is_walked_so_a_false_count_is_not_believed() {
        let pdf = assemble(
            &objects(&[
                "<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [3 0 R] /Count 9999 >>",
                "<< /Type /Page /Parent 2 0 R >>",
            ]),
            "1 0 R",
        );
        assert_eq!(count_pages(&pdf), Ok(1));
    }

    #[test]
    fn a_looping_or_broken_tree_is_refused() {
        let looping = assemble(
            &objects(&[
                "<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
            ]),
            "1 0 R",
        );
        assert_eq!(
            count_pages(&looping),
            Err(PdfError::Uncountable("its page tree loops"))
        );
        let missing = assemble(
            &objects(&[
                "<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [7 0 R] /Count 1 >>",
            ]),
            "1 0 R",
        );
        assert!(matches!(
            count_pages(&missing),
            Err(PdfError::Uncountable(_))
        ));
        let deep_nesting = format!("%PDF-1.4\n1 0 obj {} endobj", "[".repeat(100_000));
        assert!(count_pages(deep_nesting.as_bytes()).is_err());
    }

    #[test]
    fn an_incremental_update_that_removes_a_page_is_believed() {
        let mut file = pdf(2);
        file.extend_from_slice(
            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        );
        assert_eq!(count_pages(&file), Ok(1));
    }

    #[test]
    fn stream_data_is_stepped_over() {
        // A content stream that looks like objects, and with a wrong length.
        let content = "1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj trailer << /Root 1 0 R >>";
        for length in [content.len(), 3] {
            let pdf = assemble(
                &[
                    "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
                    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
                    "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_owned(),
                    format!("<< /Length {length} >>\nstream\n{content}\nendstream"),
                ],
                "1 0 R",
            );
            assert_eq!(count_pages(&pdf), Ok(1), "length {length}");
        }
    }

    #[test]
    fn pages_inside_a_compressed_object_stream_are_found() {
        // Objects 2, 3 and 4 (the tree) in an object stream, as PDF 1.5+
        // writers do, with a cross-reference stream as the trailer.
        let members = [
            "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 2 0 R >>",
            "<< /Type /Page /Parent 2 0 R >>",
        ];
        let mut header = String::new();
        let mut body = String::new();
        for (i, m) in members.iter().enumerate() {
            header.push_str(&format!("{} {} ", i + 2, body.len()));
            body.push_str(m);
            body.push(' ');
        }
        let plain = format!("{header}{body}");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(plain.as_bytes()).unwrap();
        let packed = z.finish().unwrap();
        let mut out = b"%PDF-1.5\n".to_vec();
        out.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
        out.extend_from_slice(
            format!(
                "5 0 obj\n<< /Type /ObjStm /N 3 /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
                header.len(),
                packed.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&packed);
        out.extend_from_slice(b"\nendstream\nendobj\n");
        out.extend_from_slice(
            b"6 0 obj\n<< /Type /XRef /Root 1 0 R /Size 7 /W [1 2 1] /Length 0 >>\nstream\n\nendstream\nendobj\nstartxref\n0\n%%EOF\n",
        );
        assert_eq!(count_pages(&out), Ok(2));
    }

    #[test]
    fn an_inflation_bomb_is_not_inflated_past_the_cap() {
        let zeros = vec![b' '; MAX_INFLATED + 1024];
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&zeros).unwrap();
        let packed = z.finish().unwrap();
        let mut out = pdf(1);
        out.extend_from_slice(
            format!(
                "9 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
                packed.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&packed);
        out.extend_from_slice(b"\nendstream\nendobj\n");
        assert_eq!(count_pages(&out), Ok(1));
    }

    #[test]
    fn unclosed_strings_and_streams_cost_a_bounded_pass() {
        let mut file = b"%PDF-1.4\n".to_vec();
        while file.len() < 10 * 1024 * 1024 {
            file.extend_from_slice(b"1 0 obj (\n2 0 obj <<>> stream\n");
        }
        let started = std::time::Instant::now();
        assert!(count_pages(&file).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn names_with_escapes_are_decoded() {
        assert_eq!(decode_name(b"Pa#67e"), b"Page");
        assert_eq!(decode_name(b"A#"), b"A#");
    }
}
