//! What an order takes from a store's shelves, and which part of the order asked for it, so
//! that a shortfall can name the line that ran short.

use std::collections::BTreeMap;

/// A part of an order: one of its dinner lines (by index), or its side dishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderPart {
    Line(usize),
    SideDishes,
}

impl OrderPart {
    /// The request field of the part: `lines[1]`, `side_dishes`.
    pub fn field(self) -> String {
        match self {
            OrderPart::Line(i) => format!("lines[{i}]"),
            OrderPart::SideDishes => "side_dishes".to_owned(),
        }
    }
}

/// Units of each ingredient an order needs, in the order its parts asked for them.
#[derive(Debug)]
pub struct Needs {
    parts: Vec<(i64, OrderPart, i64)>,
    /// The part whose needs `add` records.
    current: OrderPart,
}

impl Default for Needs {
    fn default() -> Self {
        Needs {
            parts: Vec::new(),
            current: OrderPart::Line(0),
        }
    }
}

impl Needs {
    /// What `add` records from now on belongs to `part`.
    pub fn begin(&mut self, part: OrderPart) {
        self.current = part;
    }

    pub fn add(&mut self, ingredient: i64, units: i64) {
        self.parts.push((ingredient, self.current, units));
    }

    /// Ingredient id → units, ascending by id, so every transaction locks stock rows in the
    /// same order and two checkouts cannot deadlock. Ingredients needing nothing are left out.
    pub fn totals(&self) -> BTreeMap<i64, i64> {
        let mut totals = BTreeMap::new();
        for &(ingredient, _, units) in &self.parts {
            *totals.entry(ingredient).or_default() += units;
        }
        totals.retain(|_, units| *units > 0);
        totals
    }

    /// The first part at which the running need of `ingredient` passes what is on hand.
    pub fn short_part(&self, ingredient: i64, on_hand: i64) -> Option<OrderPart> {
        let mut running = 0;
        self.parts
            .iter()
            .filter(|(i, _, _)| *i == ingredient)
            .find(|(_, _, units)| {
                running += units;
                running > on_hand
            })
            .map(|&(_, part, _)| part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_that_passes_the_shelf_is_short() {
        let mut needs = Needs::default();
        needs.add(1, 4);
        needs.add(2, 1);
        needs.begin(OrderPart::Line(1));
        needs.add(1, 4);
        needs.begin(OrderPart::SideDishes);
        needs.add(1, 1);
        assert_eq!(needs.totals(), BTreeMap::from([(1, 9), (2, 1)]));
        assert_eq!(needs.short_part(1, 3), Some(OrderPart::Line(0)));
        assert_eq!(needs.short_part(1, 5), Some(OrderPart::Line(1)));
        assert_eq!(needs.short_part(1, 8), Some(OrderPart::SideDishes));
        assert_eq!(needs.short_part(1, 9), None);
        assert_eq!(OrderPart::Line(1).field(), "lines[1]");
        assert_eq!(OrderPart::SideDishes.field(), "side_dishes");
    }

    #[test]
    fn nothing_needed_is_not_reserved() {
        let mut needs = Needs::default();
        needs.add(3, 0);
        assert!(needs.totals().is_empty());
    }
}
