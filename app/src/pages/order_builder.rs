//! The GUI order builder: every choice re-prices the order on the server as the customer
//! types; the client never computes or sends a price.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::checkout::{list_stores, quote_order, Checkout, CreateOrder, Quote, Store};
use crate::error::AppError;
use crate::i18n::{use_lang, Lang};
use crate::menu::{get_menu, Menu, Named};
use crate::order::{
    CakeDraft, CheckoutRequest, ComponentQuantity, CustomizationDraft, DeliveryDetails, LineDraft,
    OrderDraft, OrderRequest, OrderSource, Quantity, SideDishDraft,
};
use crate::pages::auth::use_auth;
use crate::pages::payment::{CardFields, CardState};
use crate::pages::voice_order::{VoiceController, VoicePanel};
use crate::pages::ErrorMessage;
use crate::voice::{order_state_from_draft, OrderState};

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

    let fields = BuilderFields {
        dinner: RwSignal::new(initial),
        style: RwSignal::new(String::new()),
        quantity: RwSignal::new(1i64),
        custom: RwSignal::new(BTreeMap::new()),
        sides: RwSignal::new(BTreeMap::new()),
    };
    let BuilderFields {
        dinner,
        style,
        quantity,
        custom,
        sides,
    } = fields;
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

    // What the next utterance edits once the builder holds a voice order.
    let builder_state = Memo::new(move |_| {
        draft
            .get()
            .ok()
            .and_then(|d| order_state_from_draft(&d, !style.get().is_empty()))
    });
    let voice = VoiceController::new(fields, builder_state);

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
    // A voice order is created pending; it is paid on the GUI's payment page.
    let create = ServerAction::<CreateOrder>::new();
    // The last submit's failure, from whichever action ran.
    let form_error: RwSignal<Option<AppError>> = RwSignal::new(None);
    let navigate = use_navigate();
    let go = navigate.clone();
    Effect::new(move |_| match checkout.value().get() {
        Some(Ok(receipt)) => go(&format!("/orders/{}", receipt.order_id), Default::default()),
        Some(Err(AppError::PaymentDeclined { order_id, .. })) => go(
            &format!("/orders/{order_id}/pay?declined=1"),
            Default::default(),
        ),
        Some(Err(err)) => form_error.set(Some(err)),
        None => {}
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(created)) => navigate(
            &format!("/orders/{}/pay?created=1", created.order_id),
            Default::default(),
        ),
        Some(Err(err)) => form_error.set(Some(err)),
        None => {}
    });
    let error_in = move |section: &'static str| {
        move || match form_error.get() {
            Some(err) if error_section(&err) == section => {
                Some(view! { <ErrorMessage error=err /> })
            }
            _ => None,
        }
    };
    let pending = move || checkout.pending().get() || create.pending().get();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(draft) = draft.get_untracked() else {
            return;
        };
        form_error.set(None);
        let voice_order = voice.active.get_untracked();
        let order = OrderRequest::new(
            store.get_untracked(),
            draft,
            DeliveryDetails {
                address: address.get_untracked(),
                recipient: recipient.get_untracked(),
                phone: phone.get_untracked(),
                requested_at: Some(requested_at.get_untracked()).filter(|s| !s.is_empty()),
                notes: Some(notes.get_untracked()).filter(|s| !s.is_empty()),
            },
            if voice_order {
                OrderSource::Voice
            } else {
                OrderSource::Gui
            },
        );
        if voice_order {
            create.dispatch(CreateOrder { order });
        } else {
            checkout.dispatch(Checkout {
                request: CheckoutRequest {
                    order,
                    payment: card.input(),
                },
                idempotency_key: card.attempt_key(),
            });
        }
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

    // Each part is erased (`into_any`): as one type the form is deeper than the compiler's
    // query limit allows.
    let order_fields = view! {
        <fieldset>
            <legend>{move || lang.get().pick("디너", "Dinner")}</legend>
            // `prop:value` too: voice ordering changes the dinner without a change event.
            <select id="builder-dinner" data-testid="builder-dinner" prop:value=move || dinner.get()
                on:change=move |ev| fields.choose_dinner(event_target_value(&ev))>
                {dinner_options}
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
    }
    .into_any();
    let delivery_fields = view! {
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
    }
    .into_any();
    let payment_and_submit = view! {
        <Show when=move || !voice.active.get()>
            <fieldset>
                <legend>{move || lang.get().pick("결제", "Payment")}</legend>
                <CardFields card />
                {error_in("payment")}
            </fieldset>
        </Show>

        <Show when=move || voice.active.get()
            fallback=move || view! {
                <button type="submit" class="button primary" data-testid="checkout-submit"
                    disabled=move || !signed_in || pending() || draft.get().is_err()>
                    {move || if pending() { lang.get().pick("처리 중…", "Processing…") } else { lang.get().pick("주문하기", "Place order") }}
                </button>
            }>
            <button type="submit" class="button primary" data-testid="voice-confirm"
                disabled=move || !signed_in || pending() || draft.get().is_err()>
                {move || if pending() {
                    lang.get().pick("처리 중…", "Processing…")
                } else {
                    lang.get().pick("음성 주문 확정 (결제는 다음 화면에서)", "Confirm voice order (pay on the next page)")
                }}
            </button>
        </Show>
    }
    .into_any();

    view! {
        <VoicePanel voice menu />
        <form class="order-builder" on:submit=submit data-testid="order-builder"
            data-source=move || if voice.active.get() { "voice" } else { "gui" }>
            {(!signed_in).then(|| view! {
                <p class="notice" data-testid="login-required">
                    {move || lang.get().pick("주문하려면 로그인이 필요합니다. ", "Please log in to order. ")}
                    <A href="/login?next=/order">{move || lang.get().pick("로그인", "Log in")}</A> " · "
                    <A href="/signup?next=/order">{move || lang.get().pick("회원가입", "Sign up")}</A>
                </p>
            })}
            {order_fields}
            {delivery_fields}
            <PriceBox quote lang />
            {payment_and_submit}
        </form>
    }
    .into_any()
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
