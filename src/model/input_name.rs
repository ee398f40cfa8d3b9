//! The input a connection was read from, held as a four-byte [`InputName`] code so that a run of
//! millions of connections holds no allocation per connection for it; it prints as the name.
//!
//! Written by hand: one small append-only table of `&'static str` (an input name is leaked
//! once per distinct name, a few per run).

use std::collections::HashMap;

use std::sync::RwLock;

/// Input names coded so far: the list by code, and each name's code.
struct Names {
    list: Vec<&'static str>,
    codes: HashMap<&'static str, u32>,
}

static NAMES: RwLock<Option<Names>> = RwLock::new(None);

/// The name of the input a connection was read from, in four bytes. Ordered by when the
/// name was first seen (an order that means nothing but groups alike names together).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputName(u32);

impl InputName {
    /// The code of `name`: the same name has the same code all the process long, and is
    /// allocated once.
    pub fn of(name: &str) -> InputName {
        if let Some(names) = NAMES.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && let Some(&c) = names.codes.get(name)
        {
            return InputName(c);
        }
        let mut names = NAMES.write().unwrap_or_else(|e| e.into_inner());
        let names = names.get_or_insert_with(|| Names {
            list: Vec::new(),
            codes: HashMap::new(),
        });
        if let Some(&c) = names.codes.get(name) {
            return InputName(c);
        }
        let n: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let c = u32::try_from(names.list.len()).unwrap_or(u32::MAX);
        names.list.push(n);
        names.codes.insert(n, c);
        InputName(c)
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

impl std::fmt::Debug for InputName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_as_given() {
        let n = InputName::of("a \"quoted\"\npath.pcap");
        assert_eq!(n.get(), "a \"quoted\"\npath.pcap");
        assert_eq!(InputName::of("a \"quoted\"\npath.pcap"), n);
        assert_ne!(InputName::of("other.pcap"), n);
    }
}
