//! Splitting a check over machines: which rows a check computes, and which of them the
//! I-th of N shares (`gilspec check --shard I/N`) computes. `gilspec merge` joins the
//! shares' JSON again.

use crate::model::{Checker, Model};
use std::fmt;

/// The I-th of N shares of a check, counted from 1 as people count machines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Every row: a check that is not split.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// The `index`-th of `count` shares, if 1 ≤ index ≤ count.
    pub fn new(index: usize, count: usize) -> Option<Shard> {
        (1..=count)
            .contains(&index)
            .then_some(Shard { index, count })
    }

    /// `I/N`, as `--shard` takes it.
    pub fn parse(s: &str) -> Option<Shard> {
        let (index, count) = s.split_once('/')?;
        Shard::new(index.parse().ok()?, count.parse().ok()?)
    }

    /// Every share of a check split `count` ways.
    pub fn all(count: usize) -> impl Iterator<Item = Shard> {
        (1..=count).map(move |index| Shard { index, count })
    }

    /// Whether this share checks the unit at `position` (from 0) of a check's units.
    ///
    /// The units are dealt round-robin, in the order the check would visit them. That
    /// needs nothing but the options, so each machine finds its share alone and finds the
    /// same one every time; the shares' unit counts differ by at most one, and the heavy
    /// models (neighbours in the catalogue, such as the GIL handoff family) spread over
    /// the machines instead of landing on one. Balancing by measured time would be closer
    /// but would change with the machine and with every edit of a model.
    pub fn takes(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl Default for Shard {
    fn default() -> Shard {
        Shard::WHOLE
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a check covers, as its options choose it.
pub struct Selection<'a> {
    pub models: &'a [&'static Model],
    /// One spurious-wakeup setting, or (`None`) both for the models that wait on a
    /// condition variable.
    pub spurious: Option<bool>,
    /// One property, or (`None`) every property of each model.
    pub property: Option<&'a str>,
    pub checkers: &'a [Checker],
}

/// A model at one spurious-wakeup setting: the unit a shard takes whole, because the
/// stateful search (shuttle-dfs) runs once per unit and serves every property of it.
#[derive(Clone, Copy)]
pub struct Unit {
    pub model: &'static Model,
    pub spurious: bool,
}

/// One row a check computes.
#[derive(Clone, Copy)]
pub struct PlannedRow {
    pub model: &'static Model,
    pub spurious: bool,
    pub property: &'static str,
    pub checker: Checker,
}

impl Selection<'_> {
    /// The units of `shard`, in the order the whole check visits them.
    pub fn units(&self, shard: Shard) -> Vec<Unit> {
        self.models
            .iter()
            .flat_map(|&model| {
                model
                    .spurious_settings()
                    .iter()
                    .filter(|&&s| self.spurious.is_none_or(|want| want == s))
                    .map(move |&spurious| Unit { model, spurious })
            })
            .enumerate()
            .filter(|(position, _)| shard.takes(*position))
            .map(|(_, unit)| unit)
            .collect()
    }

    /// The rows of `shard`: each unit's properties, each under every chosen checker.
    pub fn rows(&self, shard: Shard) -> Vec<PlannedRow> {
        let mut rows = Vec::new();
        for Unit { model, spurious } in self.units(shard) {
            for p in model
                .properties
                .iter()
                .filter(|p| self.property.is_none_or(|q| q == p.id))
            {
                for &checker in self.checkers {
                    rows.push(PlannedRow {
                        model,
                        spurious,
                        property: p.id,
                        checker,
                    });
                }
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models;

    fn parse(s: &str) -> Option<(usize, usize)> {
        Shard::parse(s).map(|s| (s.index, s.count))
    }

    #[test]
    fn only_an_index_from_1_to_the_count_is_a_shard() {
        assert_eq!(parse("1/1"), Some((1, 1)));
        assert_eq!(parse("3/3"), Some((3, 3)));
        for bad in [
            "0/3", "4/3", "1/0", "0/0", "x", "1", "1/", "/3", "a/3", "1/3/5", "-1/3",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    type Key = (&'static str, bool, &'static str, Checker);

    fn key(r: &PlannedRow) -> Key {
        (r.model.id, r.spurious, r.property, r.checker)
    }

    /// Over the real catalogue: the shares of a check, together, are its rows, each once;
    /// a unit's rows stay together; the shares' unit counts differ by at most one.
    #[test]
    fn the_shards_of_a_check_are_its_rows_each_once() {
        let every_model = models::ALL;
        let loom = [Checker::Loom];
        // As `check --property` allows it: only models that have the property.
        let with_no_deadlock: Vec<&'static Model> = every_model
            .iter()
            .copied()
            .filter(|m| m.property("no_deadlock").is_some())
            .collect();
        let selections = [
            Selection {
                models: every_model,
                spurious: None,
                property: None,
                checkers: &Checker::ALL,
            },
            Selection {
                models: every_model,
                spurious: Some(true),
                property: None,
                checkers: &loom,
            },
            Selection {
                models: &with_no_deadlock,
                spurious: None,
                property: Some("no_deadlock"),
                checkers: &Checker::ALL,
            },
        ];
        for selection in &selections {
            let whole: Vec<Key> = selection.rows(Shard::WHOLE).iter().map(key).collect();
            let units = selection.units(Shard::WHOLE).len();
            assert!(units > 1 && !whole.is_empty());
            // Up to more shares than units, where some shares are empty.
            for count in 1..=units + 2 {
                let mut union: Vec<Key> = Vec::new();
                let mut unit_counts = Vec::new();
                for shard in Shard::all(count) {
                    let rows: Vec<Key> = selection.rows(shard).iter().map(key).collect();
                    // A share keeps the whole check's order.
                    let mut rest = whole.iter();
                    assert!(
                        rows.iter().all(|r| rest.any(|w| w == r)),
                        "shard {shard}: out of order"
                    );
                    union.extend(rows);
                    unit_counts.push(selection.units(shard).len());
                }
                let mut sorted_union = union.clone();
                sorted_union.sort();
                sorted_union.dedup();
                assert_eq!(
                    sorted_union.len(),
                    union.len(),
                    "{count} shares: a row twice"
                );
                let mut sorted_whole = whole.clone();
                sorted_whole.sort();
                assert_eq!(sorted_union, sorted_whole, "{count} shares");
                let (min, max) = (unit_counts.iter().min(), unit_counts.iter().max());
                assert!(
                    max.zip(min).is_some_and(|(max, min)| max - min <= 1),
                    "{unit_counts:?}"
                );
                // Every row of a unit is in the same share as its unit.
                for shard in Shard::all(count) {
                    let units: Vec<(&str, bool)> = selection
                        .units(shard)
                        .iter()
                        .map(|u| (u.model.id, u.spurious))
                        .collect();
                    for (model, spurious, ..) in selection.rows(shard).iter().map(key) {
                        assert!(units.contains(&(model, spurious)));
                    }
                    let whole_rows_of_units = whole
                        .iter()
                        .filter(|(m, s, ..)| units.contains(&(*m, *s)))
                        .count();
                    assert_eq!(selection.rows(shard).len(), whole_rows_of_units);
                }
            }
        }
    }
}
