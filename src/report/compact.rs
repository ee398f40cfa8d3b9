//! The compact forms a connection's head is held in, so that a run of millions of connections
//! holds about a hundred bytes per connection and no allocation of its own: the report's
//! fixed words (verdict, stage, cause, confidence…) as two-byte [`Word`] codes, and the input
//! a connection was read from as a four-byte [`Name`] code. Both print as the text they
//! stand for; the JSON is the same as when the head held the text.
//!
//! Written by hand: two small append-only tables of `&'static str` (a word is a literal of the
//! code, or read back from the spill file and interned once per process; an input name is
//! leaked once per distinct name, a few per run). Words are read on every connection a
//! renderer or rule looks at, so their table is read without a lock.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::{Mutex, OnceLock, RwLock};

/// Most distinct words a process can code: the report's words are literals of the code (a few
/// hundred at most), so the table never fills; were it full, further words would code as none.
const MAX_WORDS: usize = 4096;

/// Word codes, read without a lock: slot `code - 1` holds the word.
static WORD_SLOTS: [OnceLock<&'static str>; MAX_WORDS] = [const { OnceLock::new() }; MAX_WORDS];

/// Words coded so far, to give each the same code every time.
static WORD_CODES: Mutex<Option<FxHashMap<&'static str, u16>>> = Mutex::new(None);

/// One of the report's fixed words (a verdict, a stage, a cause…), or none, in two bytes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Word(u16);

impl Word {
    /// No word (`null` in the report).
    pub const NONE: Word = Word(0);

    /// The code of `word`, none for `None`.
    pub fn of(word: Option<&'static str>) -> Word {
        match word {
            None => Word::NONE,
            Some(w) => Word(code(w, || w).1),
        }
    }

    /// The word, as it was given.
    pub fn get(self) -> Option<&'static str> {
        let i = usize::from(self.0).checked_sub(1)?;
        WORD_SLOTS.get(i)?.get().copied()
    }
}

impl std::fmt::Debug for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// `word` as a `&'static str` allocated once per process (words read back from the spill
/// file).
pub fn intern(word: &str) -> &'static str {
    code(word, || Box::leak(word.to_owned().into_boxed_str())).0
}

/// The code of `word`, given out on first sight, and the word as the table holds it (`keep`
/// makes it `'static` the first time).
fn code(word: &str, keep: impl FnOnce() -> &'static str) -> (&'static str, u16) {
    let mut codes = WORD_CODES.lock().unwrap_or_else(|e| e.into_inner());
    let codes = codes.get_or_insert_with(FxHashMap::default);
    if let Some((&w, &c)) = codes.get_key_value(word) {
        return (w, c);
    }
    let w = keep();
    let n = codes.len();
    if n >= MAX_WORDS {
        return (w, 0);
    }
    // The slot is set before the code is given out, so every code reads back.
    let _ = WORD_SLOTS[n].set(w);
    let c = (n + 1) as u16;
    codes.insert(w, c);
    (w, c)
}

/// Input names coded so far: the list by code, and each name's code.
struct Names {
    list: Vec<&'static str>,
    codes: HashMap<&'static str, u32>,
}

static NAMES: RwLock<Option<Names>> = RwLock::new(None);

/// The name of the input a connection was read from, in four bytes. Ordered by when the
/// name was first seen (an order that means nothing but groups alike names together).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(u32);

impl Name {
    /// The code of `name`: the same name has the same code all the process long, and is
    /// allocated once.
    pub fn of(name: &str) -> Name {
        if let Some(names) = NAMES.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && let Some(&c) = names.codes.get(name)
        {
            return Name(c);
        }
        let mut names = NAMES.write().unwrap_or_else(|e| e.into_inner());
        let names = names.get_or_insert_with(|| Names {
            list: Vec::new(),
            codes: HashMap::new(),
        });
        if let Some(&c) = names.codes.get(name) {
            return Name(c);
        }
        let n: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let c = u32::try_from(names.list.len()).unwrap_or(u32::MAX);
        names.list.push(n);
        names.codes.insert(n, c);
        Name(c)
    }

    /// The name.
    pub fn get(self) -> &'static str {
        NAMES
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|n| n.list.get(self.0 as usize).copied())
            .unwrap_or("")
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_names_read_back_as_given() {
        assert_eq!(Word::of(None).get(), None);
        let w = Word::of(Some("compact_test_word"));
        assert_eq!(w.get(), Some("compact_test_word"));
        assert_eq!(Word::of(Some("compact_test_word")), w);
        assert_ne!(Word::of(Some("compact_test_other")), w);
        assert!(std::ptr::eq(intern("tls_alert_x"), intern("tls_alert_x")));
        assert_eq!(
            Word::of(Some(intern("tls_alert_x"))).get(),
            Some("tls_alert_x")
        );
        let n = Name::of("a \"quoted\"\npath.pcap");
        assert_eq!(n.get(), "a \"quoted\"\npath.pcap");
        assert_eq!(Name::of("a \"quoted\"\npath.pcap"), n);
        assert_ne!(Name::of("other.pcap"), n);
    }
}
