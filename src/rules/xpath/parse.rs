//! Tokenizer and recursive-descent parser for the XPath 1.0 expression grammar, into a small
//! syntax tree. It accepts all of XPath 1.0 that site rules use except arithmetic and variables;
//! deciding what of the tree has a CSS equivalent is the translator's job (`super`).

/// How a step is joined to what comes before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sep {
    /// `/`: the step's axis starts from the previous node.
    Child,
    /// `//`: the step's axis starts from any descendant-or-self of the previous node.
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Itself,
    Attribute,
    FollowingSibling,
    Parent,
    Ancestor,
    /// Axes with no CSS counterpart: preceding, following, ancestor-or-self, namespace.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum NodeTest {
    Name(String),
    Any,
    Text,
    Node,
    /// comment(), processing-instruction().
    OtherKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Step {
    pub sep: Sep,
    pub axis: Axis,
    pub test: NodeTest,
    pub preds: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// No leading slash: starts at the context node.
    Relative,
    /// `/...`: starts at the document root.
    Root,
    /// `//...`: starts at any descendant of the document root.
    RootDesc,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Path {
    pub start: Start,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    Union(Vec<Expr>),
    Path(Path),
    Call(String, Vec<Expr>),
    Literal(String),
    Number(f64),
    /// `(expr)[pred]`, `(expr)/step`: a filter expression.
    Filter,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Slash,
    DSlash,
    Pipe,
    LBrack,
    RBrack,
    LParen,
    RParen,
    At,
    Comma,
    Cmp(CmpOp),
    Star,
    Dot,
    DDot,
    Axis(String),
    Name(String),
    Literal(String),
    Number(f64),
}

/// The parser's failure: the text is not in the supported XPath 1.0 grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError(pub &'static str);

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn tokenize(src: &str) -> Result<Vec<Tok>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '/' if next == Some('/') => (Tok::DSlash, 2),
            '/' => (Tok::Slash, 1),
            '|' => (Tok::Pipe, 1),
            '[' => (Tok::LBrack, 1),
            ']' => (Tok::RBrack, 1),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '@' => (Tok::At, 1),
            ',' => (Tok::Comma, 1),
            '*' => (Tok::Star, 1),
            '=' => (Tok::Cmp(CmpOp::Eq), 1),
            '!' if next == Some('=') => (Tok::Cmp(CmpOp::Ne), 2),
            '<' | '>' if next == Some('=') => (Tok::Cmp(CmpOp::Other), 2),
            '<' | '>' => (Tok::Cmp(CmpOp::Other), 1),
            '.' if next == Some('.') => (Tok::DDot, 2),
            '.' if next.is_some_and(|d| d.is_ascii_digit()) => number(&chars, i)?,
            '.' => (Tok::Dot, 1),
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .ok_or(SyntaxError("unterminated string literal"))?;
                let text: String = chars[i + 1..i + 1 + end].iter().collect();
                (Tok::Literal(text), end + 2)
            }
            c if c.is_ascii_digit() => number(&chars, i)?,
            c if is_name_start(c) => name(&chars, i),
            '$' => return Err(SyntaxError("variables")),
            '+' | '-' => return Err(SyntaxError("arithmetic")),
            _ => return Err(SyntaxError("unexpected character")),
        };
        out.push(tok);
        i += len;
    }
    Ok(out)
}

fn number(chars: &[char], i: usize) -> Result<(Tok, usize), SyntaxError> {
    let len = chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == '.')
        .count();
    let text: String = chars[i..i + len].iter().collect();
    let n = text.parse::<f64>().map_err(|_| SyntaxError("bad number"))?;
    Ok((Tok::Number(n), len))
}

/// A name (QName) or an axis name followed by `::`.
fn name(chars: &[char], i: usize) -> (Tok, usize) {
    let mut len = chars[i..].iter().take_while(|c| is_name_char(**c)).count();
    // A prefixed name `p:local`, but not `axis::`.
    if chars.get(i + len) == Some(&':')
        && chars
            .get(i + len + 1)
            .is_some_and(|c| is_name_start(*c) || *c == '*')
    {
        len += 1 + chars[i + len + 1..]
            .iter()
            .take_while(|c| is_name_char(**c) || **c == '*')
            .count();
    }
    let text: String = chars[i..i + len].iter().collect();
    let mut j = i + len;
    while chars.get(j).is_some_and(|c| c.is_whitespace()) {
        j += 1;
    }
    if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
        return (Tok::Axis(text), j + 2 - i);
    }
    (Tok::Name(text), len)
}

/// Parses a whole XPath expression.
pub(super) fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(SyntaxError("empty expression"));
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.or_expr()?;
    if p.pos != p.toks.len() {
        return Err(SyntaxError("unexpected trailing text"));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok, what: &'static str) -> Result<(), SyntaxError> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(SyntaxError(what))
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut items = vec![self.and_expr()?];
        while self.eat_word("or") {
            items.push(self.and_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut items = vec![self.cmp_expr()?];
        while self.eat_word("and") {
            items.push(self.cmp_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn cmp_expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.union_expr()?;
        while let Some(Tok::Cmp(op)) = self.peek().cloned() {
            self.pos += 1;
            let right = self.union_expr()?;
            left = Expr::Cmp(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn union_expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut items = vec![self.path_expr()?];
        while self.eat(&Tok::Pipe) {
            items.push(self.path_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Union(items)
        })
    }

    fn path_expr(&mut self) -> Result<Expr, SyntaxError> {
        match self.peek() {
            Some(Tok::Literal(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(Expr::Literal(s))
            }
            Some(Tok::Number(n)) => {
                let n = *n;
                self.pos += 1;
                Ok(Expr::Number(n))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let inner = self.or_expr()?;
                self.expect(&Tok::RParen, "unbalanced parentheses")?;
                if matches!(self.peek(), Some(Tok::LBrack | Tok::Slash | Tok::DSlash)) {
                    self.skip_filter_tail()?;
                    return Ok(Expr::Filter);
                }
                Ok(inner)
            }
            Some(Tok::Name(n)) if self.peek_at(1) == Some(&Tok::LParen) && !is_node_type(n) => {
                self.call()
            }
            _ => Ok(Expr::Path(self.location_path()?)),
        }
    }

    /// Consumes the predicates and steps after a parenthesised expression.
    fn skip_filter_tail(&mut self) -> Result<(), SyntaxError> {
        while self.eat(&Tok::LBrack) {
            self.or_expr()?;
            self.expect(&Tok::RBrack, "unbalanced brackets")?;
        }
        if matches!(self.peek(), Some(Tok::Slash | Tok::DSlash)) {
            self.pos += 1;
            self.relative_steps(Sep::Child, &mut Vec::new())?;
        }
        Ok(())
    }

    fn call(&mut self) -> Result<Expr, SyntaxError> {
        let Some(Tok::Name(name)) = self.peek().cloned() else {
            return Err(SyntaxError("expected a function name"));
        };
        self.pos += 2;
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                args.push(self.or_expr()?);
                if self.eat(&Tok::RParen) {
                    break;
                }
                self.expect(&Tok::Comma, "expected , or ) in a function call")?;
            }
        }
        if matches!(self.peek(), Some(Tok::LBrack | Tok::Slash | Tok::DSlash)) {
            self.skip_filter_tail()?;
            return Ok(Expr::Filter);
        }
        Ok(Expr::Call(name, args))
    }

    fn location_path(&mut self) -> Result<Path, SyntaxError> {
        let mut steps = Vec::new();
        let start = match self.peek() {
            Some(Tok::Slash) => {
                self.pos += 1;
                if !self.starts_step() {
                    return Err(SyntaxError("the bare root / selects no element"));
                }
                Start::Root
            }
            Some(Tok::DSlash) => {
                self.pos += 1;
                Start::RootDesc
            }
            _ => Start::Relative,
        };
        let first_sep = if start == Start::RootDesc {
            Sep::Desc
        } else {
            Sep::Child
        };
        self.relative_steps(first_sep, &mut steps)?;
        Ok(Path { start, steps })
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(Tok::Name(_) | Tok::Star | Tok::At | Tok::Dot | Tok::DDot | Tok::Axis(_))
        )
    }

    fn relative_steps(&mut self, first: Sep, steps: &mut Vec<Step>) -> Result<(), SyntaxError> {
        let mut sep = first;
        loop {
            steps.push(self.step(sep)?);
            sep = match self.peek() {
                Some(Tok::Slash) => Sep::Child,
                Some(Tok::DSlash) => Sep::Desc,
                _ => return Ok(()),
            };
            self.pos += 1;
        }
    }

    fn step(&mut self, sep: Sep) -> Result<Step, SyntaxError> {
        let (axis, test) = match self.peek().cloned() {
            Some(Tok::Dot) => {
                self.pos += 1;
                (Axis::Itself, NodeTest::Node)
            }
            Some(Tok::DDot) => {
                self.pos += 1;
                (Axis::Parent, NodeTest::Node)
            }
            Some(Tok::At) => {
                self.pos += 1;
                (Axis::Attribute, self.node_test()?)
            }
            Some(Tok::Axis(a)) => {
                self.pos += 1;
                (axis_named(&a)?, self.node_test()?)
            }
            _ => (Axis::Child, self.node_test()?),
        };
        let mut preds = Vec::new();
        while self.eat(&Tok::LBrack) {
            preds.push(self.or_expr()?);
            self.expect(&Tok::RBrack, "unbalanced brackets")?;
        }
        Ok(Step {
            sep,
            axis,
            test,
            preds,
        })
    }

    fn node_test(&mut self) -> Result<NodeTest, SyntaxError> {
        match self.peek().cloned() {
            Some(Tok::Star) => {
                self.pos += 1;
                Ok(NodeTest::Any)
            }
            Some(Tok::Name(n)) if self.peek_at(1) == Some(&Tok::LParen) => {
                self.pos += 2;
                if !self.eat(&Tok::RParen) {
                    // processing-instruction('name')
                    self.pos += 1;
                    self.expect(&Tok::RParen, "bad node type test")?;
                }
                Ok(match n.as_str() {
                    "text" => NodeTest::Text,
                    "node" => NodeTest::Node,
                    _ => NodeTest::OtherKind,
                })
            }
            Some(Tok::Name(n)) => {
                self.pos += 1;
                Ok(NodeTest::Name(n))
            }
            _ => Err(SyntaxError("expected a step")),
        }
    }
}

fn is_node_type(name: &str) -> bool {
    matches!(name, "text" | "node" | "comment" | "processing-instruction")
}

fn axis_named(name: &str) -> Result<Axis, SyntaxError> {
    Ok(match name {
        "child" => Axis::Child,
        "descendant" => Axis::Descendant,
        "descendant-or-self" => Axis::DescendantOrSelf,
        "self" => Axis::Itself,
        "attribute" => Axis::Attribute,
        "following-sibling" => Axis::FollowingSibling,
        "parent" => Axis::Parent,
        "ancestor" => Axis::Ancestor,
        "ancestor-or-self" | "preceding" | "preceding-sibling" | "following" | "namespace" => {
            Axis::Other
        }
        _ => return Err(SyntaxError("unknown axis")),
    })
}
