//! The order builder's fields as signals: the one type the builder and the voice panel share,
//! so neither page module imports the other.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::voice::OrderState;

/// The builder's order fields, shared with voice ordering, which fills them from the AI's
/// proposal so the customer sees (and can fix) a voice order exactly like a GUI one.
#[derive(Clone, Copy)]
pub struct BuilderFields {
    pub dinner: RwSignal<String>,
    /// Empty until the customer (or the AI) picks one; the builder then shows the first.
    pub style: RwSignal<String>,
    pub quantity: RwSignal<i64>,
    /// Component code → units per dinner, where changed.
    pub custom: RwSignal<BTreeMap<String, i64>>,
    /// Side dish code → how many.
    pub sides: RwSignal<BTreeMap<String, i64>>,
}

impl BuilderFields {
    /// One of `dinner`, its first style, nothing changed.
    pub fn new(dinner: String) -> Self {
        BuilderFields {
            dinner: RwSignal::new(dinner),
            style: RwSignal::new(String::new()),
            quantity: RwSignal::new(1),
            custom: RwSignal::new(BTreeMap::new()),
            sides: RwSignal::new(BTreeMap::new()),
        }
    }

    /// Another dinner: its own styles and components, so the old choices go.
    pub fn choose_dinner(&self, code: String) {
        self.dinner.set(code);
        self.style.set(String::new());
        self.custom.set(BTreeMap::new());
    }

    /// Shows a voice session's order (called by the browser half of voice ordering). What it does not say (no dinner yet, no quantity)
    /// keeps the builder's value; the cake and the delivery details are never touched.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn fill_from(&self, order: &OrderState) {
        if let Some(menu) = &order.menu {
            if self.dinner.get_untracked() != *menu {
                self.dinner.set(menu.clone());
            }
        }
        self.style.set(order.style.clone().unwrap_or_default());
        if let Some(quantity) = order.quantity {
            self.quantity.set(i64::from(quantity));
        }
        self.custom.set(
            order
                .customizations
                .iter()
                .map(|c| (c.component.clone(), i64::from(c.quantity)))
                .collect(),
        );
        let mut sides = BTreeMap::new();
        for code in &order.side_dishes {
            *sides.entry(code.clone()).or_insert(0) += 1;
        }
        self.sides.set(sides);
    }
}
