//! The builder's sections, each a small component over the builder's signals.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::menu::{Menu, Named};
use crate::domain::order_view::Store;
use crate::error::AppError;
use crate::pages::builder_fields::BuilderFields;
use crate::pages::lang::use_lang;
use crate::pages::ErrorMessage;

use super::draft::{CakeFields, DeliveryFields};

fn parse_count(raw: &str) -> i64 {
    raw.trim().parse().unwrap_or(-1)
}

/// Which part of the form an error belongs next to.
fn error_section(err: &AppError) -> &'static str {
    match err {
        // Shown on the cart's line it names.
        AppError::OutOfStock { field: Some(_), .. } => "line",
        AppError::PaymentDeclined { .. } => "payment",
        AppError::InvalidInput { field, .. } => match field.as_str() {
            "card_number" | "expiry" | "cvv" | "holder" => "payment",
            "address" | "recipient" | "phone" | "requested_at" | "notes" | "store" => "delivery",
            _ => "order",
        },
        _ => "order",
    }
}

/// The last submit's error, shown only in the section it belongs to.
#[component]
pub fn SectionError(
    form_error: RwSignal<Option<AppError>>,
    section: &'static str,
) -> impl IntoView {
    move || match form_error.get() {
        Some(err) if error_section(&err) == section => Some(view! { <ErrorMessage error=err /> }),
        _ => None,
    }
}

/// The dinner, its style, quantity, components, the side dishes and the cake.
#[component]
pub fn DinnerSection(
    menu: StoredValue<Menu>,
    fields: BuilderFields,
    style: Memo<String>,
    store: RwSignal<String>,
    cake: CakeFields,
    form_error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let quantity = fields.quantity;
    view! {
        <fieldset>
            <legend>{move || lang.get().pick("디너", "Dinner")}</legend>
            <DinnerSelect menu fields store />
            <div class="choices"><StyleChoices menu fields style /></div>
            <label class="count">{move || lang.get().pick("수량", "Quantity")}
                <input type="number" min="1" max="10" data-testid="builder-quantity" prop:value=move || quantity.get()
                    on:input=move |ev| quantity.set(parse_count(&event_target_value(&ev))) />
            </label>
            <h3>{move || lang.get().pick("구성 변경", "Customize")}</h3>
            <div class="counts"><ComponentInputs menu fields /></div>
            <h3>{move || lang.get().pick("곁들임 메뉴", "Side dishes")}</h3>
            <div class="counts"><SideInputs menu fields /></div>
            <CakeSection menu cake />
            <SectionError form_error section="order" />
        </fieldset>
    }
    .into_any()
}

/// The dinner list, and a notice when the chosen store cannot make the dinner now.
#[component]
fn DinnerSelect(
    menu: StoredValue<Menu>,
    fields: BuilderFields,
    store: RwSignal<String>,
) -> impl IntoView {
    let lang = use_lang();
    let dinner = fields.dinner;
    let options = move || {
        let l = lang.get();
        menu.with_value(|m| {
            m.dinners
                .iter()
                .map(|d| {
                    let code = d.code.clone();
                    let selected = dinner.get_untracked() == code;
                    view! { <option value=code selected=selected>{d.name(l).to_owned()} " · " {l.price(d.base_price)}</option> }
                })
                .collect_view()
        })
    };
    view! {
        // `prop:value` too: voice ordering changes the dinner without a change event.
        <select id="builder-dinner" data-testid="builder-dinner" prop:value=move || dinner.get()
            on:change=move |ev| fields.choose_dinner(event_target_value(&ev))>
            {options}
        </select>
        {move || {
            let (code, at) = (dinner.get(), store.get());
            let gone = menu.with_value(|m| m.dinner(&code).is_some_and(|d| d.is_sold_out_at(&at)));
            gone.then(|| view! {
                <p class="error" role="status" data-testid="builder-sold-out">
                    {lang.get().pick("품절: 이 매장에서는 지금 이 디너를 만들 수 없습니다.", "Sold out: this store cannot make this dinner right now.")}
                </p>
            })
        }}
    }
}

/// The dinner's serving styles, with their surcharges.
#[component]
fn StyleChoices(
    menu: StoredValue<Menu>,
    fields: BuilderFields,
    style: Memo<String>,
) -> impl IntoView {
    let lang = use_lang();
    move || {
        let l = lang.get();
        let current = style.get();
        menu.with_value(|m| {
            let Some(d) = m.dinner(&fields.dinner.get()) else {
                return Default::default();
            };
            d.styles
                .iter()
                .map(|s| {
                    let code = s.code.clone();
                    let testid_code = code.clone();
                    let checked = current == code;
                    let label = if s.surcharge.won() > 0 {
                        format!("{} (+{})", s.name(l), l.price(s.surcharge))
                    } else {
                        s.name(l).to_owned()
                    };
                    let set = code.clone();
                    view! {
                        <label class="choice" data-testid="builder-style" data-code=testid_code>
                            <input type="radio" name="style" value=code prop:checked=checked
                                on:change=move |_| fields.style.set(set.clone()) />
                            {label}
                        </label>
                    }
                })
                .collect_view()
        })
    }
}

/// One count per component of the dinner, starting at its default.
#[component]
fn ComponentInputs(menu: StoredValue<Menu>, fields: BuilderFields) -> impl IntoView {
    let lang = use_lang();
    move || {
        let l = lang.get();
        menu.with_value(|m| {
            let Some(d) = m.dinner(&fields.dinner.get()) else {
                return Default::default();
            };
            d.components
                .iter()
                .map(|c| {
                    let label = format!("{} ({}, +{})", c.name(l), c.unit(l), l.price(c.extra_unit_price));
                    let default = i64::from(c.default_quantity);
                    view! { <CountInput testid="builder-component" code=c.code.clone() label counts=fields.custom default /> }
                })
                .collect_view()
        })
    }
}

/// One count per side dish of the menu.
#[component]
fn SideInputs(menu: StoredValue<Menu>, fields: BuilderFields) -> impl IntoView {
    let lang = use_lang();
    move || {
        let l = lang.get();
        menu.with_value(|m| {
            m.side_dishes
                .iter()
                .map(|s| {
                    let label = format!("{} {}", s.name(l), l.price(s.price));
                    view! { <CountInput testid="builder-side" code=s.code.clone() label counts=fields.sides default=0 /> }
                })
                .collect_view()
        })
    }
}

/// A number input for one code's count in `counts` (`default` until changed).
#[component]
fn CountInput(
    testid: &'static str,
    code: String,
    label: String,
    counts: RwSignal<BTreeMap<String, i64>>,
    default: i64,
) -> impl IntoView {
    let key = code.clone();
    let current = move || counts.with(|m| m.get(&key).copied().unwrap_or(default));
    let set = code.clone();
    view! {
        <label class="count" data-testid=testid data-code=code>
            <span>{label}</span>
            <input type="number" min="0" max="10" prop:value=current
                on:input=move |ev| {
                    let v = parse_count(&event_target_value(&ev));
                    counts.update(|m| { m.insert(set.clone(), v); });
                } />
        </label>
    }
}

/// The cake switch and, when on, its size, flavor and lettering.
#[component]
fn CakeSection(menu: StoredValue<Menu>, cake: CakeFields) -> impl IntoView {
    let lang = use_lang();
    let CakeFields {
        on,
        size,
        flavor,
        lettering,
    } = cake;
    view! {
        <label class="choice">
            <input type="checkbox" data-testid="builder-cake" prop:checked=move || on.get()
                on:change=move |ev| on.set(event_target_checked(&ev)) />
            {move || lang.get().pick("케이크 추가", "Add a cake")}
        </label>
        <Show when=move || on.get()>
            <div class="cake">
                <select data-testid="builder-cake-size" prop:value=move || size.get() on:change=move |ev| size.set(event_target_value(&ev))>
                    {move || { let l = lang.get(); menu.with_value(|m| m.cake_sizes.iter().map(|c| {
                        let selected = size.get_untracked() == c.code;
                        view! { <option value=c.code.clone() selected=selected>{c.name(l).to_owned()} " " {l.price(c.price)}</option> }
                    }).collect_view()) }}
                </select>
                <select data-testid="builder-cake-flavor" prop:value=move || flavor.get() on:change=move |ev| flavor.set(event_target_value(&ev))>
                    {move || { let l = lang.get(); menu.with_value(|m| m.cake_flavors.iter().map(|c| {
                        let selected = flavor.get_untracked() == c.code;
                        view! { <option value=c.code.clone() selected=selected>{c.name(l).to_owned()}</option> }
                    }).collect_view()) }}
                </select>
                <input type="text" maxlength="30" data-testid="builder-cake-lettering"
                    placeholder=move || lang.get().pick("문구 (30자 이하)", "Lettering (≤ 30 chars)")
                    prop:value=move || lettering.get() on:input=move |ev| lettering.set(event_target_value(&ev)) />
            </div>
        </Show>
    }
}

/// A labelled text input bound to a signal.
#[component]
fn TextField(
    label: (&'static str, &'static str),
    signal: RwSignal<String>,
    kind: &'static str,
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <label>{move || lang.get().pick(label.0, label.1)}
            <input type=kind data-testid=testid prop:value=move || signal.get()
                on:input=move |ev| signal.set(event_target_value(&ev)) />
        </label>
    }
}

/// The store and the delivery details.
#[component]
pub fn DeliverySection(
    stores: StoredValue<Vec<Store>>,
    delivery: DeliveryFields,
    form_error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let DeliveryFields {
        store,
        address,
        recipient,
        phone,
        requested_at,
        notes,
    } = delivery;
    view! {
        <fieldset>
            <legend>{move || lang.get().pick("배송", "Delivery")}</legend>
            <label>{move || lang.get().pick("매장", "Store")}
                <select data-testid="builder-store" on:change=move |ev| store.set(event_target_value(&ev))>
                    {move || { let l = lang.get(); stores.with_value(|s| s.iter().map(|s| {
                        view! { <option value=s.code.clone()>{l.pick(s.name_ko.clone(), s.name_en.clone())}</option> }
                    }).collect_view()) }}
                </select>
            </label>
            <TextField label=("주소", "Address") signal=address kind="text" testid="builder-address" />
            <TextField label=("받는 분", "Recipient") signal=recipient kind="text" testid="builder-recipient" />
            <TextField label=("전화번호", "Phone") signal=phone kind="tel" testid="builder-phone" />
            <TextField label=("희망 배송 시간 (선택)", "Requested time (optional)") signal=requested_at kind="datetime-local" testid="builder-requested-at" />
            <TextField label=("요청 사항 (선택)", "Notes (optional)") signal=notes kind="text" testid="builder-notes" />
            <SectionError form_error section="delivery" />
        </fieldset>
    }
    .into_any()
}
