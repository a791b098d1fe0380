//! The GUI order builder: every choice re-prices the order on the server as the customer
//! types; the client never computes or sends a price.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::checkout::{list_stores, quote_order, Checkout, Quote, Store};
use crate::error::AppError;
use crate::i18n::{use_lang, Lang};
use crate::menu::{get_menu, Menu, Named};
use crate::order::{
    CakeDraft, CheckoutRequest, ComponentQuantity, CustomizationDraft, DeliveryDetails, LineDraft,
    OrderDraft, OrderRequest, Quantity, SideDishDraft,
};
use crate::pages::auth::use_auth;
use crate::pages::payment::{CardFields, CardState};
use crate::pages::ErrorMessage;

#[component]
pub fn OrderBuilderPage() -> impl IntoView {
    let lang = use_lang();
    let auth = use_auth();
    let data = Resource::new(
        || (),
        |_| async move {
            let menu = get_menu().await?;
            let stores = list_stores().await?;
            Ok::<_, AppError>((menu, stores))
        },
    );
    view! {
        <h1>{move || lang.get().pick("주문하기", "Order")}</h1>
        <Transition fallback=move || view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = matches!(auth.customer.await, Ok(Some(_)));
                match data.await {
                    Ok((menu, stores)) => view! { <OrderForm menu stores signed_in /> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn parse_count(raw: &str) -> i64 {
    raw.trim().parse().unwrap_or(-1)
}

/// Which part of the form an error belongs next to.
fn error_section(err: &AppError) -> &'static str {
    match err {
        AppError::PaymentDeclined { .. } => "payment",
        AppError::InvalidInput { field, .. } => match field.as_str() {
            "card_number" | "expiry" | "cvv" | "holder" => "payment",
            "address" | "recipient" | "phone" | "requested_at" | "notes" | "store" => "delivery",
            _ => "order",
        },
        _ => "order",
    }
}

#[component]
fn OrderForm(menu: Menu, stores: Vec<Store>, signed_in: bool) -> impl IntoView {
    let lang = use_lang();
    let menu = StoredValue::new(menu);
    let stores = StoredValue::new(stores);
    let first_dinner = menu.with_value(|m| {
        m.dinners
            .first()
            .map(|d| d.code.clone())
            .unwrap_or_default()
    });
    let requested = use_query_map().read_untracked().get("menu");
    let initial = requested
        .filter(|code| menu.with_value(|m| m.dinner(code).is_some()))
        .unwrap_or(first_dinner);

    let dinner = RwSignal::new(initial);
    let style = RwSignal::new(String::new());
    let quantity = RwSignal::new(1i64);
    let custom: RwSignal<BTreeMap<String, i64>> = RwSignal::new(BTreeMap::new());
    let sides: RwSignal<BTreeMap<String, i64>> = RwSignal::new(BTreeMap::new());
    let cake_on = RwSignal::new(false);
    let cake_size = RwSignal::new(menu.with_value(|m| {
        m.cake_sizes
            .first()
            .map(|c| c.code.clone())
            .unwrap_or_default()
    }));
    let cake_flavor = RwSignal::new(menu.with_value(|m| {
        m.cake_flavors
            .first()
            .map(|c| c.code.clone())
            .unwrap_or_default()
    }));
    let lettering = RwSignal::new(String::new());
    let store =
        RwSignal::new(stores.with_value(|s| s.first().map(|s| s.code.clone()).unwrap_or_default()));
    let address = RwSignal::new(String::new());
    let recipient = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let requested_at = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let card = CardState::new();

    // The chosen style if it belongs to the dinner, else the dinner's first style.
    let effective_style = Memo::new(move |_| {
        let chosen = style.get();
        menu.with_value(|m| {
            let d = m.dinner(&dinner.get())?;
            d.styles
                .iter()
                .find(|s| s.code == chosen)
                .or_else(|| d.styles.first())
                .map(|s| s.code.clone())
        })
        .unwrap_or_default()
    });

    // The draft to price, or a message naming the field that cannot be a draft yet.
    let draft = Memo::new(move |_| -> Result<OrderDraft, String> {
        let quantity = Quantity::try_from(quantity.get()).map_err(|e| format!("quantity: {e}"))?;
        let defaults: BTreeMap<String, i64> = menu.with_value(|m| {
            m.dinner(&dinner.get())
                .map(|d| {
                    d.components
                        .iter()
                        .map(|c| (c.code.clone(), i64::from(c.default_quantity)))
                        .collect()
                })
                .unwrap_or_default()
        });
        let mut customizations = Vec::new();
        for (component, q) in custom.get() {
            if defaults.get(&component) == Some(&q) {
                continue;
            }
            let quantity =
                ComponentQuantity::try_from(q).map_err(|e| format!("{component}: {e}"))?;
            customizations.push(CustomizationDraft {
                component,
                quantity,
            });
        }
        let mut side_dishes = Vec::new();
        for (code, q) in sides.get() {
            if q == 0 {
                continue;
            }
            let quantity = Quantity::try_from(q).map_err(|e| format!("{code}: {e}"))?;
            side_dishes.push(SideDishDraft { code, quantity });
        }
        let cake = cake_on.get().then(|| CakeDraft {
            size: cake_size.get(),
            flavor: cake_flavor.get(),
            lettering: lettering.get(),
        });
        Ok(OrderDraft {
            lines: vec![LineDraft {
                menu: dinner.get(),
                style: effective_style.get(),
                quantity,
                customizations,
                cake,
            }],
            side_dishes,
        })
    });

    let quote = Resource::new(
        move || draft.get(),
        |draft| async move {
            match draft {
                Ok(draft) => quote_order(draft).await.map_err(|e| e.to_string()),
                Err(message) => Err(message),
            }
        },
    );

    let checkout = ServerAction::<Checkout>::new();
    let navigate = use_navigate();
    Effect::new(move |_| match checkout.value().get() {
        Some(Ok(receipt)) => navigate(&format!("/orders/{}", receipt.order_id), Default::default()),
        Some(Err(AppError::PaymentDeclined { order_id, .. })) => navigate(
            &format!("/orders/{order_id}/pay?declined=1"),
            Default::default(),
        ),
        _ => {}
    });
    let error_in = move |section: &'static str| {
        move || match checkout.value().get() {
            Some(Err(err)) if error_section(&err) == section => {
                Some(view! { <ErrorMessage error=err /> })
            }
            _ => None,
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(draft) = draft.get_untracked() else {
            return;
        };
        let request = CheckoutRequest {
            order: OrderRequest::new(
                store.get_untracked(),
                draft,
                DeliveryDetails {
                    address: address.get_untracked(),
                    recipient: recipient.get_untracked(),
                    phone: phone.get_untracked(),
                    requested_at: Some(requested_at.get_untracked()).filter(|s| !s.is_empty()),
                    notes: Some(notes.get_untracked()).filter(|s| !s.is_empty()),
                },
            ),
            payment: card.input(),
        };
        checkout.dispatch(Checkout {
            request,
            idempotency_key: card.attempt_key(),
        });
    };

    let dinner_options = move || {
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

    let style_choices = move || {
        let l = lang.get();
        let current = effective_style.get();
        menu.with_value(|m| {
            m.dinner(&dinner.get())
                .map(|d| {
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
                                    <input type="radio" name="style" value=code checked=checked
                                        on:change=move |_| style.set(set.clone()) />
                                    {label}
                                </label>
                            }
                        })
                        .collect_view()
                })
                .unwrap_or_default()
        })
    };

    let component_inputs = move || {
        let l = lang.get();
        menu.with_value(|m| {
            m.dinner(&dinner.get())
                .map(|d| {
                    d.components
                        .iter()
                        .map(|c| {
                            let code = c.code.clone();
                            let default = i64::from(c.default_quantity);
                            let key = code.clone();
                            let current = move || custom.with(|m| m.get(&key).copied().unwrap_or(default));
                            let set = code.clone();
                            view! {
                                <label class="count" data-testid="builder-component" data-code=code>
                                    <span>{c.name(l).to_owned()} " (" {c.unit(l).to_owned()} ", +" {l.price(c.extra_unit_price)} ")"</span>
                                    <input type="number" min="0" max="10" prop:value=current
                                        on:input=move |ev| {
                                            let v = parse_count(&event_target_value(&ev));
                                            custom.update(|m| { m.insert(set.clone(), v); });
                                        } />
                                </label>
                            }
                        })
                        .collect_view()
                })
                .unwrap_or_default()
        })
    };

    let side_inputs = move || {
        let l = lang.get();
        menu.with_value(|m| {
            m.side_dishes
                .iter()
                .map(|s| {
                    let code = s.code.clone();
                    let key = code.clone();
                    let current = move || sides.with(|m| m.get(&key).copied().unwrap_or(0));
                    let set = code.clone();
                    view! {
                        <label class="count" data-testid="builder-side" data-code=code>
                            <span>{s.name(l).to_owned()} " " {l.price(s.price)}</span>
                            <input type="number" min="0" max="10" prop:value=current
                                on:input=move |ev| {
                                    let v = parse_count(&event_target_value(&ev));
                                    sides.update(|m| { m.insert(set.clone(), v); });
                                } />
                        </label>
                    }
                })
                .collect_view()
        })
    };

    let text_input = move |label: (&'static str, &'static str),
                           signal: RwSignal<String>,
                           kind: &'static str,
                           testid: &'static str| {
        view! {
            <label>{move || lang.get().pick(label.0, label.1)}
                <input type=kind data-testid=testid prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev)) />
            </label>
        }
    };

    view! {
        <form class="order-builder" on:submit=submit data-testid="order-builder">
            {(!signed_in).then(|| view! {
                <p class="notice" data-testid="login-required">
                    {move || lang.get().pick("주문하려면 로그인이 필요합니다. ", "Please log in to order. ")}
                    <A href="/login?next=/order">{move || lang.get().pick("로그인", "Log in")}</A> " · "
                    <A href="/signup?next=/order">{move || lang.get().pick("회원가입", "Sign up")}</A>
                </p>
            })}
            <fieldset>
                <legend>{move || lang.get().pick("디너", "Dinner")}</legend>
                <select data-testid="builder-dinner" on:change=move |ev| {
                    dinner.set(event_target_value(&ev));
                    style.set(String::new());
                    custom.set(BTreeMap::new());
                }>{dinner_options}</select>
                <div class="choices">{style_choices}</div>
                <label class="count">{move || lang.get().pick("수량", "Quantity")}
                    <input type="number" min="1" max="10" data-testid="builder-quantity" prop:value=move || quantity.get()
                        on:input=move |ev| quantity.set(parse_count(&event_target_value(&ev))) />
                </label>
                <h3>{move || lang.get().pick("구성 변경", "Customize")}</h3>
                <div class="counts">{component_inputs}</div>
                <h3>{move || lang.get().pick("곁들임 메뉴", "Side dishes")}</h3>
                <div class="counts">{side_inputs}</div>
                <label class="choice">
                    <input type="checkbox" data-testid="builder-cake" prop:checked=move || cake_on.get()
                        on:change=move |ev| cake_on.set(event_target_checked(&ev)) />
                    {move || lang.get().pick("케이크 추가", "Add a cake")}
                </label>
                <Show when=move || cake_on.get()>
                    <div class="cake">
                        <select data-testid="builder-cake-size" on:change=move |ev| cake_size.set(event_target_value(&ev))>
                            {move || { let l = lang.get(); menu.with_value(|m| m.cake_sizes.iter().map(|c| {
                                let selected = cake_size.get_untracked() == c.code;
                                view! { <option value=c.code.clone() selected=selected>{c.name(l).to_owned()} " " {l.price(c.price)}</option> }
                            }).collect_view()) }}
                        </select>
                        <select data-testid="builder-cake-flavor" on:change=move |ev| cake_flavor.set(event_target_value(&ev))>
                            {move || { let l = lang.get(); menu.with_value(|m| m.cake_flavors.iter().map(|c| {
                                let selected = cake_flavor.get_untracked() == c.code;
                                view! { <option value=c.code.clone() selected=selected>{c.name(l).to_owned()}</option> }
                            }).collect_view()) }}
                        </select>
                        <input type="text" maxlength="30" data-testid="builder-cake-lettering"
                            placeholder=move || lang.get().pick("문구 (30자 이하)", "Lettering (≤ 30 chars)")
                            prop:value=move || lettering.get() on:input=move |ev| lettering.set(event_target_value(&ev)) />
                    </div>
                </Show>
                {error_in("order")}
            </fieldset>

            <fieldset>
                <legend>{move || lang.get().pick("배송", "Delivery")}</legend>
                <label>{move || lang.get().pick("매장", "Store")}
                    <select data-testid="builder-store" on:change=move |ev| store.set(event_target_value(&ev))>
                        {move || { let l = lang.get(); stores.with_value(|s| s.iter().map(|s| {
                            view! { <option value=s.code.clone()>{l.pick(s.name_ko.clone(), s.name_en.clone())}</option> }
                        }).collect_view()) }}
                    </select>
                </label>
                {text_input(("주소", "Address"), address, "text", "builder-address")}
                {text_input(("받는 분", "Recipient"), recipient, "text", "builder-recipient")}
                {text_input(("전화번호", "Phone"), phone, "tel", "builder-phone")}
                {text_input(("희망 배송 시간 (선택)", "Requested time (optional)"), requested_at, "datetime-local", "builder-requested-at")}
                {text_input(("요청 사항 (선택)", "Notes (optional)"), notes, "text", "builder-notes")}
                {error_in("delivery")}
            </fieldset>

            <PriceBox quote lang />

            <fieldset>
                <legend>{move || lang.get().pick("결제", "Payment")}</legend>
                <CardFields card />
                {error_in("payment")}
            </fieldset>

            <button type="submit" class="button primary" data-testid="checkout-submit"
                disabled=move || !signed_in || checkout.pending().get() || draft.get().is_err()>
                {move || if checkout.pending().get() { lang.get().pick("처리 중…", "Processing…") } else { lang.get().pick("주문하기", "Place order") }}
            </button>
        </form>
    }
}

#[component]
fn PriceBox(quote: Resource<Result<Quote, String>>, lang: RwSignal<Lang>) -> impl IntoView {
    view! {
        <section class="price-box" data-testid="price-box">
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let l = lang.get();
                    match quote.await {
                        Ok(q) => view! {
                            <p>{l.pick("상품 금액", "Subtotal")} " "
                                <span data-testid="price-original">{l.price(q.pricing.original_price)}</span></p>
                            <ul class="discounts">
                                {q.discounts.iter().map(|d| view! {
                                    <li data-testid="price-discount">{l.pick(d.label_ko.clone(), d.label_en.clone())} " −" {l.price(d.amount)}</li>
                                }).collect_view()}
                            </ul>
                            <p class="total">{l.pick("결제 금액", "Total")} " "
                                <strong data-testid="price-final">{l.price(q.pricing.final_price)}</strong></p>
                        }.into_any(),
                        Err(message) => view! { <p class="error" data-testid="price-error">{message}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
