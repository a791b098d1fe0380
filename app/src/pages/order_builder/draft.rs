//! The builder's state as signals, and the order draft it makes. Pure: no server calls here.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::menu::Menu;
use crate::domain::order::{
    CakeDraft, ComponentQuantity, CustomizationDraft, DeliveryDetails, LineDraft, OrderDraft,
    Quantity, SideDishDraft,
};
use crate::pages::builder_fields::BuilderFields;

/// The cake of the line: on or off, and what it is.
#[derive(Clone, Copy)]
pub struct CakeFields {
    pub on: RwSignal<bool>,
    pub size: RwSignal<String>,
    pub flavor: RwSignal<String>,
    pub lettering: RwSignal<String>,
}

impl CakeFields {
    /// Off, with the menu's first size and flavor ready.
    pub fn new(menu: &Menu) -> Self {
        let first = |codes: Vec<&String>| codes.first().map(|c| (*c).clone()).unwrap_or_default();
        CakeFields {
            on: RwSignal::new(false),
            size: RwSignal::new(first(menu.cake_sizes.iter().map(|c| &c.code).collect())),
            flavor: RwSignal::new(first(menu.cake_flavors.iter().map(|c| &c.code).collect())),
            lettering: RwSignal::new(String::new()),
        }
    }

    fn draft(&self) -> Option<CakeDraft> {
        self.on.get().then(|| CakeDraft {
            size: self.size.get(),
            flavor: self.flavor.get(),
            lettering: self.lettering.get(),
        })
    }
}

/// Where and to whom the order goes.
#[derive(Clone, Copy)]
pub struct DeliveryFields {
    pub store: RwSignal<String>,
    pub address: RwSignal<String>,
    pub recipient: RwSignal<String>,
    pub phone: RwSignal<String>,
    pub requested_at: RwSignal<String>,
    pub notes: RwSignal<String>,
}

impl DeliveryFields {
    pub fn new(first_store: String) -> Self {
        DeliveryFields {
            store: RwSignal::new(first_store),
            address: RwSignal::new(String::new()),
            recipient: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            requested_at: RwSignal::new(String::new()),
            notes: RwSignal::new(String::new()),
        }
    }

    pub fn details(&self) -> DeliveryDetails {
        let optional = |s: String| Some(s).filter(|s| !s.is_empty());
        DeliveryDetails {
            address: self.address.get_untracked(),
            recipient: self.recipient.get_untracked(),
            phone: self.phone.get_untracked(),
            requested_at: optional(self.requested_at.get_untracked()),
            notes: optional(self.notes.get_untracked()),
        }
    }
}

/// The chosen style if it belongs to the dinner, else the dinner's first style.
pub fn effective_style(menu: StoredValue<Menu>, fields: BuilderFields) -> Memo<String> {
    Memo::new(move |_| {
        let chosen = fields.style.get();
        menu.with_value(|m| {
            let d = m.dinner(&fields.dinner.get())?;
            d.styles
                .iter()
                .find(|s| s.code == chosen)
                .or_else(|| d.styles.first())
                .map(|s| s.code.clone())
        })
        .unwrap_or_default()
    })
}

/// The line the editor holds, or a message naming the field that cannot be a line yet.
pub fn line_memo(
    menu: StoredValue<Menu>,
    fields: BuilderFields,
    style: Memo<String>,
    cake: CakeFields,
) -> Memo<Result<LineDraft, String>> {
    Memo::new(move |_| {
        let quantity =
            Quantity::try_from(fields.quantity.get()).map_err(|e| format!("quantity: {e}"))?;
        let defaults = menu.with_value(|m| default_components(m, &fields.dinner.get()));
        Ok(LineDraft {
            menu: fields.dinner.get(),
            style: style.get(),
            quantity,
            customizations: customizations(fields.custom.get(), &defaults)?,
            cake: cake.draft(),
        })
    })
}

/// The whole order to price: the cart's lines, the one being edited as the editor shows it,
/// and the side dishes.
pub fn draft_memo(
    lines: RwSignal<Vec<LineDraft>>,
    selected: RwSignal<usize>,
    line: Memo<Result<LineDraft, String>>,
    fields: BuilderFields,
) -> Memo<Result<OrderDraft, String>> {
    Memo::new(move |_| {
        let mut lines = lines.get();
        if let Some(slot) = lines.get_mut(selected.get()) {
            *slot = line.get()?;
        }
        Ok(OrderDraft {
            lines,
            side_dishes: side_dishes(fields.sides.get())?,
        })
    })
}

/// Shows `line` in the editor.
pub fn load_line(fields: BuilderFields, cake: CakeFields, line: &LineDraft) {
    fields.choose_dinner(line.menu.clone());
    fields.style.set(line.style.clone());
    fields.quantity.set(i64::from(line.quantity.get()));
    fields.custom.set(
        line.customizations
            .iter()
            .map(|c| (c.component.clone(), i64::from(c.quantity.get())))
            .collect(),
    );
    cake.on.set(line.cake.is_some());
    if let Some(c) = &line.cake {
        cake.size.set(c.size.clone());
        cake.flavor.set(c.flavor.clone());
        cake.lettering.set(c.lettering.clone());
    }
}

/// The side dishes of a stored cart, as the editor's counts.
pub fn side_counts(sides: &[SideDishDraft]) -> BTreeMap<String, i64> {
    sides
        .iter()
        .map(|s| (s.code.clone(), i64::from(s.quantity.get())))
        .collect()
}

/// Component code → units per dinner as the dinner comes.
fn default_components(menu: &Menu, dinner: &str) -> BTreeMap<String, i64> {
    menu.dinner(dinner)
        .map(|d| {
            d.components
                .iter()
                .map(|c| (c.code.clone(), i64::from(c.default_quantity)))
                .collect()
        })
        .unwrap_or_default()
}

/// The components changed from their defaults.
fn customizations(
    custom: BTreeMap<String, i64>,
    defaults: &BTreeMap<String, i64>,
) -> Result<Vec<CustomizationDraft>, String> {
    custom
        .into_iter()
        .filter(|(component, q)| defaults.get(component) != Some(q))
        .map(|(component, q)| {
            let quantity =
                ComponentQuantity::try_from(q).map_err(|e| format!("{component}: {e}"))?;
            Ok(CustomizationDraft {
                component,
                quantity,
            })
        })
        .collect()
}

/// The side dishes asked for (none counts as not asked).
fn side_dishes(sides: BTreeMap<String, i64>) -> Result<Vec<SideDishDraft>, String> {
    sides
        .into_iter()
        .filter(|(_, q)| *q != 0)
        .map(|(code, q)| {
            let quantity = Quantity::try_from(q).map_err(|e| format!("{code}: {e}"))?;
            Ok(SideDishDraft { code, quantity })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_components_are_customizations() {
        let defaults = BTreeMap::from([("steak".to_owned(), 1), ("wine".to_owned(), 1)]);
        let custom = BTreeMap::from([("steak".to_owned(), 1), ("wine".to_owned(), 2)]);
        let out = customizations(custom, &defaults).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].component, "wine");
        let bad = BTreeMap::from([("wine".to_owned(), -1)]);
        assert!(customizations(bad, &defaults)
            .unwrap_err()
            .starts_with("wine: "));
    }

    #[test]
    fn no_side_dish_is_not_asked_for() {
        let sides = BTreeMap::from([("cola".to_owned(), 0), ("fries".to_owned(), 2)]);
        let out = side_dishes(sides).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, "fries");
        assert!(side_dishes(BTreeMap::from([("fries".to_owned(), 11)])).is_err());
    }
}
