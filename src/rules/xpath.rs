//! Translation of XPath 1.0 expressions (as written in ftr-site-config files) into CSS selectors
//! that `scraper::Selector::parse` accepts. Owns the translation and its soundness rules.
//!
//! # Why translate instead of evaluating XPath
//! clearfeed parses pages with html5ever into `scraper`'s tree. There is no maintained pure-Rust
//! XPath 1.0 engine over that tree, and site rules use a small, regular part of XPath: location
//! paths with attribute tests. That part has an exact CSS counterpart, so rules are translated
//! once at load time and the extractor keeps a single selector engine. An expression outside
//! that part is *untranslatable*: the loader skips it with a counted warning and keeps the rest of
//! the file. On the ftr-site-config snapshot translation covers the large majority of
//! expressions (see `RulesLibrary::load`'s report).
//!
//! # What is translated
//! | XPath | CSS |
//! | --- | --- |
//! | `//div`, `//a//b`, `/html/body`, `a/b` | `div`, `a b`, `html:root > body`, `a:root > b` |
//! | `*`, `x | y` | `*`, `x, y` |
//! | `[@class='x']`, `[@id="x"]`, `[@x]`, `[@x!='v']` | `[class="x"]`, `[id="x"]`, `[x]`, `[x]:not([x="v"])` |
//! | `[contains(@class,'x')]`, `[starts-with(@x,'v')]` | `[class*="x"]`, `[x^="v"]` |
//! | `[contains(concat(' ',normalize-space(@class),' '),' x ')]` | `.x` (`[id~="x"]` for other attributes) |
//! | `[a and b]`, `[a or b]`, `[not(a)]` | `AB`, `:is(A, B)`, `:not(A)` |
//! | `[p]`, `[.//p]`, `[p/@href]`, `[following-sibling::p]` | `:has(> p)`, `:has(p)`, `:has(> p[href])`, `:has(~ p)` |
//! | `x[1]`, `*[2]`, `x[last()]` (first predicate, child axis) | `x:nth-of-type(1)`, `:nth-child(2)`, `x:last-of-type` |
//! | `a/following-sibling::b`, `a/self::*` | `a ~ b`, `a` |
//! | `//a/..`, `//x/a/parent::y`, `//a/ancestor::y` | `:has(> a)`, `x:has(> a):is(y)`, `y:has(a)` |
//! | trailing `/@content` | the selector, with `attr = Some("content")` |
//! | trailing `/text()` | the selector: the element's text stands for its text nodes |
//!
//! Untranslatable: functions at the top level (`substring-after(...)`, `normalize-space(//h1)`),
//! tests on text (`text()`, `.`, `contains(., 'x')`), positions after another predicate or on a
//! non-child axis (`x[@a][1]`, `following-sibling::p[1]`, `ancestor::div[1]`), the preceding
//! and following axes, a parent or ancestor step after `//` in mid-path, `(//x)[1]`, namespaced names, a predicate path inside a predicate path (`:has` cannot
//! nest) and arithmetic. Every translation is validated with `scraper::Selector::parse`.

mod parse;
#[cfg(test)]
mod tests;

use parse::{Axis, CmpOp, Expr, NodeTest, Path, Sep, Start, Step};

/// A translated expression: a CSS selector list, and the attribute to read from the matched
/// elements when the XPath ended in `/@attr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    pub css: String,
    pub attr: Option<String>,
}

/// Why an XPath expression has no CSS translation. `reason` is a short, stable phrase (it is
/// used to group skipped expressions in reports), never the expression itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("untranslatable XPath: {reason}")]
pub struct Untranslatable {
    pub reason: String,
}

type Res<T> = Result<T, Untranslatable>;

fn fail<T>(reason: impl Into<String>) -> Res<T> {
    Err(Untranslatable {
        reason: reason.into(),
    })
}

/// Translates one XPath 1.0 expression into a CSS selector list that `scraper` accepts.
pub fn translate(xpath: &str) -> Result<Translated, Untranslatable> {
    let expr = parse::parse(xpath).map_err(|e| Untranslatable {
        reason: format!("not XPath 1.0 this translator reads: {}", e.0),
    })?;
    let items = match expr {
        Expr::Union(items) => items,
        other => vec![other],
    };
    let mut parts = Vec::with_capacity(items.len());
    let mut attr: Option<Option<String>> = None;
    for item in items {
        let Expr::Path(path) = item else {
            return fail(top_level_reason(&item));
        };
        let (css, a) = top_path(&path)?;
        match &attr {
            Some(prev) if *prev != a => return fail("union mixes different attribute results"),
            Some(_) => {}
            None => attr = Some(a),
        }
        parts.push(css);
    }
    let css = parts.join(", ");
    if scraper::Selector::parse(&css).is_err() {
        return fail("scraper rejects the CSS form");
    }
    Ok(Translated {
        css,
        attr: attr.flatten(),
    })
}

fn top_level_reason(e: &Expr) -> String {
    match e {
        Expr::Call(name, _) => format!("function {name}() at the top level"),
        Expr::Literal(_) | Expr::Number(_) => "a constant, not a node selection".into(),
        Expr::Filter => "filter expression like (//x)[1]".into(),
        _ => "a boolean or comparison, not a node selection".into(),
    }
}

/// A top-level location path: strips a trailing `/@attr` or `/text()` step, then translates.
fn top_path(path: &Path) -> Res<(String, Option<String>)> {
    let mut steps: &[Step] = &path.steps;
    let mut attr = None;
    if let Some(last) = steps.last() {
        match (&last.axis, &last.test) {
            (Axis::Attribute, NodeTest::Name(n))
                if last.sep == Sep::Child && last.preds.is_empty() =>
            {
                attr = Some(n.clone());
                steps = &steps[..steps.len() - 1];
            }
            (Axis::Attribute, _) => {
                return fail("attribute step that is not a plain trailing /@name");
            }
            (Axis::Child, NodeTest::Text) if last.sep == Sep::Child && last.preds.is_empty() => {
                steps = &steps[..steps.len() - 1];
            }
            (Axis::Child, NodeTest::Text) => return fail("text() test"),
            _ => {}
        }
    }
    if steps.is_empty() {
        return fail("selects the context node itself");
    }
    let start = if path.start == Start::Relative {
        // Rules are evaluated with the document as the context node.
        Start::Root
    } else {
        path.start
    };
    Ok((steps_css(start, steps, false, None)?, attr))
}

/// One element of a CSS complex selector: the combinator before it, its type, its compound.
struct Part {
    comb: &'static str,
    name: Option<String>,
    compound: String,
}

/// Translates a run of steps. `in_has` is set inside a `:has()` argument, where the path is
/// relative to the element the predicate is on. `tail` is a fragment for the last element.
fn steps_css(start: Start, steps: &[Step], in_has: bool, tail: Option<&str>) -> Res<String> {
    if in_has && start != Start::Relative {
        return fail("absolute path inside a predicate");
    }
    let mut parts: Vec<Part> = Vec::new();
    let mut pending_desc = start == Start::RootDesc;
    for step in steps {
        match step.axis {
            Axis::Itself => {
                self_step(step, &mut parts, &mut pending_desc, in_has)?;
                continue;
            }
            Axis::Parent | Axis::Ancestor => {
                up_step(step, &mut parts, start, in_has)?;
                continue;
            }
            _ => {}
        }
        let desc = pending_desc || step.sep == Sep::Desc;
        pending_desc = false;
        let comb = combinator(step.axis, desc)?;
        if parts.is_empty() && !in_has && comb == " ~ " {
            return fail("sibling axis from the document root");
        }
        let (name, mut compound) = compound(step, in_has)?;
        if parts.is_empty() && !in_has && start == Start::Root && comb == " > " {
            compound.push_str(":root");
        }
        parts.push(Part {
            comb,
            name,
            compound,
        });
    }
    let Some(last) = parts.last_mut() else {
        return fail("selects the context node itself");
    };
    last.compound.push_str(tail.unwrap_or_default());
    let mut out = String::new();
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push_str(p.comb);
        } else if in_has {
            out.push_str(p.comb.trim_start());
        }
        out.push_str(&tidy_compound(p.compound));
    }
    Ok(out)
}

/// `.` or `self::x[...]`: no new element; a name test or predicates narrow the previous one.
fn self_step(step: &Step, parts: &mut [Part], pending_desc: &mut bool, in_has: bool) -> Res<()> {
    if step.test == NodeTest::Node && step.preds.is_empty() {
        *pending_desc |= step.sep == Sep::Desc;
        return Ok(());
    }
    if step.sep == Sep::Desc || *pending_desc {
        return fail("self axis after //");
    }
    let Some(last) = parts.last_mut() else {
        return fail("self axis test on the context node");
    };
    narrow(last, step, in_has)
}

/// Applies a step's name test and predicates to an existing element.
fn narrow(part: &mut Part, step: &Step, in_has: bool) -> Res<()> {
    match &step.test {
        NodeTest::Name(n) if n.contains(':') => return fail("namespaced name"),
        NodeTest::Name(n) => {
            let n = ident(&n.to_ascii_lowercase());
            match &part.name {
                Some(have) if *have == n => {}
                Some(_) => return fail("name test that can never match"),
                None => part.compound.push_str(&format!(":is({n})")),
            }
        }
        NodeTest::Any | NodeTest::Node => {}
        _ => return fail("text() test"),
    }
    for pred in &step.preds {
        part.compound
            .push_str(&predicate(pred, false, false, in_has)?);
    }
    Ok(())
}

/// `x/..`, `x/parent::y`: the element that has x as a child. `//x/ancestor::y`: a y that has
/// an x inside. Translatable where the element above is not constrained by a `//` before x.
fn up_step(step: &Step, parts: &mut Vec<Part>, start: Start, in_has: bool) -> Res<()> {
    if in_has {
        return fail("parent or ancestor axis inside a predicate");
    }
    let Some(child) = parts.pop() else {
        return fail("parent of the context node");
    };
    let from_root_desc = parts.is_empty() && child.comb == " " && start == Start::RootDesc;
    let has = if step.axis == Axis::Ancestor {
        if !from_root_desc {
            return fail("ancestor axis after a longer path");
        }
        format!(":has({})", tidy_compound(child.compound))
    } else {
        if !(from_root_desc || (!parts.is_empty() && child.comb == " > ")) {
            return fail("parent axis after // or a sibling step");
        }
        format!(":has(> {})", tidy_compound(child.compound))
    };
    if parts.is_empty() {
        let name = match &step.test {
            NodeTest::Name(n) if !n.contains(':') => Some(ident(&n.to_ascii_lowercase())),
            _ => None,
        };
        parts.push(Part {
            comb: child.comb,
            compound: name.clone().unwrap_or_else(|| "*".into()),
            name,
        });
    }
    let up = parts.last_mut().expect("not empty");
    up.compound.push_str(&has);
    narrow(up, step, false)
}

fn combinator(axis: Axis, desc: bool) -> Res<&'static str> {
    match (axis, desc) {
        (Axis::Child, false) => Ok(" > "),
        (Axis::Child, true) | (Axis::Descendant, _) => Ok(" "),
        (Axis::FollowingSibling, false) => Ok(" ~ "),
        (Axis::FollowingSibling, true) => fail("following-sibling after //"),
        (Axis::DescendantOrSelf, _) => fail("descendant-or-self axis"),
        (Axis::Attribute, _) => fail("attribute step in the middle of a path"),
        _ => fail("preceding, following or ancestor-or-self axis"),
    }
}

/// `*` followed by other simple selectors is redundant.
fn tidy_compound(c: String) -> String {
    match c.strip_prefix('*') {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => c,
    }
}

/// The compound selector for one element step: its name test and predicates.
fn compound(step: &Step, in_has: bool) -> Res<(Option<String>, String)> {
    let (name, any) = match &step.test {
        NodeTest::Name(n) if n.contains(':') => return fail("namespaced name"),
        NodeTest::Name(n) => (Some(ident(&n.to_ascii_lowercase())), false),
        NodeTest::Any => (None, true),
        NodeTest::Text => return fail("text() test"),
        _ => return fail("node(), comment() or processing-instruction() step"),
    };
    let mut out = name.clone().unwrap_or_else(|| "*".to_string());
    for (j, pred) in step.preds.iter().enumerate() {
        let positional_ok = j == 0 && step.axis == Axis::Child;
        out.push_str(&predicate(pred, positional_ok, any, in_has)?);
    }
    Ok((name, out))
}

fn predicate(e: &Expr, positional_ok: bool, any: bool, in_has: bool) -> Res<String> {
    let position = match e {
        Expr::Number(n) => Some(Some(*n)),
        Expr::Call(name, args) if name == "last" && args.is_empty() => Some(None),
        _ => None,
    };
    let Some(position) = position else {
        return boolean(e, in_has);
    };
    if !positional_ok {
        return fail("position after another predicate or off the child axis");
    }
    match position {
        Some(n) if n >= 1.0 && n.fract() == 0.0 => {
            let kind = if any { "child" } else { "of-type" };
            Ok(format!(":nth-{kind}({n})"))
        }
        Some(_) => fail("position that is not a positive integer"),
        None if any => Ok(":last-child".into()),
        None => Ok(":last-of-type".into()),
    }
}

/// A predicate used as a boolean: a fragment appended to the element's compound selector.
/// The empty fragment means "always true".
fn boolean(e: &Expr, in_has: bool) -> Res<String> {
    match e {
        Expr::And(items) => items.iter().map(|i| boolean(i, in_has)).collect(),
        Expr::Or(items) => {
            let frags = items
                .iter()
                .map(|i| boolean(i, in_has))
                .collect::<Res<Vec<_>>>()?;
            if frags.iter().any(String::is_empty) {
                return Ok(String::new());
            }
            Ok(format!(":is({})", frags.join(", ")))
        }
        Expr::Call(name, args) => call(name, args, in_has),
        Expr::Cmp(l, op, r) => comparison(l, *op, r, in_has),
        Expr::Path(p) => exists(p, in_has, None),
        Expr::Union(_) => fail("union inside a predicate"),
        Expr::Number(_) => fail("position after another predicate or off the child axis"),
        Expr::Literal(_) | Expr::Filter => fail("constant or filter expression in a predicate"),
    }
}

fn call(name: &str, args: &[Expr], in_has: bool) -> Res<String> {
    match (name, args) {
        ("not", [inner]) => {
            let f = boolean(inner, in_has)?;
            if f.is_empty() {
                return fail("always-false predicate");
            }
            Ok(format!(":not({f})"))
        }
        ("boolean", [inner]) => boolean(inner, in_has),
        ("true", []) => Ok(String::new()),
        ("contains", [hay, Expr::Literal(needle)]) => contains(hay, needle),
        ("starts-with", [hay, Expr::Literal(prefix)]) => match attr_of(hay) {
            Some(a) if prefix.is_empty() => Ok(format!("[{}]", ident(a))),
            Some(a) => Ok(format!("[{}^={}]", ident(a), css_string(prefix))),
            None => fail(text_or_fn_reason(hay, "starts-with")),
        },
        ("position", _) => fail("position() expression"),
        _ => fail(format!("function {name}() in a predicate")),
    }
}

fn text_or_fn_reason(e: &Expr, name: &str) -> String {
    match e {
        Expr::Path(p) if p.steps.iter().all(|s| s.axis != Axis::Attribute) => {
            "test on text content".into()
        }
        _ => format!("{name}() over something other than an attribute"),
    }
}

/// `contains(haystack, 'needle')`.
fn contains(hay: &Expr, needle: &str) -> Res<String> {
    if let Some(a) = attr_of(hay) {
        return Ok(substring(a, needle));
    }
    match hay {
        Expr::Call(f, args) if f == "normalize-space" => match args.as_slice() {
            [inner] if !needle.contains(char::is_whitespace) => match attr_of(inner) {
                Some(a) => Ok(substring(a, needle)),
                None => fail(text_or_fn_reason(inner, "contains")),
            },
            _ => fail("contains(normalize-space(...)) with a phrase"),
        },
        Expr::Call(f, args) if f == "concat" => token_test(args, needle),
        _ => fail(text_or_fn_reason(hay, "contains")),
    }
}

fn substring(attr: &str, needle: &str) -> String {
    if needle.is_empty() {
        // CSS `*=""` matches nothing; XPath contains(x, '') is true wherever x exists.
        format!("[{}]", ident(attr))
    } else {
        format!("[{}*={}]", ident(attr), css_string(needle))
    }
}

/// `contains(concat(' ', normalize-space(@a), ' '), ' token ')`: a whitespace-separated token.
fn token_test(args: &[Expr], needle: &str) -> Res<String> {
    let [Expr::Literal(pre), inner, Expr::Literal(post)] = args else {
        return fail("concat() other than the class-token idiom");
    };
    if pre != " " || post != " " {
        return fail("concat() other than the class-token idiom");
    }
    let attr = match inner {
        Expr::Call(f, a) if f == "normalize-space" && a.len() == 1 => attr_of(&a[0]),
        other => attr_of(other),
    };
    let Some(attr) = attr else {
        return fail("concat() other than the class-token idiom");
    };
    let token = needle.trim_matches(' ');
    if token.is_empty() || token.contains(char::is_whitespace) {
        return fail("class-token test with several words");
    }
    let (a, q) = (ident(attr), css_string(token));
    match (needle.starts_with(' '), needle.ends_with(' ')) {
        (true, true) if needle.len() == token.len() + 2 => {}
        (true, true) => return fail("class-token test with extra spaces"),
        // ' tok': some token starts with tok; 'tok ': some token ends with it.
        (true, false) => return Ok(format!(":is([{a}^={q}], [{a}*={}])", css_string(needle))),
        (false, true) => return Ok(format!(":is([{a}$={q}], [{a}*={}])", css_string(needle))),
        // Without spaces this is a plain substring test on the padded value.
        (false, false) => return Ok(substring(attr, needle)),
    }
    if attr.eq_ignore_ascii_case("class") {
        Ok(format!(".{}", ident(token)))
    } else {
        Ok(format!("[{a}~={q}]"))
    }
}

/// The attribute name when `e` is the path `@name`.
fn attr_of(e: &Expr) -> Option<&str> {
    let Expr::Path(p) = e else { return None };
    match p.steps.as_slice() {
        [s] if p.start == Start::Relative
            && s.axis == Axis::Attribute
            && s.preds.is_empty()
            && !matches!(&s.test, NodeTest::Name(n) if n.contains(':')) =>
        {
            match &s.test {
                NodeTest::Name(n) => Some(n.as_str()),
                _ => None,
            }
        }
        _ => None,
    }
}

fn comparison(l: &Expr, op: CmpOp, r: &Expr, in_has: bool) -> Res<String> {
    let (path, value) = match (l, r) {
        (Expr::Path(p), Expr::Literal(v)) | (Expr::Literal(v), Expr::Path(p)) => (p, v),
        (Expr::Call(f, _), Expr::Literal(_)) if f == "normalize-space" => {
            return fail("comparison with normalize-space()");
        }
        _ => return fail("comparison other than attribute with a string"),
    };
    let Some(Step {
        axis: Axis::Attribute,
        test: NodeTest::Name(attr),
        preds,
        ..
    }) = path.steps.last()
    else {
        return fail("test on text content");
    };
    if !preds.is_empty() || attr.contains(':') {
        return fail("comparison with a namespaced or filtered attribute");
    }
    let a = ident(attr);
    let frag = match op {
        CmpOp::Eq => format!("[{a}={}]", css_string(value)),
        CmpOp::Ne => format!("[{a}]:not([{a}={}])", css_string(value)),
        CmpOp::Other => return fail("ordering comparison"),
    };
    if path.steps.len() == 1 {
        return Ok(frag);
    }
    let inner = Path {
        start: path.start,
        steps: path.steps[..path.steps.len() - 1].to_vec(),
    };
    exists(&inner, in_has, Some(frag.as_str()))
}

/// A path used as a predicate: true when it selects something, so `:has(...)`.
fn exists(p: &Path, in_has: bool, tail: Option<&str>) -> Res<String> {
    if let (Some(a), None) = (attr_of(&Expr::Path(p.clone())), tail) {
        return Ok(format!("[{}]", ident(a)));
    }
    if in_has {
        return fail("path predicate inside a path predicate (:has cannot nest)");
    }
    let mut steps = p.steps.clone();
    let mut tail = tail.map(str::to_string);
    if let Some(last) = steps.last() {
        match (&last.axis, &last.test) {
            (Axis::Attribute, NodeTest::Name(n)) if tail.is_none() && last.preds.is_empty() => {
                tail = Some(format!("[{}]", ident(n)));
                steps.pop();
            }
            (Axis::Attribute, _) => {
                return fail("attribute step that is not a plain trailing @name");
            }
            (_, NodeTest::Text) => return fail("text() test"),
            _ => {}
        }
    }
    if steps.iter().all(|s| s.axis == Axis::Itself) {
        return fail("test on text content");
    }
    let rel = steps_css(p.start, &steps, true, tail.as_deref())?;
    Ok(format!(":has({rel})"))
}

/// A CSS identifier for `s`, escaped where needed.
pub(crate) fn ident(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let lone_dash = s == "-";
    for (i, c) in s.chars().enumerate() {
        let digit_start = c.is_ascii_digit() && (i == 0 || (i == 1 && s.starts_with('-')));
        if c.is_ascii_control() || digit_start {
            out.push_str(&format!("\\{:x} ", c as u32));
        } else if c.is_ascii_alphanumeric() || c == '_' || (c == '-' && !lone_dash) || !c.is_ascii()
        {
            out.push(c);
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// A double-quoted CSS string for `s`.
pub(crate) fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\{:x} ", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
