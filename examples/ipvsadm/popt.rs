//! The part of popt's grammar ipvsadm relies on.
//!
//! A hand-written parser, because no maintained Rust argument parser
//! reproduces it: options are returned one at a time in command-line order
//! (ipvsadm acts on each as it comes, so which error wins depends on the
//! order); short options group (`-Ln`) and take attached values (`-p300`,
//! `-t=addr`); a required value is the next word even when it starts with
//! `-` (`-t -s` takes `-s` as the address); `-p`'s value is optional and
//! taken only when the next word does not start with `-`; words that are not
//! options are collected anywhere on the line (for `--set tcp tcpfin udp`);
//! errors name the whole offending word as popt does (`-Aq: unknown option`).

/// Whether an option takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A flag.
    None,
    /// Needs a value.
    Required,
    /// May have a value (`-p [timeout]`).
    Optional,
}

/// One option of the table: long name, short letter, value kind, and the
/// tag the parser returns for it (what the caller makes of the option).
pub(crate) struct Def<T> {
    pub long: &'static str,
    pub short: Option<char>,
    pub kind: Kind,
    pub tag: T,
}

/// An option table with its short letters indexed (`-R` looks up about
/// four options per line).
pub(crate) struct Options<T: 'static> {
    defs: &'static [Def<T>],
    /// For each ASCII letter, 1 + the index of the first option with that
    /// short form; 0 for none.
    short: [u8; 128],
}

impl<T: Copy> Options<T> {
    /// Indexes `defs` (at most 255 options).
    pub(crate) const fn new(defs: &'static [Def<T>]) -> Self {
        let mut short = [0u8; 128];
        let mut i = defs.len();
        // From the end, so that the first option with a letter wins.
        while i > 0 {
            i -= 1;
            if let Some(c) = defs[i].short {
                if c.is_ascii() {
                    short[c as usize] = i as u8 + 1;
                }
            }
        }
        Self { defs, short }
    }

    /// The first option with the short form `c`.
    fn short(&self, c: char) -> Option<&'static Def<T>> {
        if !c.is_ascii() {
            return self.defs.iter().find(|d| d.short == Some(c));
        }
        let i = usize::from(self.short[c as usize]);
        i.checked_sub(1).map(|i| &self.defs[i])
    }
}

/// What the parser returns next: words and values borrow from the
/// argument vector (a `-R` run parses tens of thousands of lines).
pub(crate) enum Next<'a, T> {
    /// An option (its tag), its value, and the word it came from.
    Opt(T, Option<&'a str>, &'a str),
    /// popt's error text (`-q: unknown option`).
    Error(String),
    /// No more options.
    End,
}

/// The state of parsing one argument vector: options and values borrow
/// from the words (`'a`), not from the vector (`'s`).
pub(crate) struct Parser<'s, 'a, T: 'static> {
    options: &'s Options<T>,
    args: &'s [&'a str],
    pos: usize,
    /// Remaining short options of the current word, and the word.
    group: Option<(&'a str, &'a str)>,
    rest_are_args: bool,
    /// Words that are not options, in order.
    pub leftovers: Vec<&'a str>,
}

impl<'s, 'a, T: Copy> Parser<'s, 'a, T> {
    /// A parser over `args` (without the program name).
    pub(crate) fn new(options: &'s Options<T>, args: &'s [&'a str]) -> Self {
        Parser {
            options,
            args,
            pos: 0,
            group: None,
            rest_are_args: false,
            leftovers: Vec::new(),
        }
    }

    /// The next option, in command-line order.
    pub(crate) fn next_opt(&mut self) -> Next<'a, T> {
        if let Some((rest, word)) = self.group.take() {
            return self.short(rest, word);
        }
        loop {
            let Some(&word) = self.args.get(self.pos) else {
                return Next::End;
            };
            self.pos += 1;
            if self.rest_are_args {
                self.leftovers.push(word);
                continue;
            }
            if word == "--" {
                self.rest_are_args = true;
                continue;
            }
            if let Some(body) = word.strip_prefix("--") {
                let (name, value) = match body.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (body, None),
                };
                let Some(def) = self.options.defs.iter().find(|d| d.long == name) else {
                    return Next::Error(format!("{word}: unknown option"));
                };
                return match (def.kind, value) {
                    (Kind::None, Some(_)) => {
                        Next::Error(format!("{word}: option does not take an argument"))
                    }
                    (Kind::None, None) => Next::Opt(def.tag, None, word),
                    (_, Some(v)) => Next::Opt(def.tag, Some(v), word),
                    (kind, None) => self.value_from_next(def.tag, kind, word),
                };
            }
            if word.len() > 1 && word.starts_with('-') {
                return self.short(&word[1..], word);
            }
            self.leftovers.push(word);
        }
    }

    fn short(&mut self, rest: &'a str, word: &'a str) -> Next<'a, T> {
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            return self.next_opt();
        };
        let after = chars.as_str();
        let Some(def) = self.options.short(c) else {
            return Next::Error(format!("{word}: unknown option"));
        };
        match def.kind {
            Kind::None => {
                if !after.is_empty() {
                    self.group = Some((after, word));
                }
                Next::Opt(def.tag, None, word)
            }
            kind => {
                if !after.is_empty() {
                    let v = after.strip_prefix('=').unwrap_or(after);
                    Next::Opt(def.tag, Some(v), word)
                } else {
                    self.value_from_next(def.tag, kind, word)
                }
            }
        }
    }

    fn value_from_next(&mut self, tag: T, kind: Kind, word: &'a str) -> Next<'a, T> {
        match self.args.get(self.pos) {
            Some(&next) if kind == Kind::Required || !next.starts_with('-') => {
                // popt then names the value as the last word it read.
                self.pos += 1;
                Next::Opt(tag, Some(next), next)
            }
            None if kind == Kind::Required => Next::Error(format!("{word}: missing argument")),
            _ => Next::Opt(tag, None, word),
        }
    }

    /// Takes the next word that is not an option (`poptGetArg`).
    pub(crate) fn take_arg(&mut self) -> Option<&'a str> {
        if self.leftovers.is_empty() {
            None
        } else {
            Some(self.leftovers.remove(0))
        }
    }
}
