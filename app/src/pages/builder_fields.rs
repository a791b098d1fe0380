//! The order builder's fields as signals: the one type the builder and the voice panel share,
//! so neither page module imports the other.

use std::collections::BTreeMap;

use leptos::prelude::*;

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
}
