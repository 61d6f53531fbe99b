//! How deeply a program nests, estimated from its text before swc parses it.
//!
//! swc's parser recurses once per level of nesting (brackets, prefix
//! operators, right-associative operators, keywords such as `typeof`) and has
//! no limit of its own: 800 nested parentheses overflow a 2 MiB thread stack
//! and abort the process. So before parsing, a scan over the text estimates
//! the parser's depth from above and refuses programs that nest too deeply.
//!
//! The estimate must never be lower than the real depth, whatever the
//! program, or a crafted one could still crash the parser. Two rules make it
//! an upper bound:
//!
//! - Every token that can start a level of recursion counts: each open
//!   bracket is a level, and inside a level every operator and keyword adds
//!   one, until a `,`, a `;`, or a line break where a statement certainly ends.
//!   Left-associative chains (`a + b + c`) count too, which overestimates.
//! - Where the text can be read two ways (a `/` after `)`, `}`, `>`, `!`, `++`
//!   or a keyword may divide or start a regular expression, which decides
//!   whether the following quotes and brackets are code), the scan follows
//!   both readings and reports the deeper. Every other step follows the
//!   JavaScript lexer exactly, so the reading swc takes is always among
//!   those followed.

/// Why a program was refused, and at which byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The estimated depth passed the limit here.
    TooDeep { at: usize },
    /// So many readings were possible at once that following them all would
    /// cost too much (never seen in real programs).
    TooAmbiguous { at: usize },
}

/// How many readings are followed at once before giving up.
const MAX_READINGS: usize = 32;

/// Checks that `code` nests at most `limit` levels deep (estimated from above).
pub(crate) fn check(code: &str, limit: u32) -> Result<(), Refused> {
    let mut readings = vec![Reading::new()];
    let mut at = 0;
    while at < code.len() {
        if let [reading] = readings.as_mut_slice() {
            // The common case, one reading, in a tight loop until it forks.
            match reading.run(code, &mut at, limit)? {
                Some(fork) => readings.push(fork),
                None => break,
            }
            continue;
        }
        let c = code[at..].chars().next().expect("not at the end");
        let next = code[at + c.len_utf8()..].chars().next();
        let mut forks = Vec::new();
        for reading in &mut readings {
            if let Some(fork) = reading.step(code, at, c, next) {
                forks.push(fork);
            }
        }
        if readings.iter().chain(&forks).any(|r| r.depth > limit) {
            return Err(Refused::TooDeep { at });
        }
        at += c.len_utf8();
        readings.append(&mut forks);
        merge(&mut readings);
        if readings.len() > MAX_READINGS {
            return Err(Refused::TooAmbiguous { at });
        }
    }
    for reading in &mut readings {
        reading.end_word(code, code.len());
    }
    if readings.iter().any(|r| r.depth > limit) {
        return Err(Refused::TooDeep { at: code.len() });
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Code,
    /// A string literal closed by this quote.
    Str(char),
    Regex,
    RegexClass,
    LineComment,
    BlockComment,
    /// Template text (between `` ` `` or `}` and `${` or `` ` ``).
    Template,
}

/// What the last token lets a `/` be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Before {
    /// An expression must start: `/` starts a regular expression.
    Operand,
    /// A value ended: `/` divides.
    Value,
    /// Either (after `)`, `}`, `>`, `!`, `++`, `--`, keywords): follow both.
    Either,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    Paren,
    /// The parentheses of `if (...)`, `while (...)`, `for (...)`, `with
    /// (...)`: the statement after them nests inside, line break or not.
    Head,
    Bracket,
    Brace,
    /// `${` inside a template.
    Interpolation,
    /// `<`: type parameters or arguments, or a comparison. Closed by `>`, or
    /// given up at `;` or at the closing of an enclosing bracket.
    Angle,
}

/// One way of reading the text so far.
#[derive(Clone, Debug)]
struct Reading {
    mode: Mode,
    before: Before,
    /// The last token ended a value (for automatic semicolon insertion).
    value_ended: bool,
    opens: Vec<Open>,
    /// Operators and keywords counted on each level (one more than `opens`).
    units: Vec<u32>,
    /// `opens.len()` plus the sum of `units`.
    depth: u32,
    /// Start of the word being read (identifier, keyword or number).
    word: Option<usize>,
    /// The word follows `.` or `?.`: a property name, never a keyword.
    after_dot: bool,
    /// The last token was a keyword that takes a parenthesized head.
    head_keyword: bool,
    /// A line ended since the last token.
    line_break: bool,
    /// The previous character was a backslash inside a literal.
    escaped: bool,
    /// Characters already consumed by a two-character token.
    skip: u8,
}

impl Reading {
    fn new() -> Reading {
        Reading {
            mode: Mode::Code,
            before: Before::Operand,
            value_ended: false,
            opens: Vec::new(),
            units: vec![0],
            depth: 0,
            word: None,
            after_dot: false,
            head_keyword: false,
            line_break: false,
            escaped: false,
            skip: 0,
        }
    }

    /// Readings that differ only in their counts can be followed as one,
    /// keeping the larger count on each level.
    fn same_shape(&self, other: &Reading) -> bool {
        self.mode == other.mode
            && self.before == other.before
            && self.value_ended == other.value_ended
            && self.opens == other.opens
            && self.word == other.word
            && self.after_dot == other.after_dot
            && self.head_keyword == other.head_keyword
            && self.line_break == other.line_break
            && self.escaped == other.escaped
            && self.skip == other.skip
    }

    /// Reads on from byte `at` until the text ends (`None`) or a character
    /// reads two ways (the other reading); `at` is then past that character.
    fn run(&mut self, code: &str, at: &mut usize, limit: u32) -> Result<Option<Reading>, Refused> {
        while let Some(c) = char_at(code, *at) {
            let next = char_at(code, *at + c.len_utf8());
            let fork = self.step(code, *at, c, next);
            if self.depth > limit || fork.as_ref().is_some_and(|f| f.depth > limit) {
                return Err(Refused::TooDeep { at: *at });
            }
            *at += c.len_utf8();
            if fork.is_some() {
                return Ok(fork);
            }
            *at += self.inert(&code.as_bytes()[*at..]);
        }
        Ok(None)
    }

    /// How many of the bytes in `rest` can be skipped without changing this
    /// reading: the middle of a word, a literal or a comment. Stops at every
    /// byte that can matter (all ASCII, or the first byte of U+2028/U+2029),
    /// so it always stops on a character boundary.
    fn inert(&self, rest: &[u8]) -> usize {
        if self.skip > 0 || self.escaped {
            return 0;
        }
        let stops =
            |stop: &dyn Fn(u8) -> bool| rest.iter().position(|&b| stop(b)).unwrap_or(rest.len());
        match self.mode {
            Mode::Code if self.word.is_some() => {
                stops(&|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$')))
            }
            Mode::Code => stops(&|b| !matches!(b, b' ' | b'\t')),
            Mode::Str(quote) => stops(&|b| b == quote as u8 || matches!(b, b'\\' | b'\n' | b'\r')),
            Mode::Template => stops(&|b| matches!(b, b'`' | b'\\' | b'$')),
            Mode::Regex | Mode::RegexClass => {
                stops(&|b| matches!(b, b'\\' | b'/' | b'[' | b']' | b'\n' | b'\r' | 0xE2))
            }
            Mode::LineComment => stops(&|b| matches!(b, b'\n' | b'\r' | 0xE2)),
            Mode::BlockComment => stops(&|b| matches!(b, b'*' | b'\n' | b'\r' | 0xE2)),
        }
    }

    /// Reads `c` (at byte `at`, followed by `next`); returns a second reading
    /// when `c` can be read two ways.
    fn step(&mut self, code: &str, at: usize, c: char, next: Option<char>) -> Option<Reading> {
        if self.skip > 0 {
            self.skip -= 1;
            return None;
        }
        match self.mode {
            Mode::Code => return self.code(code, at, c, next),
            Mode::Str(quote) => {
                if self.escaped {
                    self.escaped = false;
                    // A backslash before CR LF continues the string past both.
                    if c == '\r' && next == Some('\n') {
                        self.skip = 1;
                    }
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == quote || c == '\n' || c == '\r' {
                    // An unterminated string ends at the line, as swc recovers.
                    self.end_literal();
                }
            }
            Mode::Regex | Mode::RegexClass => {
                // A regular expression cannot span lines, escaped or not.
                if is_line_terminator(c) {
                    self.escaped = false;
                    self.end_literal();
                } else if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if self.mode == Mode::Regex && c == '[' {
                    self.mode = Mode::RegexClass;
                } else if self.mode == Mode::RegexClass && c == ']' {
                    self.mode = Mode::Regex;
                } else if self.mode == Mode::Regex && c == '/' {
                    // The flags that follow read as a word, a value.
                    self.end_literal();
                }
            }
            Mode::Template => {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == '`' {
                    self.end_literal();
                } else if c == '$' && next == Some('{') {
                    self.skip = 1;
                    self.mode = Mode::Code;
                    self.open(Open::Interpolation);
                }
            }
            Mode::LineComment => {
                if is_line_terminator(c) {
                    self.mode = Mode::Code;
                    self.line_break = true;
                }
            }
            Mode::BlockComment => {
                if is_line_terminator(c) {
                    self.line_break = true;
                } else if c == '*' && next == Some('/') {
                    self.skip = 1;
                    self.mode = Mode::Code;
                }
            }
        }
        None
    }

    fn code(&mut self, code: &str, at: usize, c: char, next: Option<char>) -> Option<Reading> {
        if is_word_char(c) {
            if self.word.is_none() {
                self.start_token(TokenStart::Word(code, at));
                self.word = Some(at);
            }
            return None;
        }
        // A `.` inside a number (`1.5`) belongs to it.
        if c == '.'
            && let Some(start) = self.word
            && code[start..].starts_with(|d: char| d.is_ascii_digit())
        {
            return None;
        }
        self.end_word(code, at);
        if c.is_whitespace() {
            if is_line_terminator(c) {
                self.line_break = true;
            }
            return None;
        }
        match c {
            '\'' | '"' => {
                self.start_token(TokenStart::Literal);
                self.mode = Mode::Str(c);
            }
            '`' => {
                self.start_token(TokenStart::Template);
                self.mode = Mode::Template;
            }
            '/' if next == Some('/') => {
                self.skip = 1;
                self.mode = Mode::LineComment;
            }
            '/' if next == Some('*') => {
                self.skip = 1;
                self.mode = Mode::BlockComment;
            }
            '/' => {
                self.start_token(TokenStart::Other);
                match self.before {
                    Before::Operand => self.mode = Mode::Regex,
                    Before::Value => self.operator(),
                    Before::Either => {
                        let mut regex = self.clone();
                        regex.mode = Mode::Regex;
                        self.operator();
                        return Some(regex);
                    }
                }
            }
            '(' | '[' | '{' => {
                let head = self.head_keyword;
                self.start_token(TokenStart::Other);
                self.open(match c {
                    '(' if head => Open::Head,
                    '(' => Open::Paren,
                    '[' => Open::Bracket,
                    _ => Open::Brace,
                });
            }
            ')' if self.top_after_angles() == Some(Open::Head) => {
                // `if (x) /re/`: a statement follows, so a `/` starts a
                // regular expression. But after a syntax error earlier, swc's
                // lexer may no longer know this `)` closes a head and read a
                // division: follow both (`*/ typeof /if (a) /(((…` crashed it).
                self.start_token(TokenStart::Other);
                self.close(Open::Head);
                self.before = Before::Either;
                self.value_ended = false;
            }
            ')' | ']' => {
                self.start_token(TokenStart::Other);
                self.close(if c == ')' { Open::Paren } else { Open::Bracket });
                // `(a) / b` divides; `]` always ends a value.
                self.before = if c == ')' {
                    Before::Either
                } else {
                    Before::Value
                };
                self.value_ended = true;
            }
            '}' => {
                self.start_token(TokenStart::Other);
                if self.opens.last() == Some(&Open::Interpolation) {
                    self.close(Open::Interpolation);
                    self.mode = Mode::Template;
                } else {
                    self.close(Open::Brace);
                    // A block ends (then `/` starts a regex) or an object does.
                    self.before = Before::Either;
                    self.value_ended = true;
                }
            }
            ',' | ';' => {
                self.start_token(TokenStart::Other);
                if c == ';' {
                    self.drop_angles();
                }
                self.reset_level();
                self.before = Before::Operand;
            }
            '.' if code[at..].starts_with("...") => {
                // `...`: a spread is counted once, at its first dot.
                self.start_token(TokenStart::Other);
                self.skip = 2;
                self.operator();
            }
            '.' => {
                self.start_token(TokenStart::Other);
                self.before = Before::Operand;
                self.after_dot = true;
            }
            '?' if next == Some('.')
                && !code[at + 2..].starts_with(|d: char| d.is_ascii_digit()) =>
            {
                self.start_token(TokenStart::Other);
                self.skip = 1;
                self.before = Before::Operand;
                self.after_dot = true;
            }
            '+' | '-' if next == Some(c) => {
                // `++` and `--`: postfix ones end a value.
                self.start_token(TokenStart::Other);
                self.skip = 1;
                self.count();
                self.before = Before::Either;
                self.value_ended = true;
            }
            '!' => {
                // TypeScript's `x!` ends a value; `!x` starts one.
                self.start_token(TokenStart::Other);
                self.count();
                self.before = Before::Either;
                self.value_ended = false;
            }
            '=' if next == Some('>') => {
                self.start_token(TokenStart::Other);
                self.skip = 1;
                self.operator();
            }
            '<' => {
                self.start_token(TokenStart::Other);
                self.open(Open::Angle);
            }
            '>' => {
                // Ends type arguments (`f<T>(x) / 2` divides) or compares.
                // `<T>x` recurses into what follows, so a closed `<` counts
                // one on the level around it.
                self.start_token(TokenStart::Other);
                if self.opens.last() == Some(&Open::Angle) {
                    self.close(Open::Angle);
                    self.count();
                }
                self.before = Before::Either;
                self.value_ended = false;
            }
            _ => {
                self.start_token(TokenStart::Other);
                self.operator();
            }
        }
        None
    }

    /// Called at the start of every token: where a statement certainly ended
    /// at a line break, the current level's count starts over.
    fn start_token(&mut self, token: TokenStart) {
        let line_break = std::mem::take(&mut self.line_break);
        // `a = b` ⏎ `c = d`: two values cannot be adjacent in one expression,
        // so a statement ended there and its recursion unwound.
        if line_break && self.value_ended {
            let starts_statement = match token {
                TokenStart::Word(code, at) => {
                    let word = word_at(code, at);
                    !is_keyword(word) || STATEMENT_KEYWORDS.contains(&word)
                }
                TokenStart::Literal => true,
                TokenStart::Template | TokenStart::Other => false,
            };
            if starts_statement {
                self.reset_level();
            }
        }
        if !matches!(token, TokenStart::Word(..)) {
            self.after_dot = false;
        }
        self.head_keyword = false;
    }

    fn end_word(&mut self, code: &str, at: usize) {
        let Some(start) = self.word.take() else {
            return;
        };
        let word = &code[start..at];
        let after_dot = std::mem::take(&mut self.after_dot);
        if word.starts_with(|c: char| c.is_ascii_digit())
            || after_dot
            || VALUE_WORDS.contains(&word)
        {
            self.before = Before::Value;
            self.value_ended = true;
        } else if is_keyword(word) {
            self.count();
            self.before = Before::Either;
            self.value_ended = false;
            // `for await (...)` as well as `for (...)`.
            self.head_keyword = matches!(word, "if" | "while" | "for" | "with" | "await");
        } else {
            self.before = Before::Value;
            self.value_ended = true;
        }
    }

    fn end_literal(&mut self) {
        self.mode = Mode::Code;
        self.before = Before::Value;
        self.value_ended = true;
    }

    /// An operator: one more level of possible recursion, and an operand follows.
    fn operator(&mut self) {
        self.count();
        self.before = Before::Operand;
        self.value_ended = false;
    }

    fn count(&mut self) {
        *self.units.last_mut().expect("a level") += 1;
        self.depth += 1;
    }

    fn open(&mut self, open: Open) {
        self.opens.push(open);
        self.units.push(0);
        self.depth += 1;
        self.before = Before::Operand;
        self.value_ended = false;
    }

    /// Closes the innermost level if it is `open`; a stray closer changes
    /// nothing. Closing a bracket gives up the `<`s left open inside it.
    fn close(&mut self, open: Open) {
        if open != Open::Angle {
            self.drop_angles();
        }
        if self.opens.last() == Some(&open) {
            self.opens.pop();
            let units = self.units.pop().expect("a level per open");
            self.depth -= 1 + units;
        }
    }

    /// The innermost open bracket other than `<`.
    fn top_after_angles(&self) -> Option<Open> {
        self.opens
            .iter()
            .rev()
            .find(|&&o| o != Open::Angle)
            .copied()
    }

    /// Gives up the `<`s open at the innermost level: they were comparisons.
    fn drop_angles(&mut self) {
        while self.opens.last() == Some(&Open::Angle) {
            self.opens.pop();
            let units = self.units.pop().expect("a level per open");
            self.depth -= 1 + units;
        }
    }

    fn reset_level(&mut self) {
        let units = self.units.last_mut().expect("a level");
        self.depth -= *units;
        *units = 0;
    }
}

enum TokenStart<'a> {
    /// A word starting at this byte of this text.
    Word(&'a str, usize),
    Literal,
    Template,
    Other,
}

/// Merges readings of the same shape, keeping the larger count per level.
fn merge(readings: &mut Vec<Reading>) {
    let mut kept: Vec<Reading> = Vec::with_capacity(readings.len());
    for reading in readings.drain(..) {
        match kept.iter_mut().find(|k| k.same_shape(&reading)) {
            Some(same) => {
                for (mine, theirs) in same.units.iter_mut().zip(&reading.units) {
                    *mine = (*mine).max(*theirs);
                }
                same.depth = same.opens.len() as u32 + same.units.iter().sum::<u32>();
            }
            None => kept.push(reading),
        }
    }
    *readings = kept;
}

/// The character at byte `at`, decoded only when it is not ASCII.
fn char_at(code: &str, at: usize) -> Option<char> {
    match code.as_bytes().get(at) {
        Some(&byte) if byte.is_ascii() => Some(byte as char),
        Some(_) => code[at..].chars().next(),
        None => None,
    }
}

/// The identifier-like word starting at `at`.
fn word_at(code: &str, at: usize) -> &str {
    let rest = &code[at..];
    let end = rest
        .char_indices()
        .find(|&(_, c)| !(is_word_char(c) || c.is_ascii_digit()))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

/// Characters of identifiers, numbers and private names (`#x`); anything
/// outside ASCII is read as part of a word, as in identifiers.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '$' | '#' | '\\')
        || (!c.is_ascii() && !c.is_whitespace())
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Words that are values: after them `/` divides.
const VALUE_WORDS: &[&str] = &["this", "super", "null", "true", "false", "undefined"];

/// Keywords after which a line break certainly ends the previous statement.
const STATEMENT_KEYWORDS: &[&str] = &[
    "break", "class", "const", "continue", "debugger", "do", "export", "for", "function", "if",
    "import", "let", "return", "switch", "throw", "try", "var", "while",
];

/// Reserved words and TypeScript's contextual keywords: each may start a
/// level of recursion (`typeof typeof x`, `keyof keyof T`, `new new X`).
fn is_keyword(word: &str) -> bool {
    // All are 2 to 10 lowercase letters: most identifiers are ruled out here.
    (2..=10).contains(&word.len())
        && word.bytes().all(|b| b.is_ascii_lowercase())
        && matches!(
            word,
            "abstract"
                | "accessor"
                | "as"
                | "asserts"
                | "async"
                | "await"
                | "break"
                | "case"
                | "catch"
                | "class"
                | "const"
                | "continue"
                | "debugger"
                | "declare"
                | "default"
                | "delete"
                | "do"
                | "else"
                | "enum"
                | "export"
                | "extends"
                | "finally"
                | "for"
                | "from"
                | "function"
                | "get"
                | "if"
                | "implements"
                | "import"
                | "in"
                | "infer"
                | "instanceof"
                | "interface"
                | "is"
                | "keyof"
                | "let"
                | "namespace"
                | "new"
                | "of"
                | "out"
                | "override"
                | "private"
                | "protected"
                | "public"
                | "readonly"
                | "return"
                | "satisfies"
                | "set"
                | "static"
                | "switch"
                | "throw"
                | "try"
                | "type"
                | "typeof"
                | "unique"
                | "using"
                | "var"
                | "void"
                | "while"
                | "with"
                | "yield"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimated depth: the smallest limit `check` accepts.
    fn depth(code: &str) -> u32 {
        (0..10_000)
            .find(|&limit| check(code, limit).is_ok())
            .expect("under 10,000")
    }

    #[test]
    fn ordinary_programs_are_shallow() {
        let program = r#"
const { projects } = await demo.list_projects();
const pages = await Promise.all(projects.map((p) => demo.list_issues({ project: p.key, status: "open", limit: 50 })));
const hot = pages.flatMap((p) => p.issues).filter((i) => i.priority === "urgent" || i.priority === "high");
for (let i = 0; i < hot.length; i++) { if (hot[i].points > 3 / 2) console.log(`${hot[i].id}: ${hot[i].title}`); }
return hot.map((d) => ({ id: d.id, ratio: (d.points ?? 0) / 2, re: /a(b)[)]c/g.test(d.title) }));
"#;
        assert!(depth(program) < 20, "{}", depth(program));
    }

    #[test]
    fn brackets_operators_and_keywords_count() {
        assert_eq!(depth("((((1))))"), 4);
        assert_eq!(depth("[[[]]]"), 3);
        assert_eq!(depth("!!!!x"), 4);
        assert_eq!(depth("<T><T><T>x"), 3);
        assert_eq!(depth("typeof typeof typeof x"), 3);
        assert_eq!(depth("a = b = c = d"), 3);
        assert_eq!(depth("a ? b : c ? d : e"), 4);
        assert_eq!(depth("f = a => b => c"), 3);
        assert!(depth("let a: Array<Array<Array<number>>>;") >= 3);
        // A comma inside `<...>` does not end the recursion around it.
        let generic_arrows = "<T,>() => ".repeat(100) + "1";
        assert!(depth(&generic_arrows) >= 100, "{}", depth(&generic_arrows));
        // Comparisons open nothing for long.
        let loops: String = (0..100)
            .map(|_| "for (let i = 0; i < n; i++) { if (a < b) x(); }\n")
            .collect();
        assert!(depth(&loops) <= 6, "{}", depth(&loops));
    }

    #[test]
    fn statements_end_the_count() {
        // Separate statements, with and without semicolons, do not add up.
        let lines: String = (0..1000).map(|i| format!("x = x + {i}\n")).collect();
        assert!(depth(&lines) <= 2, "{}", depth(&lines));
        let lines: String = (0..1000).map(|i| format!("x = x + {i};")).collect();
        assert!(depth(&lines) <= 2);
        // A line break inside an expression does not end it.
        let chain: String = (0..100).map(|_| "a =\n").collect();
        assert_eq!(depth(&chain), 100);
        let chain: String = (0..100).map(|_| "x\n+ ").collect::<String>() + "x";
        assert_eq!(depth(&chain), 100);
        // Nor does one after a statement's head: the next statement is its body.
        let loops: String = (0..100).map(|_| "while (a)\n").collect::<String>() + "x";
        assert!(depth(&loops) >= 100, "{}", depth(&loops));
        let loops: String = (0..100)
            .map(|_| "for await (const x of y)\n")
            .collect::<String>()
            + "x";
        assert!(depth(&loops) >= 100, "{}", depth(&loops));
    }

    #[test]
    fn literals_and_comments_hide_nothing_they_do_not_hide() {
        assert_eq!(depth("'((((' + \"[[[[\" + `{{{{`"), 2);
        assert_eq!(depth("// ((((\n/* [[[[ */ x"), 0);
        assert_eq!(depth("x = /((((/;"), 1);
        assert_eq!(depth("`${ `${ (((1))) }` }`"), 5);
        // A string continued across a line with a backslash is still a string.
        assert_eq!(depth("'a\\\n((((('"), 0);
    }

    #[test]
    fn an_ambiguous_slash_is_read_both_ways() {
        // If the `/` divides, the quotes are strings and the parentheses
        // are code; if it starts a regex, the opposite. Both are counted.
        let deep = format!("(a) / '/' + ')'; {}", "(".repeat(50));
        assert!(depth(&deep) >= 50, "{}", depth(&deep));
        let deep = format!("if (a) /'/; {}", "(".repeat(50));
        assert!(depth(&deep) >= 50, "{}", depth(&deep));
        // A backtick in a regular expression does not start a template for good.
        let deep = format!("}} /`/; {}", "[".repeat(50));
        assert!(depth(&deep) >= 50, "{}", depth(&deep));
        let deep = format!("x! / 2; {}", "[".repeat(50));
        assert!(depth(&deep) >= 50, "{}", depth(&deep));
        // A string continued over CR LF ends at its quote, not at the line.
        let deep = format!("x = 'a\\\r\n'; {}", "(".repeat(50));
        assert!(depth(&deep) >= 50, "{}", depth(&deep));
        // After a syntax error swc's lexer may read a `/` after a statement's
        // head as a division (found by the property test in `transpile`).
        let deep = format!("x = '/'; */ typeof /if (a) /{}", "(".repeat(50));
        assert!(depth(&deep) >= 50, "{}", depth(&deep));
    }

    #[test]
    fn refusals_say_where() {
        let code = format!(
            "const a = 1;\nreturn {}1{};",
            "(".repeat(600),
            ")".repeat(600)
        );
        match check(&code, 512) {
            // `return` counts one, so the 512th parenthesis is one too many.
            Err(Refused::TooDeep { at }) => assert_eq!(at, "const a = 1;\nreturn ".len() + 511),
            other => panic!("{other:?}"),
        }
    }
}
